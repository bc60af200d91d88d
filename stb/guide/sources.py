"""Open a guide source (file or http(s) URL, plain or compressed) as a guarded byte stream.

Compression is told by magic bytes, not by name: providers serve `.xml` that is gzip and `.gz` that
is not. Two guards sit in the stream: a cap on the decompressed size (decompression bombs are the
real risk for guides), and a look at the prolog before parsing, which refuses files that declare XML
entities (billion laughs, external entities) in well under a second, before the parser sees them, and
files without a `<tv>` root (error pages, junk), which would otherwise import as an empty guide.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from stb.guide.errors import GuideSourceError

MAX_DECOMPRESSED = 8 * 1024**3  # 8 GiB: larger than any real guide, smaller than a full disk
PROLOG_LIMIT = 1024 * 1024  # the root element must start within the first MiB
USER_AGENT = "stb-guide/0.1"
MAGIC = {b"\x1f\x8b": "gzip", b"\xfd7zXZ\x00": "xz", b"BZh": "bz2"}
ROOT = re.compile(rb"<tv[\s>/]")


def compression_of(head: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


class GuardedStream(io.RawIOBase):
    """Decompressed bytes with a size cap; decoder errors become GuideSourceError."""

    def __init__(self, raw: BinaryIO, name: str, limit: int = MAX_DECOMPRESSED) -> None:
        self.name = name
        self._raw = raw
        head = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
        self.compression = compression_of(head)
        openers: dict[str, Callable[[BinaryIO], Any]] = {
            "gzip": lambda f: gzip.GzipFile(fileobj=f),
            "xz": lzma.LZMAFile,  # takes the file object as its first argument
            "bz2": bz2.BZ2File,
        }
        opener = openers.get(self.compression or "")
        self._stream: BinaryIO = opener(raw) if opener else raw
        self._limit = limit
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._stream.read(len(buffer))
        except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
            raise GuideSourceError(f"{self.name}: {self.compression or 'file'} data is broken or truncated "
                                   f"({exc or type(exc).__name__})") from None  # fmt: skip
        self.bytes_read += len(data)
        if self.bytes_read > self._limit:
            raise GuideSourceError(f"{self.name}: more than {self._limit // 1024**2} MiB once decompressed; refused")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        self._raw.close()
        super().close()


def check_prolog(head: bytes, name: str) -> None:
    """Refuse entity declarations before the root element; allow the usual `<!DOCTYPE tv SYSTEM …>`.

    Also refuse what has no `<tv` root at all (an HTML error page served with 200, junk): parsed, it
    would be an empty guide and replace the previous one. ``head`` is the whole document when it is
    shorter than PROLOG_LIMIT (every stream under `open_guide` reads until the size asked or EOF).
    """
    markup = head.replace(b"\x00", b"")  # UTF-16/32 guides: their ASCII markup without the zero bytes
    root = ROOT.search(markup)
    prolog = markup[: root.start()] if root else markup
    if b"<!ENTITY" in prolog.upper().replace(b" ", b""):
        raise GuideSourceError(f"{name}: the guide declares XML entities; refused (entity expansion attack)")
    if root is None:
        where = " in the first MiB" if len(head) >= PROLOG_LIMIT else ""
        raise GuideSourceError(f"{name}: no <tv> element{where}; not an XMLTV guide")


def _open_raw(source: str, timeout: float) -> tuple[BinaryIO, str]:
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
        try:
            reply = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            raise GuideSourceError(f"{source}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GuideSourceError(f"{source}: cannot fetch ({reason})") from None
        return io.BufferedReader(reply, buffer_size=256 * 1024), source  # type: ignore[arg-type]
    if scheme not in ("", "file") and len(scheme) > 1:
        raise GuideSourceError(f"{source}: only files and http(s) URLs are guide sources")
    path = Path(source[7:] if scheme == "file" else source)
    try:
        return open(path, "rb", buffering=256 * 1024), str(path)
    except IsADirectoryError:
        raise GuideSourceError(f"{path} is a directory, not a guide") from None
    except OSError as exc:
        raise GuideSourceError(f"cannot read {path}: {exc.strerror or exc}") from None


def open_guide(source: str, timeout: float = 30.0, limit: int = MAX_DECOMPRESSED) -> io.BufferedReader[GuardedStream]:
    """The decompressed, guarded XMLTV bytes of ``source``, prolog already checked."""
    raw, name = _open_raw(source, timeout)
    stream = io.BufferedReader(GuardedStream(raw, name, limit), buffer_size=1024 * 1024)
    try:
        check_prolog(stream.peek(PROLOG_LIMIT)[:PROLOG_LIMIT], name)
    except BaseException:
        stream.close()
        raise
    return stream
