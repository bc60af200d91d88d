"""The harness itself: a hang, a traceback, an accepted input and a crashing case each fail."""

import os
import time

from stb.reliability.harness import Case, Cli, Outcome, refused, run_case, run_cli


def test_refused_wants_a_nonzero_exit_a_named_problem_and_no_traceback():
    assert refused(Cli(1, "", "stb: channels.json: not UTF-8\n"), "not utf-8").ok
    assert not refused(Cli(0, "fine\n", ""), "x").ok
    assert not refused(Cli(1, "", "stb: something else\n"), "not UTF-8").ok
    assert not refused(Cli(1, "", "Traceback (most recent call last):\n  ...\nValueError: x\n")).ok
    assert "hung" in refused(Cli(None, "", "")).saw


def test_a_child_that_hangs_is_killed_and_reported(tmp_path):
    cli = run_cli(["lineup", "--help"], timeout=30)  # proves the child runs at all
    assert cli.code == 0 and "lineup" in cli.out
    fifo = tmp_path / "nobody-writes-here"
    os.mkfifo(fifo)
    stuck = run_cli(["lineup", "check", str(fifo)], timeout=1)  # opening a FIFO with no writer blocks
    assert stuck.hung
    assert "hung" in refused(stuck).saw


def test_a_hung_or_crashing_case_fails_and_the_state_dirs_point_into_the_scratch_folder(tmp_path, monkeypatch):
    seen = {}

    def looks(work):
        seen["state"] = os.environ["STB_STATE_DIR"]
        return Outcome(True, "fine")

    assert run_case(Case("x", "looks", "", looks), tmp_path / "a").ok
    assert seen["state"] == str(tmp_path / "a" / "state")
    hung = run_case(Case("x", "sleeps", "", lambda work: time.sleep(5) or Outcome(True, ""), seconds=0.2), tmp_path)
    assert not hung.ok and "hung" in hung.saw
    crashed = run_case(Case("x", "raises", "", lambda work: 1 / 0), tmp_path / "b")
    assert not crashed.ok and "ZeroDivisionError" in crashed.saw


def test_every_area_loads_and_each_case_has_its_own_name():
    from stb.reliability.catalog import all_cases

    cases = all_cases()
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids))
    assert {case.area for case in cases} == {"channels.json", "M3U", "XMLTV", "skins", "HTTP API", "mDNS", "streams",
                                             "faults", "trust", "pvr"}  # fmt: skip
    assert all(case.expect and case.seconds > 0 for case in cases)
