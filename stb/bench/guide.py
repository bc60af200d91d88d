"""`stb bench guide`: import speed and memory against a naive importer, then query latencies.

Each importer runs in a child process, so its peak RSS is its own (read from wait4's rusage). Beside
the synthetic guide (short English texts), a real-shaped one (six languages, three of them written
without spaces, long descriptions, credits) is imported and searched: the figure users see.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from stb.bench.synthetic import write_guide, write_real_guide
from stb.errors import StbError

if TYPE_CHECKING:
    from stb.guide.query import Guide


def _run_child(argv: list[str], work: Path) -> tuple[int, str]:
    """(peak RSS in MB, stdout) of a child process, its rusage read by wait4 (its own, not a sum)."""
    out_path, err_path = work / "child.out", work / "child.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        lines = err_path.read_text().strip().splitlines()
        raise StbError(f"guide benchmark: {' '.join(argv[1:4])} failed: {lines[-1] if lines else status}")
    return usage.ru_maxrss // 1024, out_path.read_text()


def _ours(xml: Path, db: Path) -> tuple[float, int, dict]:
    """(importer's own seconds, peak RSS MB, where the seconds went): start-up of the interpreter is not
    the importer's. The RSS is the importer's plus its parse workers' peaks (an upper bound: their peaks
    need not coincide), since wait4 gives only the largest of them."""
    db.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "stb", "guide", "import", str(xml), "--db", str(db), "--lineup", "/nonexistent",
            "--json"]  # fmt: skip
    rss, out = _run_child(argv, db.parent)
    report = json.loads(out)
    workers = sum(s.get("worker_rss_mb", 0) for s in report["sources"])
    return report["seconds"], rss + workers, {**report.get("phases", {}), "worker_rss_mb": workers}


def _naive(xml: Path, db: Path) -> tuple[float, int]:
    db.unlink(missing_ok=True)
    rss, out = _run_child([sys.executable, "-m", "stb.bench.naive_guide", str(xml), str(db)], db.parent)
    return float(out.split()[1]), rss


def _bare(xml: Path) -> float:
    """Seconds of lxml's bare parse of ``xml`` in one process (stb.bench.naive_guide --bare)."""
    _, out = _run_child([sys.executable, "-m", "stb.bench.naive_guide", "--bare", str(xml)], xml.parent)
    return float(out.split()[1])


def _import_row(path: Path, n: int, seconds: float, rss: int, phases: dict | None = None) -> dict:
    mb = path.stat().st_size / 1e6
    return {"file_mb": round(mb, 1), "programmes": n, "seconds": round(seconds, 2),
            "programmes_per_s": round(n / seconds), "mb_per_s": round(mb / seconds, 1), "peak_rss_mb": rss,
            "phases": phases or {}}  # fmt: skip


def _latencies(fn, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 2),
            "max_ms": round(samples[-1], 2)}  # fmt: skip


NOW_NEXT_STEP_S = 10  # the UI and the API ask again every few seconds; programmes change between questions


def _now_next(guide: Guide, now: float, runs: int) -> dict:
    """now/next for every channel as the box asks it, beside the same question asked of SQLite afresh.

    The box's figure: successive questions ``NOW_NEXT_STEP_S`` apart, so programmes start and end during
    the run and the questions that cross a boundary pay for it. The baseline, measured in the same run:
    the remembered answers dropped before each question (every channel read from SQLite, as at the
    half hour when every programme changes at once).
    """
    step = iter(range(runs))
    cache = guide.now_next_cache
    hits, misses = cache.hits, cache.misses
    asked = _latencies(lambda: guide.now_next(now + NOW_NEXT_STEP_S * next(step)), runs)
    hit_ratio = (cache.hits - hits) / max(1, cache.hits - hits + cache.misses - misses)

    def afresh() -> None:
        cache.clear()
        guide.now_next(now)

    fresh = _latencies(afresh, runs)
    return {
        **asked,
        "now_next_p99_ms": asked["p99_ms"],
        "seconds_covered": NOW_NEXT_STEP_S * runs,
        "remembered_share": round(hit_ratio, 3),
        "uncached": fresh,
        "p99_vs_uncached": round(asked["p99_ms"] / max(0.01, fresh["p99_ms"]), 2),
    }


