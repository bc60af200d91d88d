"""`stb skin check`'s layout warnings: a skin's screens drawn off-screen and judged by the sofa rules."""

from __future__ import annotations

from pathlib import Path

from stb.lineup.check import Problem
from stb.skin.resolve import ResolvedSkin


def layout_warnings(resolved: ResolvedSkin) -> list[Problem]:
    """Every preview screen drawn with the skin, judged by the sofa rules (stb.ui.layoutrules): text too small
    at 3 m, outside the title-safe area, under a toast, or cut with room to spare."""
    import os
    import tempfile
    import time

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # drawn off-screen: no window opens
    from stb.ui import preview

    warnings = []
    with tempfile.TemporaryDirectory(prefix="stb-skin-check-") as work:
        for name in preview.SCREENS:
            by_rule: dict[str, list] = {}
            for finding in preview.findings(name, Path(work) / name, resolved.theme, time.time()):
                by_rule.setdefault(finding.rule, []).append(finding)
            for found in by_rule.values():  # a few examples per rule and screen, not one line per text
                for finding in found[:3]:
                    warnings.append(Problem(f"{resolved.name}: screen {name}", str(finding), "warning"))
                if len(found) > 3:
                    warnings.append(
                        Problem(
                            f"{resolved.name}: screen {name}",
                            f"{found[0].rule}: and {len(found) - 3} more like these",
                            "warning",
                        )
                    )
    return warnings
