"""`stb bench kodi`'s pieces that need no Kodi: the throw-away Kodi home it writes (nothing that announces
itself is left on; IPTV Simple pointed at the box with the token intact) and its report's text."""

from __future__ import annotations

from lxml import etree

from stb.bench import kodi


def _settings(path) -> dict[str, str]:
    return {s.get("id"): s.text or "" for s in etree.parse(str(path)).iter("setting")}


def test_kodi_home_turns_off_what_announces_and_points_iptv_simple_at_the_box(tmp_path):
    playlist = "http://127.0.0.1:8600/playlist.m3u?token=a&b<c"
    guide = "http://127.0.0.1:8600/xmltv.xml?token=a&b<c"
    userdata = kodi.write_kodi_home(tmp_path, playlist, guide)
    gui = _settings(userdata / "guisettings.xml")
    for announcing in ("services.zeroconf", "services.upnp", "services.upnpserver", "services.upnprenderer",
                       "services.esenabled", "services.airplay", "services.wsdiscovery"):  # fmt: skip
        assert gui[announcing] == "false", announcing
    assert (gui["services.webserver"], gui["services.webserverport"]) == ("true", str(kodi.KODI_PORT))
    assert etree.parse(str(userdata / "guisettings.xml")).find("resolutions") is not None
    iptv = _settings(userdata / "addon_data" / "pvr.iptvsimple" / "settings.xml")
    assert (iptv["m3uPathType"], iptv["m3uUrl"], iptv["epgPathType"], iptv["epgUrl"]) == ("1", playlist, "1", guide)
    assert iptv["catchupEnabled"] == "true"
    assert "type null" in (tmp_path / ".asoundrc").read_text()


def test_report_reads_as_text_with_what_did_not_run():
    played = {"start_ms": 1500.0, "live": True, "position_s": 10.0, "video": "h264 640x360", "title": "News",
              "file": "", "url": "http://box/stream/channel/news", "through_box": True}  # fmt: skip
    catchup = played | {"live": False, "programme": "News at 05:00", "programme_start": 1, "box_requests": 3,
                        "box_starts": [1], "right_programme": True}  # fmt: skip
    report = {
        "kodi": "20.1", "iptvsimple": "20.6.1", "kodi_start_s": 2.0, "channels": 14,
        "channel_numbers": list(range(1, 15)), "groups": ["News"], "logos_through_box": 11, "catchup_channels": 10,
        "epg_entries": 2000, "epg_channels": 11, "epg_hours_back": 25.0,
        "playable_past": {"recent": True, "oldest": False, "oldest_hours_back": 24.0},
        "live": played, "catchup": [catchup],
        "live_file": {"through_box_ms": None, "direct_ms": 1200.0, "ratio_to_direct": None,
                      "through_box_each_ms": [None, None, None], "direct_each_ms": [1200.0, 1100.0, 1300.0]},
        "catchup_file": {"through_box_ms": 700.0, "direct_ms": 300.0, "ratio_to_direct": 2.33,
                         "through_box_each_ms": [700.0, 650.0, 800.0], "direct_each_ms": [300.0, 280.0, 320.0]},
    }  # fmt: skip
    text = kodi.render(report)
    assert "24.0 h back NO" in text and "right programme yes" in text
    assert "live: the box's URL never ran, the head-end's 1200 ms (×None, p50 of 3 each, 3 stalled)" in text
    assert "catchup: the box's URL 700 ms, the head-end's 300 ms (×2.33, p50 of 3 each)" in text
