"""channels.json: the shipped schema, loading with one-line errors, lossless saving, JSON paths."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from stb.errors import StbError
from stb.headend.catalog import demo_lineup
from stb.lineup import Lineup, check_lineup, json_schema, load_lineup, save_lineup
from stb.lineup.check import json_path
from tests.lineup.strategies import lineups

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_schema_is_in_sync_with_the_model():
    shipped = json.loads((ROOT / "stb/lineup/channels.schema.json").read_text("utf-8"))
    assert shipped == json_schema(), "run `stb lineup schema -o stb/lineup/channels.schema.json`"


def test_schema_forbids_unknown_fields_and_documents_the_file():
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Channel"]["additionalProperties"] is False
    assert "$schema" in schema["properties"]
    assert schema["required"] == ["name"]


def test_committed_demo_lineup_is_valid_and_current():
    assert check_lineup(ROOT / "channels.json") == []
    assert load_lineup(ROOT / "channels.json") == demo_lineup()


def test_a_valid_file_loads(write, good):
    lineup = load_lineup(write("channels.json", json.dumps(good)))
    assert lineup.schema_ == "./channels.schema.json"
    assert [c.id for c in lineup.channels] == ["one", "two", "three"]
    assert lineup.by_number(2).groups == ["News"]


def test_a_byte_order_mark_is_accepted(write, good):
    assert load_lineup(write("c.json", b"\xef\xbb\xbf" + json.dumps(good).encode())).name == "Home"


def test_save_then_load_is_lossless_for_the_demo(tmp_path):
    lineup = demo_lineup("10.0.0.5", 9000)
    save_lineup(lineup, tmp_path / "c.json")
    assert load_lineup(tmp_path / "c.json") == lineup


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(lineups(m3u_only=False))
def test_save_then_load_is_lossless(tmp_path, lineup: Lineup):
    path = tmp_path / "c.json"
    save_lineup(lineup, path)
    assert load_lineup(path) == lineup


def test_saved_file_is_short_pretty_and_keeps_schema(tmp_path, good):
    lineup = Lineup.model_validate(good)
    save_lineup(lineup, tmp_path / "c.json")
    text = (tmp_path / "c.json").read_text("utf-8")
    assert text.startswith('{\n  "$schema": "./channels.schema.json",\n  "name": "Home"')
    assert "guide_shift" not in text and "locked" not in text and "headers" not in text  # defaults left out
    assert json.loads(text) == good


@pytest.mark.parametrize(
    ("mutate", "path", "text"),
    [
        (lambda d: d["channels"][1].update(number="two"), "$.channels[1].number", "integer"),
        (lambda d: d["channels"][1].update(number=0), "$.channels[1].number", "greater than or equal to 1"),
        (lambda d: d["channels"][0].pop("urls"), "$.channels[0].urls", "required field is missing"),
        (lambda d: d.pop("name"), "$.name", "required field is missing"),
        (lambda d: d["channels"][0].update(colour="red"), "$.channels[0].colour", "unknown field"),
        (lambda d: d.update(extra=1), "$.extra", "unknown field"),
        (lambda d: d.update(headend={"port": 8554, "tls": True}), "$.headend.tls", "unknown field"),
        (lambda d: d.update(headend={"port": 0}), "$.headend.port", "greater than or equal to 1"),
        (lambda d: d["channels"][0].update(id="has space"), "$.channels[0].id", "pattern"),
        (lambda d: d["channels"][0].update(urls=[]), "$.channels[0].urls", "at least 1"),
        (lambda d: d["channels"][2]["urls"].append(7), "$.channels[2].urls[2]", "valid string"),
        (lambda d: d["channels"][0].update(headers={"User-Agent": 1}), "$.channels[0].headers['User-Agent']", "string"),
        (lambda d: d.update({"$schema": 3}), "$['$schema']", "valid string"),
        (lambda d: d.update(channels={}), "$.channels", "valid list"),
        (lambda d: d["channels"][0].update(guide_shift=30), "$.channels[0].guide_shift", "less than or equal to 24"),
    ],
)
def test_each_kind_of_bad_file_gives_its_problem_at_its_json_path(good, mutate, path, text):
    mutate(good)
    problems = check_lineup(good)
    assert any(p.path == path and text in p.message and p.severity == "error" for p in problems), problems


def test_top_level_must_be_an_object():
    assert [(p.path, p.message) for p in check_lineup([])] == [("$", "top level must be a JSON object")]


def test_json_path_quotes_keys_that_are_not_identifiers():
    assert json_path(("channels", 3, "urls", 0)) == "$.channels[3].urls[0]"
    assert json_path(("a b", "it's")) == "$['a b']['it\\'s']"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "invalid JSON at line 1 column 1"),
        (b'{\n  "name": "x",\n  "channels": [,]\n}', "invalid JSON at line 3 column 16"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b'{"name": "x", "channels": [{"number": ' + b"9" * 5000 + b"}]}", "number is too long"),
    ],
)
def test_unreadable_content_is_one_problem_at_the_root(write, content, expected):
    for source in (write("c.json", content), content):
        problems = check_lineup(source)
        assert len(problems) == 1 and problems[0].path == "$" and expected in problems[0].message


def test_check_accepts_a_path_a_string_bytes_data_or_a_lineup(write, good):
    path = write("c.json", json.dumps(good))
    for source in (path, str(path), path.read_bytes(), good, Lineup.model_validate(good)):
        assert check_lineup(source) == []


def test_load_names_the_first_problem_and_how_many_more(write, good):
    good["channels"][1].update(number=1, id="one")
    path = write("c.json", json.dumps(good))
    with pytest.raises(StbError) as info:
        load_lineup(path)
    message = str(info.value)
    assert message == (
        f"{path}: $.channels[1].number: number 1 is also used by $.channels[0] (1 more; run `stb lineup check {path}`)"
    )
    assert "\n" not in message


def test_load_with_a_single_problem_does_not_mention_more(write, good):
    good["channels"][0]["urls"] = ["ftp://x.test/a"]
    with pytest.raises(StbError, match=r"\$\.channels\[0\]\.urls\[0\]: unsupported URL scheme 'ftp'") as info:
        load_lineup(write("c.json", json.dumps(good)))
    assert "more" not in str(info.value)


def test_load_ignores_warnings(write, good):
    good["channels"][0]["groups"] = [""]
    assert load_lineup(write("c.json", json.dumps(good))).channels[0].groups == [""]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\xff binary", r"c\.json: not UTF-8 text \(bad byte at offset 2\)"),
        (b'{"name": "x",}', r"c\.json: invalid JSON at line 1 column 14: "),
    ],
)
def test_load_errors_are_one_line(write, content, expected):
    with pytest.raises(StbError, match=expected):
        load_lineup(write("c.json", content))


def test_missing_lineup_says_how_to_make_one(tmp_path):
    with pytest.raises(StbError, match=r"not found \(make one with `stb lineup import PLAYLIST.m3u"):
        load_lineup(tmp_path / "nope.json")


def test_a_directory_is_not_a_lineup(tmp_path):
    with pytest.raises(StbError, match="is a directory"):
        load_lineup(tmp_path)
