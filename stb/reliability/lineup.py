"""channels.json that is wrong in every way a hand-edited or generated file can be."""

from __future__ import annotations

import json
from pathlib import Path

from stb.reliability.harness import Case, Outcome, refused, run_cli

AREA = "channels.json"


def _check_file(name: str, content: bytes, *words: str) -> Case:
    def check(work: Path) -> Outcome:
        path = work / "channels.json"
        path.write_bytes(content)
        return refused(run_cli(["lineup", "check", str(path)]), *words)

    return Case(AREA, name, f"`stb lineup check` exits 1 naming {', '.join(words)}", check)


CASES = [
    _check_file(
        "wrong types",
        json.dumps({"name": 5, "channels": [{"number": "one", "id": [], "name": {}, "urls": "x"}]}).encode(),
        "$.channels[0].number",
    ),
    _check_file("not UTF-8", b'\xff\xfe{"channels": []}', "not UTF-8"),
]
