"""The TV's behaviour without pygame: what plays, the parental lock, standby, mirroring, what other screens may see.

:class:`~stb.tv.core.TvCore` runs on the UI thread and owns the live objects (Box, players, guide handle).
It publishes one typed event stream (:mod:`stb.tv.events`) and, once a frame, an immutable
:class:`~stb.tv.snapshot.TvSnapshot` that the network thread reads instead of touching live objects.
"""
