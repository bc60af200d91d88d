"""Recordings: timers (a programme, what is on now, a series), the recorder that writes a channel's TS as
received, and the library of what was recorded.

:class:`stb.pvr.service.Pvr` is the one facade the API (and later the TV) uses; it runs on the network
side's event loop, where the relay reads each channel once for every screen and every recording.
"""
