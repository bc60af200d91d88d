import json
from pathlib import Path

import pytest

from stb.errors import StbError
from stb.headend.catalog import demo_lineup
from stb.lineup.check import check_data, check_file
from stb.lineup.load import load_lineup, save_lineup
from stb.lineup.model import json_schema

ROOT = Path(__file__).resolve().parents[2]


def good() -> dict:
    return {
        "name": "Home",
        "channels": [
            {"number": 1, "id": "one", "name": "One", "urls": ["http://example.test/1.ts"]},
            {"number": 2, "id": "two", "name": "Two", "urls": ["udp://@239.1.1.1:5000"], "groups": ["News"]},
        ],
    }


def test_shipped_schema_is_in_sync_with_the_model():
    shipped = json.loads((ROOT / "stb/lineup/channels.schema.json").read_text())
    assert shipped == json_schema()


def test_committed_demo_lineup_is_valid_and_current():
    assert check_file(ROOT / "channels.json") == []
    assert load_lineup(ROOT / "channels.json") == demo_lineup()


def test_save_then_load_is_lossless(tmp_path):
    lineup = demo_lineup("10.0.0.5", 9000)
    save_lineup(lineup, tmp_path / "c.json")
    assert load_lineup(tmp_path / "c.json") == lineup


def test_good_lineup_has_no_problems():
    assert check_data(good()) == []


@pytest.mark.parametrize(
    ("mutate", "path", "text"),
    [
        (lambda d: d["channels"][1].update(number="two"), "$.channels[1].number", "integer"),
        (lambda d: d["channels"][0].pop("urls"), "$.channels[0].urls", "required"),
        (lambda d: d["channels"][0].update(colour="red"), "$.channels[0].colour", "unknown field"),
        (lambda d: d.update(extra=1), "$.extra", "unknown field"),
        (lambda d: d["channels"][0].update(id="has space"), "$.channels[0].id", "pattern"),
        (lambda d: d["channels"][0].update(urls=[]), "$.channels[0].urls", "at least 1"),
    ],
)
def test_schema_problems_carry_json_paths(mutate, path, text):
    data = good()
    mutate(data)
    problems = check_data(data)
    assert any(p.path == path and text in p.message for p in problems), problems


def test_every_semantic_problem_is_reported_at_once():
    data = good()
    data["channels"][1].update(number=1, id="one", urls=["ftp://x/y", "http:///nohost", "http://a b"])
    data["channels"][0]["urls"] += ["http://example.test/1.ts"]
    data["channels"][0]["groups"] = [" "]
    found = {(p.path, p.severity) for p in check_data(data)}
    assert ("$.channels[1].number", "error") in found
    assert ("$.channels[1].id", "error") in found
    assert ("$.channels[1].urls[0]", "error") in found
    assert ("$.channels[1].urls[1]", "error") in found
    assert ("$.channels[1].urls[2]", "error") in found
    assert ("$.channels[0].urls[1]", "warning") in found
    assert ("$.channels[0].groups[0]", "warning") in found
    duplicate = next(p for p in check_data(data) if p.path == "$.channels[1].number")
    assert "$.channels[0]" in duplicate.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{", "invalid JSON at line 1 column 2"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ],
)
def test_unreadable_files_are_one_problem(tmp_path, content, expected):
    path = tmp_path / "c.json"
    path.write_bytes(content)
    problems = check_file(path)
    assert len(problems) == 1 and expected in problems[0].message


def test_load_names_the_first_problem_and_the_count(tmp_path):
    data = good()
    data["channels"][1]["number"] = 1
    data["channels"][1]["id"] = "one"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    with pytest.raises(StbError, match=r"\$\.channels\[1\]\.number: .*\(1 more; run `stb lineup check"):
        load_lineup(path)


def test_missing_lineup_says_how_to_make_one(tmp_path):
    with pytest.raises(StbError, match="stb lineup import"):
        load_lineup(tmp_path / "nope.json")
