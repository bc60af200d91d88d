"""The page's files, read from the package once and served with an ETag, gzipped when the browser asks.

Only files that ship in ``stb/web/static`` are served: the name is looked up in a fixed table built
at start, so no request path ever reaches the file system. hls.js is most of the page's weight;
gzip takes it from ~390 KB to ~120 KB, which matters on a phone's first visit over weak Wi-Fi.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}
COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".webmanifest")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


def _asset(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind(".") :]
    gzipped = gzip.compress(body, 9, mtime=0) if suffix in COMPRESSIBLE else None
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, gzipped, TYPES.get(suffix, "application/octet-stream"), etag)


def load_assets() -> dict[str, Asset]:
    """Every file under static/ by its path there ('index.html', 'vendor/hls.light.min.js')."""
    found: dict[str, Asset] = {}
    root = resources.files("stb.web") / "static"

    def walk(folder, prefix: str) -> None:
        for entry in folder.iterdir():
            name = prefix + entry.name
            if entry.is_dir():
                walk(entry, name + "/")
            elif entry.name[entry.name.rfind(".") :] in TYPES:
                found[name] = _asset(name, entry.read_bytes())

    walk(root, "")
    return found
