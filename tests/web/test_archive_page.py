"""The phone's guide marks past programmes that the channel's catch-up archive holds; a tap plays one on the TV."""

from __future__ import annotations

import re

import pytest

from tests.web.test_page import box, pair_in_page, playwright, run_browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow


def test_a_past_programme_in_the_archive_is_marked_and_plays_on_the_tv(box, tmp_path):  # noqa: F811
    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        page.get_by_role("tab", name="Guide").click()
        page.locator("#guide-list > li").nth(1).get_by_role("button").click()  # Sports Arena's day
        playwright.expect(page.locator("#day-title")).to_have_text(re.compile(r"^2\s"))
        archived = page.locator("#guide-list li.programme.archive")
        archived.first.wait_for()
        marked = archived.count()
        title = archived.last.locator(".name").inner_text()
        page.screenshot(path=str(tmp_path / "day.png"))
        archived.last.get_by_role("button", name=re.compile("watch from the archive on the TV")).click()
        page.get_by_text(re.compile("On the TV from the archive")).wait_for()
        playing = on_box(lambda: box.tv.catchup.playing)
        return marked, title, playing

    marked, title, playing = run_browser(box, scenario)
    assert marked > 0 and title.startswith("▶ ")
    assert playing is not None and playing.source.id == "sports-arena"
    assert playing.programme.title == title.removeprefix("▶ ")