def run(channels: int, days: int, scale: int, runs: int) -> dict:
    from stb.guide.query import Guide
    from stb.lineup.model import Channel, Lineup

    result: dict = {"channels": channels, "days": days}
    with tempfile.TemporaryDirectory(prefix="stb-bench-guide-") as tmp:
        work = Path(tmp)
        # The baseline parses a whole document into memory: give it a tenth of the channels.
        small, full = work / "small.xml", work / "full.xml"
        small_n = write_guide(small, max(1, channels // 10), days)
        full_n = write_guide(full, channels, days)
        sizes = [(small, small_n), (full, full_n)]
        if scale > 1:
            big = work / "big.xml"
            sizes.append((big, write_guide(big, channels * scale, days)))
        imports = [_import_row(path, n, *_ours(path, work / "g.db")) for path, n in sizes]
        naive_s, naive_rss = _naive(small, work / "naive.db")
        ours_small = imports[0]
        result["import"] = imports
        first, last = imports[0], imports[-1]
        result["memory_growth"] = {  # flat memory: RSS grows far less than the file does
            "file_x": round(last["file_mb"] / max(0.1, first["file_mb"]), 1),
            "peak_rss_x": round(last["peak_rss_mb"] / max(1, first["peak_rss_mb"]), 2),
        }
        result["naive_on_small"] = {"seconds": round(naive_s, 2), "programmes_per_s": round(small_n / naive_s),
                                    "peak_rss_mb": naive_rss}  # fmt: skip
        bare_s = _bare(full)  # the floor of one core: the parse alone, nothing read from it or stored
        result["bare_parse_on_full"] = {
            "seconds": round(bare_s, 2),
            "programmes_per_s": round(full_n / bare_s),
            "vs_ours": round(imports[1]["programmes_per_s"] / (full_n / bare_s), 2),
        }
        result["ratios_on_small"] = {
            "speed_vs_naive": round(ours_small["programmes_per_s"] / (small_n / naive_s), 2),
            "speedup_vs_naive": round(ours_small["programmes_per_s"] / (small_n / naive_s), 2),  # issue 23's key
            "rss_vs_naive": round(ours_small["peak_rss_mb"] / max(1, naive_rss), 2),
        }
        _ours(full, work / "g.db")  # queries run on the full guide
        lineup = Lineup(
            name="bench",
            channels=[Channel(number=c + 1, id=f"c{c}", name=f"Channel {c}", urls=["http://h.test/x"],
                              guide_id=f"ch{c}.bench") for c in range(channels)],
        )  # fmt: skip
        guide = Guide(work / "g.db", lineup)
        now = time.time()
        ids = [c.id for c in lineup.channels[:20]]
        result["queries"] = {
            "now_next_all_channels": _now_next(guide, now, runs),
            "grid_20ch_4h": _latencies(lambda: guide.window(ids, now, now + 4 * 3600), runs),
            "search": _latencies(lambda: guide.search("detective island", limit=50, after=now), runs),
        }
        guide.close()
        # Real guides are smaller and far wordier: a twentieth of the channels, about as many MB.
        result["real"] = _real_shaped(work, max(6, channels // 20), days, runs)
    return result


def _real_shaped(work: Path, channels: int, days: int, runs: int) -> dict:
    """Import and search figures on the real-shaped guide of ``channels`` channels."""
    from stb.bench.synthetic import LANGUAGES
    from stb.guide.query import Guide
    from stb.lineup.model import Channel, Lineup

    path, db = work / "real.xml", work / "real.db"
    n = write_real_guide(path, channels, days)
    row = _import_row(path, n, *_ours(path, db))
    langs = list(LANGUAGES)
    lineup = Lineup(
        name="bench",
        channels=[Channel(number=c + 1, id=f"r{c}", name=f"Real {c}", urls=["http://h.test/x"],
                          guide_id=f"real{c}.{langs[c % len(langs)]}") for c in range(channels)],
    )  # fmt: skip
    guide = Guide(db, lineup)
    now = time.time()
    searches = {"search_words": "weather report", "search_chinese": "新闻", "search_japanese": "ニュース",
                "search_thai": "ข่าว"}  # fmt: skip
    try:
        queries = {name: _latencies(lambda t=text: guide.search(t, limit=50, after=now), runs)
                   for name, text in searches.items()}  # fmt: skip
        found = {name: len(guide.search(text, limit=50, after=now)) for name, text in searches.items()}
        queries["now_next_all_channels"] = _now_next(guide, now, runs)
    finally:
        guide.close()
    return {"channels": channels, "import": row, "queries": queries, "found": found}


def render(d: dict) -> str:
    lines = [f"guide benchmark: {d['channels']} channels × {d['days']} days"]
    for i in d["import"]:
        lines.append(
            f"  import {i['file_mb']:>7.1f} MB: {i['programmes']:>9} programmes in {i['seconds']:6.2f} s = "
            f"{i['programmes_per_s']:>7}/s, {i['mb_per_s']:5.1f} MB/s, peak RSS {i['peak_rss_mb']} MB"
            f"{_phases(i.get('phases', {}))}"
        )
    g = d["memory_growth"]
    lines.append(f"  file grew {g['file_x']}x, importer's peak RSS grew {g['peak_rss_x']}x")
    n, r = d["naive_on_small"], d["ratios_on_small"]
    lines.append(f"  naive (etree + row inserts) on the small file: {n['programmes_per_s']}/s, "
                 f"peak RSS {n['peak_rss_mb']} MB -> ours is {r['speed_vs_naive']}x as fast "
                 f"with {r['rss_vs_naive']}x the memory")  # fmt: skip
    b = d["bare_parse_on_full"]
    lines.append(f"  lxml's bare parse of the full file in one process (nothing read or stored): "
                 f"{b['programmes_per_s']}/s -> ours is {b['vs_ours']}x that")  # fmt: skip
    for name, q in d["queries"].items():
        lines.append(f"  {name:<24} p50 {q['p50_ms']:7.2f} ms   p99 {q['p99_ms']:7.2f} ms{_now_next_extra(q)}")
    real = d["real"]
    i = real["import"]
    lines.append(
        f"  real-shaped guide ({real['channels']} channels, 6 languages, long texts, credits): {i['file_mb']:.1f} MB, "
        f"{i['programmes']} programmes "
        f"in {i['seconds']:.2f} s = {i['programmes_per_s']}/s, {i['mb_per_s']:.1f} MB/s, peak RSS {i['peak_rss_mb']} MB"
    )
    for name, q in real["queries"].items():
        found = f"   ({real['found'][name]} found)" if name in real["found"] else ""
        lines.append(f"  {name:<24} p50 {q['p50_ms']:7.2f} ms   p99 {q['p99_ms']:7.2f} ms{found}{_now_next_extra(q)}")
    return "\n".join(lines)


def _phases(p: dict) -> str:
    """Where an import's seconds went, and its parse workers' share of the RSS."""
    if not p:
        return ""
    steps = ", ".join(f"{name} {p[name]:.2f}" for name in ("read", "repair", "write", "search_index", "commit")
                      if name in p)  # fmt: skip
    return f"\n      ({steps} s; workers {p.get('worker_rss_mb', 0)} MB of the RSS)"


def _now_next_extra(q: dict) -> str:
    """For now/next: how much was remembered over the minutes asked, and the uncached baseline beside it."""
    if "uncached" not in q:
        return ""
    u = q["uncached"]
    return (
        f", max {q['max_ms']:.2f} ms   (over {q['seconds_covered'] // 60} min, {q['remembered_share']:.0%} "
        f"remembered; asked of SQLite afresh: p50 {u['p50_ms']:.2f} ms, p99 {u['p99_ms']:.2f} ms)"
    )
