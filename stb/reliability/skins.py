"""Skin folders that try to read outside themselves, or carry assets that would sink the TV.

`stb skin check DIR` must name the problem and exit 1; the box started with such a skin
(`stb run --skin NAME`, the skin found through $STB_SKINS_DIR) must draw with the default skin and
tell the viewer so, never crash.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from stb.reliability.harness import Case, Outcome, refused, run_cli

AREA = "skins"
BOMB_SIDE = 50_000  # a 1-bit PNG this wide and high is ~300 KB on disk and gigabytes once decoded


def _manifest(name: str, **sections: object) -> dict:
    base = {"name": name, "version": "1", "author": "reliability", "licence": "MIT", "api": 1,
            "resolution": [1280, 720], "extends": "default"}  # fmt: skip
    return {**base, **sections}


def _skin(work: Path, name: str, manifest: dict | bytes, files: dict[str, bytes] | None = None) -> Path:
    folder = work / "skins" / name
    folder.mkdir(parents=True)
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    (folder / "skin.json").write_bytes(raw)
    for rel, content in (files or {}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    return folder


def png_bomb(path: Path, side: int = BOMB_SIDE) -> None:
    """A valid 1-bit greyscale PNG of side×side pixels, compressed from zeros row block by row block."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows, packer = 1000, zlib.compressobj(9)
    block = (b"\x00" * (1 + (side + 7) // 8)) * rows
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)))
        data = b"".join(packer.compress(block) for _ in range(side // rows)) + packer.flush()
        out.write(chunk(b"IDAT", data) + chunk(b"IEND", b""))


# -- what each hostile skin is ---------------------------------------------------------------------------
def _traversal(work: Path) -> Path:
    return _skin(work, "traversal", _manifest("traversal", fonts={"regular": "../../../../etc/passwd"}))


def _absolute(work: Path) -> Path:
    return _skin(work, "absolute", _manifest("absolute", images={"brand_logo": "/etc/hostname"}))


def _symlink(work: Path) -> Path:
    folder = _skin(work, "symlink", _manifest("symlink", images={"brand_logo": "images/logo.png"}))
    (folder / "images").mkdir()
    (folder / "images" / "logo.png").symlink_to("/etc/passwd")
    return folder


def _bomb(work: Path) -> Path:
    folder = _skin(work, "bomb", _manifest("bomb", images={"brand_logo": "images/logo.png"}))
    (folder / "images").mkdir()
    png_bomb(folder / "images" / "logo.png")
    return folder


def _hundred_mb(work: Path) -> Path:
    folder = _skin(work, "heavy", _manifest("heavy", images={"brand_logo": "images/logo.png"}))
    (folder / "images").mkdir()
    with (folder / "images" / "logo.png").open("wb") as out:  # sparse: 100 MB to read, nothing on the disk
        out.write(b"\x89PNG\r\n\x1a\n")
        out.truncate(100 * 1024 * 1024)
    return folder


def _corrupt_image(work: Path) -> Path:
    png_head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 64, 64, 8, 6, 0, 0, 0)
    files = {"images/logo.png": png_head + os.urandom(2048)}
    return _skin(work, "badimage", _manifest("badimage", images={"brand_logo": "images/logo.png"}), files)


def _corrupt_font(work: Path) -> Path:
    files = {"fonts/Brand.ttf": b"\x00\x01\x00\x00" + os.urandom(4096)}  # a TrueType tag, then noise
    return _skin(work, "badfont", _manifest("badfont", fonts={"regular": "fonts/Brand.ttf"}), files)


def _malformed(work: Path) -> Path:
    return _skin(work, "malformed", b'{"name": "malformed", "version": "1",, "api": 1')


def _not_utf8(work: Path) -> Path:
    return _skin(work, "latin", '{"name": "latin", "author": "Ren\xe9"}'.encode("latin-1"))


# -- the cases -------------------------------------------------------------------------------------------
def _checked(name: str, make: Callable[[Path], Path], *words: str) -> Case:
    def check(work: Path) -> Outcome:
        return refused(run_cli(["skin", "check", str(make(work))], timeout=30), *words)

    return Case(AREA, name, f"`stb skin check` exits 1 naming {', '.join(words)}", check, seconds=45)


def _box_falls_back(name: str, make: Callable[[Path], Path]) -> Case:
    """The box started on the hostile skin: exit 0, drawn with the default skin, a notice on the TV."""

    def check(work: Path) -> Outcome:
        skin = make(work).name
        lineup = work / "channels.json"
        lineup.write_text(json.dumps({"name": "x", "channels": [
            {"number": 1, "id": "one", "name": "One", "urls": ["http://127.0.0.1:9/one.ts"]}]}))  # fmt: skip
        cli = run_cli(["run", "--lineup", str(lineup), "--headless", "--run-for", "2", "--no-api", "--no-headend",
                       "--skin", skin, "--json"], env={"STB_SKINS_DIR": str(work / "skins")}, timeout=60)  # fmt: skip
        if cli.hung or cli.code != 0 or "Traceback" in cli.err:
            return Outcome(False, f"exit {cli.code}: {cli.err.strip()[-300:]}")
        report = json.loads(cli.out)
        notice = next((n for n in report.get("notices", []) if "could not be used" in n), None)
        if report.get("skin") != "default" or notice is None:
            return Outcome(False, f"drew with {report.get('skin')!r}, notices {report.get('notices')}")
        return Outcome(True, f"drew with the default skin; the TV said {notice!r}")

    expect = "the box starts, draws with the default skin and says the skin could not be used"
    return Case(AREA, f"box on {name}", expect, check, seconds=60)


CASES = [
    _checked("path traversal", _traversal, "$.fonts.regular", "would leave the skin folder"),
    _checked("absolute path", _absolute, "$.images.brand_logo", "relative to the skin folder"),
    _checked("symlink outside", _symlink, "$.images.brand_logo", "outside the skin folder"),
    _checked("decompression bomb", _bomb, "$.images.brand_logo", f"{BOMB_SIDE}×{BOMB_SIDE} is larger than"),
    _checked("100 MB image", _hundred_mb, "$.images.brand_logo", "larger than 4 MB"),
    _checked("corrupt image", _corrupt_image, "$.images.brand_logo", "not a usable image"),
    _checked("corrupt font", _corrupt_font, "$.fonts.regular", "not a usable font"),
    _checked("malformed JSON", _malformed, "invalid JSON"),
    _checked("skin.json not UTF-8", _not_utf8, "not UTF-8"),
    _box_falls_back("a decompression bomb", _bomb),
    _box_falls_back("path traversal", _traversal),
]
