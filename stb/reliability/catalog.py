"""Every area's cases, imported only when asked for (some areas pull in libVLC or zeroconf)."""

from __future__ import annotations

import importlib

from stb.reliability.harness import Case

AREA_MODULES = (
    "stb.reliability.lineup",
    "stb.reliability.guide",
    "stb.reliability.skins",
    "stb.reliability.api",
    "stb.reliability.trust",
    "stb.reliability.pairing",
    "stb.reliability.escapes",
    "stb.reliability.redirects",
    "stb.reliability.trust_streams",
    "stb.reliability.mdns",
    "stb.reliability.streams",
    "stb.reliability.faults",
    "stb.reliability.pvr",
    "stb.reliability.recordings",
)


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for name in AREA_MODULES:
        cases.extend(importlib.import_module(name).CASES)
    return cases
