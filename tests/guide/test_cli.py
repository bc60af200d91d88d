import json
import subprocess
import sys

import pytest

from stb.cli import main
from stb.lineup.load import save_lineup
from stb.lineup.model import Channel, Lineup
from tests.guide.xmltv_docs import HOUR, document, programme


@pytest.fixture
def setup(tmp_path, write, now):
    guide = write("g.xml", document({"a.tv": ["Alpha"]}, [programme("a.tv", now, now + HOUR, "Alpha News")]))
    lineup = tmp_path / "channels.json"
    save_lineup(
        Lineup(name="t", guide_sources=[guide], channels=[
            Channel(number=7, id="alpha", name="Alpha", urls=["http://h.test/a"], guide_id="a.tv"),
            Channel(number=8, id="beta", name="Beta", urls=["http://h.test/b"]),
        ]),
        lineup,
    )  # fmt: skip
    return ["--lineup", str(lineup), "--db", str(tmp_path / "g.db")]


def test_import_from_the_lineups_sources_then_now_and_search(setup, capsys):
    assert main(["guide", "import", *setup, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["programmes"] == 1
    assert report["matching"] == {"matched": 1, "by_rule": {"guide id": 1, "guide name": 0, "channel name": 0},
                                  "unmatched": ["beta"]}  # fmt: skip
    assert main(["guide", "now", *setup, "--channel", "7", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["now"]["title"] == "Alpha News"
    assert main(["guide", "search", "news", *setup]) == 0
    assert "Alpha News" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["import", "--zone", "Nowhere/Land"], "unknown time zone"),
        (["import", "/nonexistent.xml"], "cannot read"),
        (["now", "--at", "tomorrow"], "--at wants"),
        (["now", "--channel", "99"], "no channel 99"),
    ],
)
def test_errors_are_one_line(setup, extra, message):
    if extra[0] == "now":
        main(["guide", "import", *setup])
    argv = [sys.executable, "-m", "stb", "guide", extra[0], *setup, *extra[1:]]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_no_guide_yet_says_how_to_get_one(tmp_path, setup):
    result = subprocess.run([sys.executable, "-m", "stb", "guide", "now", *setup], capture_output=True, text=True)
    assert result.returncode == 1 and "stb guide import" in result.stderr
