"""`check_lineup`: every rule, every problem at once, each at its JSON path."""

import pytest

from stb.lineup import Problem, check_lineup


def found(data) -> set[tuple[str, str]]:
    return {(p.path, p.severity) for p in check_lineup(data)}


def test_good_lineup_has_no_problems(good):
    assert check_lineup(good) == []


def test_duplicate_numbers_name_both_positions(good):
    good["channels"][2]["number"] = 1
    assert check_lineup(good) == [Problem("$.channels[2].number", "number 1 is also used by $.channels[0]")]


def test_duplicate_ids_name_both_positions(good):
    good["channels"][1]["id"] = "three"
    good["channels"][2]["id"] = "three"
    assert check_lineup(good) == [Problem("$.channels[2].id", "id 'three' is also used by $.channels[1]")]


def test_every_repeat_is_reported_against_the_first(good):
    for channel in good["channels"]:
        channel["number"] = 7
    assert [p.message for p in check_lineup(good)] == ["number 7 is also used by $.channels[0]"] * 2


@pytest.mark.parametrize(
    "url",
    [
        "http://example.test/a.ts",
        "HTTPS://example.test:8443/live/index.m3u8?token=a%20b",
        "udp://@239.1.1.1:5000",
        "udp://@:5000",  # VLC: listen on any address
        "rtp://239.0.0.1:5004",
        "rtsp://user:pw@cam.test:554/stream",
        "rtmp://live.test/app/key",
        "http://[::1]:8554/live/a.ts",
    ],
)
def test_stream_urls_that_play(good, url):
    good["channels"][0]["urls"] = [url]
    assert check_lineup(good) == []


@pytest.mark.parametrize(
    ("url", "severity", "text"),
    [
        ("file:///srv/tv/a.ts", "warning", "local file"),
        ("/srv/tv/a.ts", "error", "not a URL"),
        ("C:\\tv\\a.ts", "error", "not a URL"),
        ("a.ts", "error", "not a URL"),
        ("ftp://example.test/a.ts", "error", "unsupported URL scheme 'ftp'"),
        ("javascript:alert(1)", "error", "unsupported URL scheme"),
        ("http:///a.ts", "error", "no host"),
        ("http://", "error", "no host"),
        ("udp://", "error", "no host"),
        ("udp://@", "error", "no host"),
        ("http://example.test/a b.ts", "error", "whitespace"),
        (" http://example.test/a.ts", "error", "whitespace"),
        ("http://example.test/a.ts\n", "error", "whitespace"),
        ("", "error", "empty"),
        ("http://example.test:99999/a.ts", "error", "malformed URL"),
        ("http://[::1/a.ts", "error", "malformed URL"),
        ("http://example.test/a.ts|User-Agent=x", "warning", "headers"),
    ],
)
def test_bad_stream_urls(good, url, severity, text):
    good["channels"][1]["urls"] = ["http://example.test/ok.ts", url]
    problems = check_lineup(good)
    assert len(problems) == 1, problems
    assert problems[0].path == "$.channels[1].urls[1]"
    assert problems[0].severity == severity and text in problems[0].message


def test_duplicate_url_within_a_channel_is_a_warning(good):
    good["channels"][0]["urls"] = ["http://a.test/1", "http://a.test/2", "http://a.test/1"]
    assert check_lineup(good) == [Problem("$.channels[0].urls[2]", "same URL as $.channels[0].urls[0]", "warning")]


def test_same_url_on_two_channels_is_fine(good):
    good["channels"][1]["urls"] = good["channels"][0]["urls"]
    assert check_lineup(good) == []


@pytest.mark.parametrize("group", ["", "   "])
def test_empty_groups_are_warnings(good, group):
    good["channels"][1]["groups"] = ["News", group]
    assert check_lineup(good) == [Problem("$.channels[1].groups[1]", "empty group name", "warning")]


@pytest.mark.parametrize(
    "source",
    ["http://epg.test/g.xml", "https://epg.test/g.xml.gz", "/srv/g.xml", "guide.xml", "file:///g.xml", "C:\\g.xml"],
)
def test_guide_sources_that_are_paths_or_http_urls(good, source):
    good["guide_sources"] = [source]
    assert check_lineup(good) == []


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("ftp://epg.test/g.xml", "path or http(s) URL"),
        ("udp://@239.1.1.1:5000", "path or http(s) URL"),
        ("http:///g.xml", "no host"),
        ("http://epg.test/a b.xml", "whitespace"),
        ("", "empty"),
        ("http://[::1/g.xml", "malformed"),
    ],
)
def test_bad_guide_sources_are_errors(good, source, text):
    good["guide_sources"] = ["/srv/ok.xml", source]
    problems = check_lineup(good)
    assert [(p.path, p.severity) for p in problems] == [("$.guide_sources[1]", "error")]
    assert text in problems[0].message


def test_headers_must_be_safe_to_send(good):
    good["channels"][0]["headers"] = {"User Agent": "x", "Referer": "http://a\r\nX-Evil: 1", "X-Ok": "fine"}
    assert found(good) == {("$.channels[0].headers['User Agent']", "error"), ("$.channels[0].headers.Referer", "error")}


def test_every_problem_is_reported_in_one_run(good):
    """Schema errors do not hide the cross-field rules, and vice versa."""
    good["unknown"] = True
    good["guide_sources"].append("ftp://x.test/g.xml")
    good["channels"][0].update(name="", urls=["http://a.test/1", "http://a.test/1"], groups=[" "])
    good["channels"][1].update(number=1, id="one", urls=["ftp://x/y", "http:///nohost", "http://a b"], extra=1)
    good["channels"][2].update(number="three", id="one")
    assert found(good) == {
        ("$.unknown", "error"),
        ("$.guide_sources[2]", "error"),
        ("$.channels[0].name", "error"),
        ("$.channels[0].urls[1]", "warning"),
        ("$.channels[0].groups[0]", "warning"),
        ("$.channels[1].number", "error"),
        ("$.channels[1].id", "error"),
        ("$.channels[1].urls[0]", "error"),
        ("$.channels[1].urls[1]", "error"),
        ("$.channels[1].urls[2]", "error"),
        ("$.channels[1].extra", "error"),
        ("$.channels[2].number", "error"),
        ("$.channels[2].id", "error"),
    }


def test_problems_come_in_file_order(good):
    good["channels"] = [
        {"number": i + 1, "id": f"c{i}", "name": "C", "urls": ["http://a.test/x" if i % 5 else "ftp://a"]}
        for i in range(12)
    ]
    paths = [p.path for p in check_lineup(good)]
    assert paths == ["$.channels[0].urls[0]", "$.channels[5].urls[0]", "$.channels[10].urls[0]"]


def test_wrongly_typed_values_are_left_to_the_schema_check(good):
    good["channels"] = [None, {"number": True, "id": 5, "urls": "http://a", "groups": [3], "headers": []}]
    good["guide_sources"] = "x"
    problems = check_lineup(good)  # must not raise
    assert all(p.severity == "error" for p in problems)
    assert ("$.channels[0]", "error") in found(good)


def test_problem_prints_as_path_and_message():
    assert str(Problem("$.channels[3].urls[0]", "URL has no host")) == "$.channels[3].urls[0]: URL has no host"
    assert str(Problem("line 4", "odd", "warning")) == "line 4: warning: odd"
    assert Problem("$", "x").as_dict() == {"path": "$", "message": "x", "severity": "error"}
