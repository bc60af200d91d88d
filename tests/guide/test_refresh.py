import time

from stb.guide.refresh import GuideRefresher, imported_at
from stb.guide.store import import_sources
from tests.guide.xmltv_docs import HOUR, document, programme


def wait_result(refresher, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not refresher.results.empty():
            return refresher.results.get_nowait()
        time.sleep(0.02)
    return None


def test_a_missing_guide_is_imported_at_start_in_the_background(tmp_path, write, now):
    source = write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR)]))
    refresher = GuideRefresher(tmp_path / "g.db", [source], interval_s=3600)
    refresher.start()
    try:
        result = wait_result(refresher)
        assert result is not None and result.error is None and result.report.programmes == 1
        assert imported_at(tmp_path / "g.db") is not None
    finally:
        refresher.stop()


def test_a_fresh_guide_is_left_alone_until_asked(tmp_path, write, now):
    source = write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR)]))
    import_sources(tmp_path / "g.db", [source])
    refresher = GuideRefresher(tmp_path / "g.db", [source], interval_s=3600)
    refresher.start()
    try:
        assert wait_result(refresher, timeout=0.5) is None
        refresher.refresh_now()
        assert wait_result(refresher).error is None
    finally:
        refresher.stop()


def test_a_failing_source_reports_an_error_and_keeps_the_guide(tmp_path, write, now):
    good = write("g.xml", document({"a": ["A"]}, [programme("a", now, now + HOUR)]))
    import_sources(tmp_path / "g.db", [good], now=now - 86400)  # stale
    write("g.xml", "<tv><programme")  # the provider now serves a broken file
    refresher = GuideRefresher(tmp_path / "g.db", [good], interval_s=3600)
    refresher.start()
    try:
        result = wait_result(refresher)
        assert result.report is None and "broken XML" in result.error
    finally:
        refresher.stop()
    assert imported_at(tmp_path / "g.db") == now - 86400
