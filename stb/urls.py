"""URLs in log lines: enough to tell which stream, never the secrets a URL may carry."""

from __future__ import annotations

from urllib.parse import urlsplit


def loggable(url: str) -> str:
    """``url`` as a log line may show it: scheme, host, port and path, without user, password or query (where
    tokens, signatures and provider credentials travel)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a malformed URL)"
    host = f"[{host}]" if ":" in host else host
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"
