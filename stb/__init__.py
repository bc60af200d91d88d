"""stb: set-top-box middleware for home multi-screen IPTV."""

__version__ = "0.1.0"
