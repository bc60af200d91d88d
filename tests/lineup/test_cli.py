"""`stb lineup …` through `stb.cli.main`: exit codes, one-line errors, parseable --json."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stb.cli import main
from stb.lineup import json_schema, load_lineup

PLAYLIST = (
    '#EXTM3U url-tvg="http://epg.test/g.xml"\n'
    '#EXTINF:-1 tvg-chno="3",Three\nhttp://a.test/3.ts\n'
    "#EXTINF:-1 no comma\nhttp://a.test/broken.ts\n"
    "#EXTINF:-1,Four\nhttp://a.test/4.ts\n"
)
STB = Path(sys.executable).with_name("stb")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, text: str) -> None:
    assert code == 1 and out == ""
    assert err.startswith("stb: ") and err.count("\n") == 1 and text in err, err


# --- check ---------------------------------------------------------------------------------------


def test_check_clean_file(write, good, capsys):
    path = write("c.json", json.dumps(good))
    assert run(capsys, "lineup", "check", str(path)) == (0, f"{path}: OK\n", "")


def test_check_prints_each_problem_and_a_summary_and_exits_1(write, good, capsys):
    good["channels"][1].update(number=1, urls=["ftp://x.test/a"], groups=[""])
    path = write("c.json", json.dumps(good))
    code, out, err = run(capsys, "lineup", "check", str(path))
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "$.channels[1].number: number 1 is also used by $.channels[0]",
        "$.channels[1].urls[0]: unsupported URL scheme 'ftp' in 'ftp://x.test/a' "
        "(use http, https, mms, mmsh, mmst, mmsu, rtmp, rtp, rtsp, udp)",
        "$.channels[1].groups[0]: warning: empty group name",
        f"{path}: 2 error(s), 1 warning(s)",
    ]


def test_check_with_warnings_only_exits_0(write, good, capsys):
    good["channels"][0]["urls"] = ["file:///srv/a.ts"]
    code, out, _ = run(capsys, "lineup", "check", str(write("c.json", json.dumps(good))))
    assert code == 0 and out.strip().endswith("0 error(s), 1 warning(s)")


def test_check_json(write, good, capsys):
    good["channels"][2]["id"] = "one"
    code, out, _ = run(capsys, "lineup", "check", str(write("c.json", json.dumps(good))), "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and (report["errors"], report["warnings"]) == (1, 0)
    assert report["problems"] == [
        {"path": "$.channels[2].id", "message": "id 'one' is also used by $.channels[0]", "severity": "error"}
    ]


def test_check_json_of_a_good_file(write, good, capsys):
    code, out, _ = run(capsys, "lineup", "check", "--json", str(write("c.json", json.dumps(good))))
    assert code == 0 and json.loads(out)["ok"] is True and json.loads(out)["problems"] == []


def test_check_broken_json_is_a_problem_with_line_and_column(write, capsys):
    code, out, _ = run(capsys, "lineup", "check", str(write("c.json", '{\n  "name": \n}')))
    assert code == 1 and out.startswith("$: invalid JSON at line 3 column 1: Expecting value\n")


@pytest.mark.parametrize(
    ("target", "text"), [("missing.json", "not found"), (".", "is a directory")], ids=["missing", "directory"]
)
def test_check_of_what_is_not_a_file_is_a_one_line_error(tmp_path, capsys, target, text):
    assert_one_line_error(*run(capsys, "lineup", "check", str(tmp_path / target)), text)


# --- import --------------------------------------------------------------------------------------


def test_import_writes_a_lineup_and_reports_problems_by_line(write, tmp_path, capsys):
    out_path = tmp_path / "channels.json"
    code, out, err = run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "-o", str(out_path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "line 4: #EXTINF without ',' and a channel name; entry skipped",
        f"imported 2 channel(s) into {out_path}, 1 problem(s)",
    ]
    lineup = load_lineup(out_path)
    assert (lineup.name, [c.number for c in lineup.channels]) == ("p", [3, 4])
    assert run(capsys, "lineup", "check", str(out_path))[0] == 0


def test_import_without_output_prints_the_lineup_and_reports_on_stderr(write, capsys):
    code, out, err = run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "--name", "Den")
    assert code == 0
    assert json.loads(out)["name"] == "Den"
    assert err.splitlines()[-1] == "imported 2 channel(s), 1 problem(s)"


def test_import_json_report(write, tmp_path, capsys):
    out_path = tmp_path / "c.json"
    code, out, _ = run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "-o", str(out_path), "--json")
    report = json.loads(out)
    assert code == 0 and report["channels"] == 2 and report["output"] == str(out_path)
    assert report["guide_sources"] == ["http://epg.test/g.xml"]
    assert [p["path"] for p in report["problems"]] == ["line 4"]


def test_import_json_without_output_keeps_stdout_a_lineup(write, capsys):
    code, out, err = run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "--json")
    assert code == 0 and json.loads(out)["channels"][0]["name"] == "Three"
    assert json.loads(err)["channels"] == 2


def test_import_refuses_to_overwrite_without_force(write, capsys):
    out_path = write("channels.json", "precious")
    playlist = write("p.m3u", PLAYLIST)
    assert_one_line_error(*run(capsys, "lineup", "import", str(playlist), "-o", str(out_path)), "use --force")
    assert out_path.read_text() == "precious"
    assert run(capsys, "lineup", "import", str(playlist), "-o", str(out_path), "--force")[0] == 0
    assert load_lineup(out_path).name == "p"


def test_import_into_a_directory_is_a_one_line_error(write, tmp_path, capsys):
    code, out, err = run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "-o", str(tmp_path), "--force")
    assert_one_line_error(code, out, err, "is a directory")


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"\x00\x01\x02\x03junk", "not a playlist (binary data)"),
        (b"#EXTM3U\n", "no channel could be imported"),
        (b"#EXTM3U\n#EXTINF:-1,A\nftp://x/y\n", "no channel could be imported from"),
    ],
)
def test_import_of_junk_is_a_one_line_error(write, capsys, content, text):
    assert_one_line_error(*run(capsys, "lineup", "import", str(write("p.m3u", content))), text)


def test_a_broken_extinf_is_reported_with_its_real_reason_not_the_missing_header(write, capsys):
    code, out, err = run(capsys, "lineup", "import", str(write("p.m3u", "#EXTINF:-1 tvg-id=x\nhttp://a.test/1\n")))
    assert_one_line_error(code, out, err, "line 1: #EXTINF without ',' and a channel name")


REVISION_1 = "#EXTM3U\n" + "".join(
    f"#EXTINF:-1,{name}\nhttp://radio.test/{i}.mp3\n" for i, name in enumerate(["新闻", "音乐", "Радио", "ข่าว"])
)
REVISION_2 = "#EXTM3U\n" + "".join(  # reordered, one gone, two new (one named like an old one)
    f"#EXTINF:-1,{name}\nhttp://radio.test/{i}.mp3\n"
    for i, name in [(9, "体育"), (3, "ข่าว"), (0, "新闻"), (2, "Радио"), (8, "新闻")]
)


def test_reimport_over_the_lineup_keeps_the_ids_of_channels_still_there(write, tmp_path, capsys):
    out_path = tmp_path / "channels.json"
    assert run(capsys, "lineup", "import", str(write("v1.m3u", REVISION_1)), "-o", str(out_path))[0] == 0
    before = {c.urls[0]: c.id for c in load_lineup(out_path).channels}
    code, out, _ = run(capsys, "lineup", "import", str(write("v2.m3u", REVISION_2)), "-o", str(out_path), "--force")
    after = {c.urls[0]: c.id for c in load_lineup(out_path).channels}
    assert code == 0 and out.splitlines()[-1].endswith(f"3 channel(s) still there kept their ids from {out_path}")
    assert {url: after[url] for url in before if url in after} == {url: before[url] for url in after if url in before}
    assert after["http://radio.test/8.mp3"] not in before.values()  # the new 新闻 is another station


def test_previous_names_the_lineup_whose_ids_are_kept(write, tmp_path, capsys):
    old = tmp_path / "old.json"
    run(capsys, "lineup", "import", str(write("v1.m3u", REVISION_1)), "-o", str(old))
    code, out, err = run(capsys, "lineup", "import", str(write("v2.m3u", REVISION_2)), "--previous", str(old), "--json")
    assert code == 0 and json.loads(err)["ids_kept"] == 3
    ids = {c["urls"][0]: c["id"] for c in json.loads(out)["channels"]}
    assert ids["http://radio.test/0.mp3"] == load_lineup(old).channels[0].id


def test_import_of_missing_or_directory_is_a_one_line_error(tmp_path, capsys):
    assert_one_line_error(*run(capsys, "lineup", "import", str(tmp_path / "no.m3u")), "not found")
    assert_one_line_error(*run(capsys, "lineup", "import", str(tmp_path)), "is a directory")


# --- export --------------------------------------------------------------------------------------


def test_export_defaults_to_channels_json_here(write, tmp_path, monkeypatch, capsys):
    run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "-o", str(tmp_path / "channels.json"))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "lineup", "export")
    assert (code, err) == (0, "")
    assert out.startswith('#EXTM3U url-tvg="http://epg.test/g.xml"\n#EXTINF:-1 tvg-chno="3" stb-id="three",Three\n')


def test_export_to_a_file_with_a_guide_url(write, tmp_path, capsys):
    run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "-o", str(tmp_path / "c.json"))
    out_path = tmp_path / "out.m3u"
    argv = ["lineup", "export", str(tmp_path / "c.json"), "-o", str(out_path), "--guide-url", "http://h/x.xml"]
    assert run(capsys, *argv) == (0, "", "")
    assert out_path.read_text("utf-8").startswith('#EXTM3U url-tvg="http://h/x.xml"\n')


def test_export_then_import_through_the_cli_is_the_same_lineup(write, tmp_path, capsys):
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    run(capsys, "lineup", "import", str(write("p.m3u", PLAYLIST)), "-o", str(first))
    run(capsys, "lineup", "export", str(first), "-o", str(tmp_path / "p.m3u"))
    run(capsys, "lineup", "import", str(tmp_path / "p.m3u"), "-o", str(second))
    assert load_lineup(first) == load_lineup(second)


def test_export_of_a_missing_or_bad_lineup_is_a_one_line_error(write, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(*run(capsys, "lineup", "export"), "channels.json not found")
    bad = write("bad.json", '{"name": "x", "channels": [{"number": 1}]}')
    expected = "$.channels[0].id: required field is missing (2 more; run `stb lineup check"
    assert_one_line_error(*run(capsys, "lineup", "export", str(bad)), expected)


def test_export_will_not_overwrite_its_own_input(write, good, capsys):
    path = write("c.json", json.dumps(good))
    assert_one_line_error(*run(capsys, "lineup", "export", str(path), "-o", str(path)), "refusing")
    assert json.loads(path.read_text()) == good


# --- schema --------------------------------------------------------------------------------------


def test_schema_prints_the_json_schema(capsys):
    code, out, _ = run(capsys, "lineup", "schema")
    assert code == 0 and json.loads(out) == json_schema()


def test_schema_to_a_file(tmp_path, capsys):
    assert run(capsys, "lineup", "schema", "-o", str(tmp_path / "s.json")) == (0, "", "")
    assert json.loads((tmp_path / "s.json").read_text("utf-8")) == json_schema()


# --- the installed command -----------------------------------------------------------------------


def test_installed_stb_lineup_check_on_a_bad_file_shows_no_traceback(write):
    bad = write("c.json", b'{"name": "x", "channels": [{"number": 1, "id": "a b", "name": "", "urls": ["x"]}]}')
    result = subprocess.run([str(STB), "lineup", "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.splitlines() == [
        "$.channels[0].id: String should match pattern '^[A-Za-z0-9][A-Za-z0-9._-]*$'",
        "$.channels[0].name: String should have at least 1 character",
        "$.channels[0].urls[0]: not a URL: 'x' (write a local file as file:///path)",
        f"{bad}: 3 error(s), 0 warning(s)",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["lineup", "check", "/nonexistent/channels.json"],
        ["lineup", "check", "/"],
        ["lineup", "import", "/nonexistent/p.m3u"],
        ["lineup", "import", "/"],
        ["lineup", "import", sys.executable],
        ["lineup", "export", "/nonexistent/channels.json"],
        ["lineup", "export", "/"],
        ["lineup", "export", sys.executable],
        ["lineup", "schema", "-o", "/"],
    ],
)
def test_installed_stb_errors_are_one_line_without_traceback(argv):
    result = subprocess.run([str(STB), *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result
    assert result.stderr.startswith("stb: ") and result.stderr.count("\n") == 1, result.stderr


def test_help_for_every_lineup_action():
    for action in ("check", "import", "export", "schema"):
        result = subprocess.run([str(STB), "lineup", action, "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "usage: stb lineup" in result.stdout
