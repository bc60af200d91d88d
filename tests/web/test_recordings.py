"""The phone page's Recordings tab in a real browser against a real box: a recording made by ffmpeg in the
box's recordings folder plays through hls.js, its position reaches the box (and so every other screen), a
position set elsewhere is where the phone resumes, delete asks first; the guide's day view sets and cancels
timers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import httpx
import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.guide.store import import_sources
from stb.headend.catalog import demo_lineup
from stb.headend.xmltv import demo_guide
from tests.net.test_recording_streams import REC_ID, SECONDS, make_recording
from tests.web.test_page import (
    CHROMIUM,
    REFERENCES,
    WIDTHS,
    interactive,
    pair_in_page,
    playwright,
    run_browser,
    until,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
VIDEO = "document.getElementById('rec-video')"


@pytest.fixture
def rec_box(tmp_path, headend):
    clip = tmp_path / "clip.ts"
    sources = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={SECONDS}",
               "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}"]  # fmt: skip
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-f", "mpegts", str(clip)]
    subprocess.run(["ffmpeg", "-v", "error", *sources, *codecs], check=True, timeout=60)
    make_recording(tmp_path / "recordings", clip)
    (tmp_path / "guide.xml").write_bytes(demo_guide())
    import_sources(tmp_path / "guide.db", [str(tmp_path / "guide.xml")])
    app = build_app(demo_lineup(*headend), headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "guide.db",
                    pretune=0, api_port=0)  # fmt: skip
    app.start()
    yield app
    app.close()


def _laptop(page, base: str) -> httpx.Client:
    """Another screen, paired as the phone is (its token): what the box tells every screen."""
    token = page.evaluate("localStorage.getItem('stb.token')")
    return httpx.Client(base_url=base + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_a_recording_plays_here_its_position_is_shared_and_delete_asks_first(rec_box):
    box = rec_box

    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        interactive(page)
        page.get_by_role("tab", name="Recordings").click()
        row = page.get_by_role("button", name=re.compile(r"^Test programme, .*: New$"))
        row.click()
        page.get_by_role("button", name="Play", exact=True).click()
        until(page, f"{VIDEO}.currentTime > 1", "the recording never played", 60)
        until(page, "performance.getEntriesByName('stb-recording-frame').length", "no frame was shown", 30)
        page.evaluate(f"{VIDEO}.currentTime = 12")
        until(page, f"!{VIDEO}.seeking && {VIDEO}.currentTime >= 12", "the seek never landed", 30)
        page.evaluate(f"{VIDEO}.pause()")
        with _laptop(page, base) as laptop:
            for _ in range(200):  # the pause sends the position; the laptop reads it from the box
                seen = laptop.get(f"/recordings/{REC_ID}").json()["position"]
                if seen >= 12:
                    break
                page.wait_for_timeout(50)
            # the laptop stops at 5 s: the phone resumes there
            assert laptop.put(f"/recordings/{REC_ID}/position", json={"position": 5}).status_code == 200
        page.get_by_role("button", name="← Recordings").click()
        page.get_by_role("button", name=re.compile(r"^Test programme, .*: Resume at 0:05$")).click()
        page.get_by_role("button", name="Resume at 0:05").click()
        until(page, f"{VIDEO}.currentTime > 5.2", "the recording never resumed", 60)
        resumed_at = page.evaluate(f"{VIDEO}.currentTime")
        page.get_by_role("button", name="Play on the TV").click()  # the TV takes it on from the phone's second
        on_tv = on_box(lambda: (box.tv.recordings.playing.meta.id, box.tv.recordings.playing.channel.vlc_options)
                       if box.tv.recordings.playing else None)  # fmt: skip
        for _ in range(100):
            if on_tv:
                break
            page.wait_for_timeout(50)
            on_tv = on_box(lambda: (box.tv.recordings.playing.meta.id, box.tv.recordings.playing.channel.vlc_options)
                           if box.tv.recordings.playing else None)  # fmt: skip
        page.get_by_role("button", name="Delete this recording").click()
        page.get_by_role("button", name="Keep it").click()
        kept = page.locator("#rec-confirm").is_hidden() and page.locator("#rec-title").inner_text()
        page.get_by_role("button", name="Delete this recording").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Delete", exact=True).click()
        playwright.expect(page.locator("#rec-list")).to_contain_text("No recordings yet", timeout=10_000)
        with _laptop(page, base) as laptop:
            gone = laptop.get(f"/recordings/{REC_ID}").status_code
        return seen, resumed_at, on_tv, kept, gone

    seen, resumed_at, on_tv, kept, gone = run_browser(box, scenario, timeout=200)
    assert 12 <= seen <= 13  # where the phone paused, as every screen sees it
    assert 5 <= resumed_at < SECONDS  # from where the laptop stopped, not from the phone's own 12 s nor 0
    tv_id, options = on_tv
    start = float(next(o for o in options if o.startswith("start-time=")).split("=")[1])
    assert tv_id == REC_ID and 5 <= start <= resumed_at + 5  # the TV starts where the phone was
    assert kept == "Test programme"  # "Keep it" kept it
    assert gone == 404


@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_guides_rec_button_sets_a_timer_and_a_second_tap_cancels_it(rec_box):
    box = rec_box

    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        interactive(page)
        page.get_by_role("tab", name="Guide").click()
        page.locator("#guide-list li button").first.click()
        rec = page.locator("#guide-list li.recordable button.rec").nth(1)  # the next programme, not the current one
        title = rec.get_attribute("aria-label").removeprefix("Record ")
        rec.click()
        playwright.expect(rec).to_have_text("● Set", timeout=10_000)
        with _laptop(page, base) as laptop:
            set_timers = [t["title"] for t in laptop.get("/timers").json()["timers"]]
            rec.click()
            playwright.expect(rec).to_have_text("● Rec", timeout=10_000)
            left = [t["title"] for t in laptop.get("/timers").json()["timers"] if t["state"] == "scheduled"]
        return title, set_timers, left

    title, set_timers, left = run_browser(box, scenario)
    assert set_timers == [title]
    assert left == []


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_recordings_tab_fits_phone_and_tablet_widths(rec_box, width, tmp_path):
    """The list, a recording's page with its delete question open, and a guide day with ● Rec buttons: nothing
    overflows sideways, every control is a touch target; the screenshots are kept as references."""
    box = rec_box

    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        interactive(page)
        playwright.expect(page.locator("#toast")).not_to_have_class(re.compile("show"), timeout=5000)
        shots = {}

        def shoot(name: str) -> None:
            page.wait_for_timeout(300)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            small = page.evaluate(
                "[...document.querySelectorAll('button, input, select')].filter(e => e.offsetParent)"
                ".map(e => e.getBoundingClientRect()).filter(r => r.height < 44 || r.width < 44).length"
            )
            file = f"{width}-{name}.png"
            page.screenshot(path=str(tmp_path / file), full_page=True)
            shots[name] = (overflow, small, file)

        page.get_by_role("tab", name="Recordings").click()
        page.get_by_role("button", name=re.compile(r"^Test programme, ")).wait_for()
        shoot("recordings")
        page.get_by_role("button", name=re.compile(r"^Test programme, ")).click()
        page.get_by_role("button", name="Delete this recording").click()
        shoot("recording")
        page.get_by_role("tab", name="Guide").click()
        page.locator("#guide-list li button").first.click()
        page.locator("#guide-list li.recordable").first.wait_for()
        shoot("guide-day")
        return shots

    shots = run_browser(box, scenario, width=width)
    for view, (overflow, small, file) in shots.items():
        assert overflow <= 0, f"{view} scrolls sideways at {width} width"
        assert small == 0, f"{view} has {small} controls smaller than 44 px at {width} width"
        if os.environ.get("STB_UPDATE_REFERENCES"):
            REFERENCES.mkdir(exist_ok=True)
            shutil.copy(tmp_path / file, REFERENCES / file)
        assert (REFERENCES / file).exists(), f"no reference screenshot {file}: look at it, then keep it"
