"""The other-screen side: find boxes on the LAN (and, later, remote / mirror / take / fling)."""
