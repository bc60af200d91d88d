"""`stb bench reliability`: every hostile-input and fault case, bounded, as a table of tried / passed / lost.

The cases are the same ones the test suite runs (``stb.reliability``); here they run one after the
other in this process, each with its own scratch folder and time limit, and the report counts them
per area. Cases that need root (network namespaces, a small tmpfs for "disk full") are counted as
skipped when not root, and the long ones (a 256 MB playlist) with ``--short``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from stb.reliability.catalog import all_cases
from stb.reliability.harness import Case, run_case


def run(areas: list[str] | None = None, names: list[str] | None = None, short: bool = False) -> dict:
    cases = [c for c in all_cases() if _chosen(c, areas, names)]
    root = os.geteuid() == 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="stb-bench-reliability-") as scratch:
        for index, case in enumerate(cases):
            skip = "needs root" if case.needs_root and not root else "long (--short)" if case.long and short else None
            if skip:
                rows.append({"area": case.area, "case": case.name, "result": "skipped", "lost": 0,
                             "saw": skip, "seconds": 0.0})  # fmt: skip
                continue
            began = time.monotonic()
            outcome = run_case(case, Path(scratch) / f"case-{index}")
            rows.append({
                "area": case.area, "case": case.name, "expect": case.expect,
                "result": "passed" if outcome.ok and not outcome.lost else "FAILED",
                "lost": outcome.lost, "saw": outcome.saw, "seconds": round(time.monotonic() - began, 2),
            })  # fmt: skip
    return {"cases": rows, "areas": _per_area(rows)}


def _chosen(case: Case, areas: list[str] | None, names: list[str] | None) -> bool:
    """In one of ``areas`` and named like one of ``names`` (case-insensitive; none given: every case)."""
    in_area = not areas or case.area.lower() in {a.lower() for a in areas}
    return in_area and (not names or any(n.lower() in case.id.lower() for n in names))


def _per_area(rows: list[dict]) -> list[dict]:
    areas: dict[str, dict] = {}
    for row in rows:
        a = areas.setdefault(row["area"], {"area": row["area"], "tried": 0, "passed": 0, "skipped": 0,
                                           "lost": 0, "seconds": 0.0})  # fmt: skip
        if row["result"] == "skipped":
            a["skipped"] += 1
            continue
        a["tried"] += 1
        a["passed"] += row["result"] == "passed"
        a["lost"] += row["lost"]
        a["seconds"] = round(a["seconds"] + row["seconds"], 1)
    return list(areas.values())


def failed(report: dict) -> bool:
    return any(row["result"] == "FAILED" for row in report["cases"])


def render(report: dict) -> str:
    lines = [f"{'area':<14} {'tried':>5} {'passed':>6} {'lost':>4} {'skipped':>7} {'seconds':>8}"]
    total = {"tried": 0, "passed": 0, "lost": 0, "skipped": 0, "seconds": 0.0}
    for a in report["areas"]:
        lines.append(f"{a['area']:<14} {a['tried']:>5} {a['passed']:>6} {a['lost']:>4} {a['skipped']:>7} "
                     f"{a['seconds']:>8.1f}")  # fmt: skip
        for key in total:
            total[key] += a[key]
    lines.append(f"{'all':<14} {total['tried']:>5} {total['passed']:>6} {total['lost']:>4} {total['skipped']:>7} "
                 f"{total['seconds']:>8.1f}")  # fmt: skip
    bad = [row for row in report["cases"] if row["result"] == "FAILED"]
    if bad:
        lines += ["", "failed:"] + [f"  {r['area']}: {r['case']}: {r['saw']} (lost {r['lost']})" for r in bad]
    return "\n".join(lines)
