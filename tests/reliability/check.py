"""Each area's test runs that area's cases, exactly as `stb bench reliability` does."""

from __future__ import annotations

import os

import pytest

from stb.reliability.harness import Case, run_case


def check_case(case: Case, tmp_path) -> None:
    if case.needs_root and os.geteuid() != 0:
        pytest.skip("needs root")
    if case.long:
        pytest.skip("a long case: `stb bench reliability` runs it")
    outcome = run_case(case, tmp_path / "work")
    assert outcome.ok, f"{case.id}: expected {case.expect}; saw {outcome.saw}"
    assert outcome.lost == 0, f"{case.id}: {outcome.lost} lost; {outcome.saw}"


def ids(case: Case) -> str:
    return case.name
