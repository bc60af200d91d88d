"""channels.json that is wrong in every way a hand-edited or generated file can be, and M3U
playlists as hostile as a download can be.

`stb lineup check` and `stb run` must name the problem and exit 1; `stb lineup import` must skip
what cannot be played with a message naming the line, refuse what has nothing to import, stay
bounded in time and memory, and never touch an existing output file when it fails (``lost``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from stb.reliability.harness import Case, Cli, Outcome, digest, refused, run_cli

AREA = "channels.json"
M3U = "M3U"
MAX_RSS_MB = 1024  # a box has little memory: any input past this is a defect, whatever its size
BIG_M3U_MB = 256  # "hundreds of MB": a long case (the bench runs it, the test suite does not)
SMALL_M3U_MB = 24  # still four times the entries a line-up can hold


def _lineup_json(channels: int) -> bytes:
    rows = [
        {"number": n, "id": f"c{n}", "name": f"Channel {n}", "urls": [f"http://127.0.0.1:9/{n}.ts"]}
        for n in range(1, channels + 1)
    ]
    return json.dumps({"name": "Reliability", "channels": rows}).encode()


def _bounded(cli: Cli, outcome: Outcome) -> Outcome:
    """``outcome``, failed if the child went past MAX_RSS_MB; its peak is added to what was seen."""
    if cli.peak_rss_mb is None:
        return outcome
    saw = f"{outcome.saw} (peak RSS {cli.peak_rss_mb:.0f} MB)"
    if cli.peak_rss_mb > MAX_RSS_MB:
        return Outcome(False, f"{saw}: more than {MAX_RSS_MB} MB", outcome.lost)
    return Outcome(outcome.ok, saw, outcome.lost)


def _accepted(cli: Cli, *words: str) -> Outcome:
    """Exit 0, no traceback, and the report says ``words``."""
    text = (cli.out + cli.err).strip()
    if cli.hung or cli.code != 0 or "Traceback" in text:
        return Outcome(False, f"exit {cli.code}: {text[-300:]}")
    missing = [w for w in words if w.lower() not in text.lower()]
    last = text.splitlines()[-1] if text else ""
    if missing:
        return Outcome(False, f"exit 0 but the report does not say {missing}: {last}")
    return Outcome(True, f"exit 0: {last}")


# -- channels.json ---------------------------------------------------------------------------------------
def _check_file(name: str, content: bytes, *words: str) -> Case:
    def check(work: Path) -> Outcome:
        path = work / "channels.json"
        path.write_bytes(content)
        return refused(run_cli(["lineup", "check", str(path)]), *words)

    return Case(AREA, name, f"`stb lineup check` exits 1 naming {', '.join(words)}", check)


def _many_channels() -> Case:
    def check(work: Path) -> Outcome:
        path = work / "channels.json"
        path.write_bytes(_lineup_json(99_999))
        cli = run_cli(["lineup", "check", str(path)], measure=True, timeout=90)
        return _bounded(cli, _accepted(cli, "OK"))

    expect = f"99999 channels (every number) check OK in bounded time and under {MAX_RSS_MB} MB"
    return Case(AREA, "100k channels", expect, check, seconds=120)


def _box_refuses_broken_lineup() -> Case:
    def check(work: Path) -> Outcome:
        path = work / "channels.json"
        path.write_bytes(b'{"name": "x", "channels": [{"number": "one", "id": "a", "name": "A", "urls": []}]}')
        cli = run_cli(["run", "--lineup", str(path), "--headless", "--run-for", "2", "--no-api", "--no-headend"])
        outcome = refused(cli, "$.channels[0].number")
        lines = [line for line in cli.err.splitlines() if line.strip()]
        if outcome.ok and len(lines) != 1:
            return Outcome(False, f"not one line but {len(lines)}: {cli.err[-300:]}")
        return outcome

    return Case(AREA, "stb run on a broken line-up", "`stb run` exits 1 with one line naming the field", check)


# -- M3U ------------------------------------------------------------------------------------------------
ENTRY = '#EXTINF:-1 tvg-id="ch{0}.test" group-title="News",Channel {0}\nhttp://127.0.0.1:9/live/{0}.ts\n'


def _entries(start: int, count: int) -> str:
    return "".join(ENTRY.format(n) for n in range(start, start + count))


def _import_over_existing(work: Path, playlist: Path, judge: Callable[[Cli], Outcome], refuses: bool) -> Outcome:
    """`stb lineup import --force` over a good channels.json: it changes only when the import succeeds."""
    output = work / "channels.json"
    output.write_bytes(_lineup_json(3))
    before = digest(output)
    cli = run_cli(["lineup", "import", str(playlist), "-o", str(output), "--force"], measure=True, timeout=120)
    outcome = _bounded(cli, judge(cli))
    if refuses and digest(output) != before:
        return Outcome(False, f"{outcome.saw}; the existing {output.name} changed", 1)
    if not refuses and cli.code == 0:
        try:
            json.loads(output.read_bytes())
        except ValueError as exc:
            return Outcome(False, f"{outcome.saw}; the written {output.name} is broken: {exc}", 1)
    return outcome


def _m3u_refused(name: str, content: bytes, *words: str) -> Case:
    def check(work: Path) -> Outcome:
        playlist = work / "playlist.m3u"
        playlist.write_bytes(content)
        return _import_over_existing(work, playlist, lambda cli: refused(cli, *words), refuses=True)

    expect = f"`stb lineup import` exits 1 naming {', '.join(words)}; the existing channels.json is untouched"
    return Case(M3U, name, expect, check)


def _big_playlist(megabytes: int, long: bool) -> Case:
    """``megabytes`` of entries; the hundreds-of-MB one is ``long`` (the bench runs it, the test suite does not)."""

    def check(work: Path) -> Outcome:
        playlist = work / "huge.m3u"
        block = _entries(0, 5000).encode()
        try:
            with playlist.open("wb") as out:
                out.write(b"#EXTM3U\n")
                while out.tell() < megabytes * 1024 * 1024:
                    out.write(block)
            judge = lambda cli: _accepted(cli, "more than 99999 entries", "imported 99999 channel")  # noqa: E731
            outcome = _import_over_existing(work, playlist, judge, refuses=False)
        finally:
            playlist.unlink(missing_ok=True)  # hundreds of MB: not left in the scratch folder
        return Outcome(outcome.ok, f"{megabytes} MB: {outcome.saw}", outcome.lost)

    expect = f"imports the first 99999 entries and says the rest was not read, under {MAX_RSS_MB} MB"
    return Case(M3U, f"{megabytes} MB", expect, check, seconds=180, long=long)


def _imports(name: str, content: Callable[[Path], str], expect: str, *words: str, channels: int) -> Case:
    """A playlist with some bad entries: the good ones are imported, each bad one named by its line."""

    def check(work: Path) -> Outcome:
        playlist = work / "playlist.m3u"
        playlist.write_text(content(work))

        def judge(cli: Cli) -> Outcome:
            return _accepted(cli, *words, f"imported {channels} channel")

        outcome = _import_over_existing(work, playlist, judge, refuses=False)
        if outcome.ok:
            written = (work / "channels.json").read_text()
            leaked = [s for s in ("javascript:", "data:", "ftp:", "/etc/passwd", "x" * 1000) if s in written]
            if leaked:
                return Outcome(False, f"{outcome.saw}; the line-up contains {leaked}")
        return outcome

    return Case(M3U, name, expect, check, seconds=120)


def _non_latin(work: Path) -> str:
    """20,000 stations without a tvg-id, named in scripts with no ASCII form (quadratic ids took 60 s)."""
    names = ["新闻台", "Радио Рекорд", "قناة", "ช่องข่าว", "ニュース"]
    return "#EXTM3U\n" + "".join(f"#EXTINF:-1,{names[n % 5]}\nhttp://127.0.0.1:9/r/{n}.mp3\n" for n in range(20_000))


def _long_line(work: Path) -> str:
    return "#EXTM3U\n" + _entries(1, 1) + "#EXTINF:-1," + "x" * 10_000_000 + "\nhttp://127.0.0.1:9/x\n" + _entries(2, 1)


def _schemes(work: Path) -> str:
    (work / "media").mkdir(exist_ok=True)
    (work / "media" / "film.ts").write_bytes(b"")
    bad = [
        "file:///etc/passwd",
        "file:///../../etc/shadow",
        f"file://{work.parent}/outside.ts",
        "javascript:alert(1)",
        "data:video/mp2t;base64,AAAA",
        "ftp://127.0.0.1/live.ts",
    ]
    lines = ["#EXTM3U"] + [f"#EXTINF:-1,Bad {i}\n{url}" for i, url in enumerate(bad)]
    lines.append(f"#EXTINF:-1,Own file\nfile://{work}/media/film.ts")  # inside the playlist's folder: fine
    return "\n".join(lines) + "\n" + _entries(1, 1)


CASES = [
    _check_file(
        "wrong types",
        json.dumps({"name": 5, "channels": [{"number": "one", "id": [], "name": {}, "urls": "x"}]}).encode(),
        "$.channels[0].number",
    ),
    _check_file("not UTF-8", b'\xff\xfe{"channels": []}', "not UTF-8"),
    _check_file("missing fields", b'{"channels": [{"number": 1}]}', "$.name", "$.channels[0].id", "missing"),
    _check_file("deep nesting", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    _check_file("empty file", b"", "invalid JSON"),
    _check_file("a list", b"[]", "top level must be a JSON object"),
    _check_file("a number", b"42", "top level must be a JSON object"),
    _check_file(
        "duplicate numbers and ids",
        json.dumps(
            {
                "name": "x",
                "channels": [
                    {"number": 1, "id": "a", "name": "A", "urls": ["http://h/a"]},
                    {"number": 1, "id": "a", "name": "B", "urls": ["http://h/b"]},
                ],
            }
        ).encode(),
        "$.channels[1].number: number 1 is also used",
        "$.channels[1].id: id 'a' is also used",
    ),
    _many_channels(),
    _box_refuses_broken_lineup(),
    _m3u_refused("binary junk", b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096), "not a playlist"),
    _m3u_refused(
        "only schemes that must not be followed",
        b"#EXTM3U\n#EXTINF:-1,Evil\njavascript:alert(1)\n#EXTINF:-1,Disk\nfile:///etc/passwd\n",
        "no channel could be imported",
        "javascript",
    ),
    _big_playlist(SMALL_M3U_MB, long=False),
    _big_playlist(BIG_M3U_MB, long=True),
    _imports(
        "a 10 MB line",
        _long_line,
        "the long entry skipped naming its line; the others imported",
        "line 4: line longer than 64 KiB",
        channels=2,
    ),
    _imports(
        "100k entries",
        lambda work: "#EXTM3U\n" + _entries(1, 100_000),
        "99999 imported (every channel number), the last one named as not read",
        "line 200000",
        "more than 99999 entries",
        channels=99_999,
    ),
    _imports(
        "20k non-Latin names",
        _non_latin,
        "20000 imported, each with its own id, in bounded time",
        "imported 20000 channel",
        channels=20_000,
    ),
    _imports(
        "URL schemes",
        _schemes,
        "file: outside the playlist's folder, javascript:, data:, ftp: skipped, "
        "each named by its line; the own file and the stream imported",
        "line 3: file: URL outside",
        "line 9: unsupported URL scheme 'javascript'",
        "line 11: unsupported URL scheme 'data'",
        "line 13: unsupported URL scheme 'ftp'",
        channels=2,
    ),
]
