"""The phone page's remote has the TV's transport keys: its Pause button pauses live TV on a timeshift box."""

from __future__ import annotations

import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.headend.catalog import demo_lineup
from stb.lineup.model import Lineup
from tests.web.test_page import CHROMIUM, interactive, on_tv, pair_in_page, run_browser

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture
def shifting_box(tmp_path, headend):
    plain = demo_lineup(*headend)
    app = build_app(Lineup(name=plain.name, channels=plain.channels[:3]), headless=True, store=StateStore(tmp_path),
                    guide_db=tmp_path / "guide.db", pretune=0, api_port=0, timeshift=True)  # fmt: skip
    app.start()
    yield app
    app.close()


@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_phones_pause_button_pauses_live_tv_and_live_brings_it_back(shifting_box):
    box = shifting_box

    def buffered() -> bool:
        window = box.tv.timeshift.window()
        return window is not None and window.live_at - window.start_at >= 2

    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        interactive(page)
        on_tv(page, "1")
        for _ in range(100):
            if on_box(buffered):
                break
            page.wait_for_timeout(200)
        page.get_by_role("button", name="Pause or play").click()
        page.wait_for_timeout(500)
        paused = on_box(lambda: (box.player.paused, box.tv.timeshift.live))
        page.get_by_role("button", name="Back to live").click()
        page.wait_for_timeout(500)
        live = on_box(lambda: (box.player.paused, box.tv.timeshift.live))
        return paused, live

    paused, live = run_browser(box, scenario)
    assert paused == (True, False)
    assert live == (False, True)
