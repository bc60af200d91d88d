import json
import subprocess
import sys

import pytest

from stb.cli import main

PLAYLIST = '#EXTM3U url-tvg="http://epg.test/g.xml"\n#EXTINF:-1 tvg-chno="3",Three\nhttp://a.test/3.ts\n'


def test_import_writes_a_lineup_that_checks_clean(tmp_path, capsys):
    (tmp_path / "p.m3u").write_text(PLAYLIST)
    out = tmp_path / "channels.json"
    assert main(["lineup", "import", str(tmp_path / "p.m3u"), "-o", str(out)]) == 0
    assert "imported 1 channels" in capsys.readouterr().out
    assert main(["lineup", "check", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["problems"] == []


def test_import_refuses_to_overwrite_without_force(tmp_path, capsys):
    (tmp_path / "p.m3u").write_text(PLAYLIST)
    out = tmp_path / "channels.json"
    out.write_text("precious")
    assert main(["lineup", "import", str(tmp_path / "p.m3u"), "-o", str(out)]) == 1
    assert "use --force" in capsys.readouterr().err
    assert out.read_text() == "precious"


def test_export_round_trips_through_the_cli(tmp_path, capsys):
    (tmp_path / "p.m3u").write_text(PLAYLIST)
    main(["lineup", "import", str(tmp_path / "p.m3u"), "-o", str(tmp_path / "c.json")])
    capsys.readouterr()
    assert main(["lineup", "export", str(tmp_path / "c.json")]) == 0
    text = capsys.readouterr().out
    assert text.startswith('#EXTM3U url-tvg="http://epg.test/g.xml"')
    assert "http://a.test/3.ts" in text


def test_check_reports_each_problem_and_exits_1(tmp_path, capsys):
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"name": "x", "channels": [{"number": 1, "id": "a", "name": "A", "urls": ["x"]}] * 2}))
    assert main(["lineup", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "$.channels[0].urls[0]: error:" in out
    assert "$.channels[1].number: error: number 1 is also used by $.channels[0]" in out
    assert out.strip().endswith("error(s), 0 warning(s)")


@pytest.mark.parametrize(
    "argv",
    [
        ["lineup", "check", "/nonexistent/channels.json"],
        ["lineup", "import", "/nonexistent/p.m3u"],
        ["lineup", "import", "/"],
        ["lineup", "import", "/bin/sh"],
        ["lineup", "export", "/nonexistent/channels.json"],
    ],
)
def test_errors_are_one_line_without_traceback(argv):
    result = subprocess.run([sys.executable, "-m", "stb", *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("stb: ") or result.stdout.strip().endswith("warning(s)")


def test_help_everywhere():
    for argv in (["--help"], ["lineup", "--help"], ["lineup", "import", "--help"], ["run", "--help"],
                 ["headend", "--help"]):  # fmt: skip
        result = subprocess.run([sys.executable, "-m", "stb", *argv], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "usage: stb" in result.stdout
