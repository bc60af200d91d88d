"""Timeshift: the channel on screen kept in a rolling buffer on disk, read back from any moment in it."""
