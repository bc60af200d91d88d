"""The guide's error, in a module of its own: the parse workers (`stb.guide.worker`) import the parser,
which raises it, and should not pay at start for what opens sources (urllib, http.client: ~20 ms)."""

from __future__ import annotations

from stb.errors import StbError


class GuideSourceError(StbError):
    """A guide source that cannot be read; the previous guide stays as it was."""
