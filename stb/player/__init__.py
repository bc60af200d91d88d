"""Playback through libVLC into frame buffers that the UI blits."""
