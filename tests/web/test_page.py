"""The web companion in a real browser (Debian's headless chromium through Playwright) against a real box.

The box (pygame on SDL's dummy driver, libVLC, the demo head-end, a real SQLite guide) runs its
frame loop on this thread; the browser runs in a thread of its own, as a phone would. Things the
box itself must do (a zap made with the TV's remote) are handed to this thread through ``on_box``.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pytest

from stb.assembly import build_app
from stb.config import StateStore
from stb.guide.store import import_sources
from stb.headend.catalog import demo_lineup
from stb.headend.xmltv import demo_guide
from stb.ui.app import App
from tests.net.test_api import run_client

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REFERENCES = Path(__file__).parent / "references"
WIDTHS = {"phone": (360, 780), "tablet": (820, 1180)}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup does)"),
]


@pytest.fixture
def box(tmp_path, headend):
    (tmp_path / "guide.xml").write_bytes(demo_guide())
    import_sources(tmp_path / "guide.db", [str(tmp_path / "guide.xml")])
    app = build_app(demo_lineup(*headend), headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "guide.db",
              pretune=0, api_port=0)  # fmt: skip
    app.start()
    yield app
    app.close()


OnBox = Callable[[Callable[[], object]], object]


def run_browser(app: App, scenario: Callable, width: str = "phone", timeout: float = 120.0):
    """Run ``scenario(page, base_url, on_box)`` in a browser thread while the box's loop runs here."""
    calls: queue.Queue[tuple[Callable[[], object], Future]] = queue.Queue()

    def on_box(call: Callable[[], object]) -> object:
        done: Future = Future()
        calls.put((call, done))
        return done.result(timeout=20)

    def browse(api_base: str) -> object:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
            )
            w, h = WIDTHS[width]
            page = browser.new_page(viewport={"width": w, "height": h})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            try:
                value = scenario(page, api_base.removesuffix("/api/v1"), on_box)
            finally:
                browser.close()
            assert not errors, f"the page threw: {errors}"
            return value

    def run_calls() -> None:
        while not calls.empty():
            call, done = calls.get()
            try:
                done.set_result(call())
            except BaseException as exc:
                done.set_exception(exc)

    return run_client(app, browse, timeout, between=run_calls)


def on_tv(page, number: str) -> None:
    """Wait until the page says the TV shows channel ``number``."""
    playwright.expect(page.locator("#now-channel")).to_have_text(re.compile(rf"^{number}\s"), timeout=10_000)


def until(page, expression: str, failure: str, timeout: float = 15.0):
    """Poll ``expression`` in the page until it is truthy, and return it (the page's CSP blocks Playwright's
    wait_for_function, which evaluates a string)."""
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(expression)):
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)
    return value


def interactive(page, timeout: float = 15.0) -> None:
    """Wait for the page's own mark: line-up, state and guide loaded, the event stream opened."""
    until(page, "performance.getEntriesByName('stb-interactive').length", "the page never became interactive", timeout)


def pair_in_page(page, base: str, app: App, on_box: OnBox) -> None:
    """Pair as a person would: ask for a code, read it off the TV, type it in."""
    page.goto(base + "/")
    page.get_by_label("Name of this device on the TV").fill("Kitchen phone")
    page.get_by_role("button", name="Show a code on the TV").click()
    page.get_by_label("Code shown on the TV").wait_for()
    code = on_box(lambda: app.auth.pending.code)
    page.get_by_label("Code shown on the TV").fill(f"{code[:3]} {code[3:]}")
    page.get_by_role("button", name="Pair", exact=True).click()
    page.locator("#app").wait_for(state="visible")


def test_pair_then_zap_the_tv_from_the_page(box):
    def scenario(page, base, on_box):
        page.goto(base + "/")
        page.get_by_role("button", name="Show a code on the TV").click()
        page.get_by_label("Code shown on the TV").wait_for()  # the box answered: the TV shows the code now
        shown = on_box(lambda: box.auth.pending.code)
        page.get_by_label("Code shown on the TV").fill("000000" if shown != "000000" else "111111")
        page.get_by_role("button", name="Pair", exact=True).click()
        playwright.expect(page.locator("#pair-error")).not_to_be_empty()
        wrong = page.locator("#pair-error").inner_text()
        code = on_box(lambda: box.auth.pending.code)  # a second try with the code the TV shows
        page.get_by_label("Code shown on the TV").fill(code)
        page.get_by_role("button", name="Pair", exact=True).click()
        page.locator("#app").wait_for(state="visible")
        token = page.evaluate("localStorage.getItem('stb.token')")
        on_tv(page, "1")
        page.get_by_role("button", name="Channel up").click()
        on_tv(page, "2")
        page.get_by_role("button", name="3", exact=True).click()
        on_tv(page, "3")
        return wrong, token

    wrong, token = run_browser(box, scenario)
    assert "code" in wrong.lower()  # the box's answer to a wrong code, shown as is
    assert token and [d.name for d in box.auth.devices()] == ["Browser (web remote)"]  # the page's guess
    assert box.box.current.number == 3  # channel up, then digit 3 typed on the TV's number entry


def test_a_zap_made_on_the_box_reaches_the_page_through_the_event_stream(box):
    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        on_tv(page, "1")
        interactive(page)  # the event stream is open: the zap below is not missed
        on_box(lambda: box.box.zap_number(4))
        on_tv(page, "4")
        title = page.locator("#now-title").inner_text()
        on_box(lambda: box.box.set_volume(35))
        page.locator("#now-volume").filter(has_text="35%").wait_for()
        return title

    title = run_browser(box, scenario)
    assert title  # the guide's programme now on channel 4 (the demo guide covers every channel)


def test_a_revoked_phone_is_told_to_pair_again(box):
    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        device = on_box(lambda: box.auth.devices()[0])
        interactive(page)  # the event stream is open
        on_box(lambda: box.auth.revoke(device.id))  # removed on the TV: its event stream ends, the page asks
        page.locator("#pair").wait_for(state="visible", timeout=10_000)
        return page.locator("#pair-why").inner_text(), page.evaluate("localStorage.getItem('stb.token')")

    why, token = run_browser(box, scenario)
    assert "removed" in why and "Pair it again" in why
    assert token is None


def test_guide_lists_every_channel_with_now_next_and_a_tap_zaps_the_tv(box):
    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        page.get_by_role("tab", name="Guide").click()
        rows = page.locator("#guide-list > li")
        rows.first.wait_for()
        count = rows.count()
        logos = until(  # the box fetches a logo from the head-end on the first request for it
            page,
            "[...document.querySelectorAll('#guide-list img')].filter(i => i.complete && i.naturalWidth > 0).length",
            "no channel logo showed in the guide",
        )
        rows.nth(4).get_by_role("button").click()  # channel 5's day view
        playwright.expect(page.locator("#day-title")).to_have_text(re.compile(r"^5\s"))
        page.locator("#guide-list li.programme.current > button:not(.rec)").click()  # on now, once the day is listed
        on_tv(page, "5")
        page.get_by_placeholder("Search the guide").fill("news")
        page.get_by_placeholder("Search the guide").press("Enter")
        page.locator("#day-title").filter(has_text="Search: news").wait_for()
        found = page.locator("#guide-list > li:not(.empty)").count()
        return count, logos, found

    count, logos, found = run_browser(box, scenario)
    assert count == len(box.box.lineup.channels)
    assert logos > 0  # the box fetched the head-end's logos for the page
    assert found > 0
    assert box.box.current.number == 5


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_layout_fits_phone_and_tablet_widths(box, width, tmp_path):
    """Nothing overflows sideways, every control is a usable touch target; the screenshots are kept."""

    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        on_tv(page, "1")
        playwright.expect(page.locator("#toast")).not_to_have_class(re.compile("show"), timeout=5000)
        shots = {}
        for tab in ("Remote", "Guide", "Watch here"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(500)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            small = page.evaluate(
                "[...document.querySelectorAll('button, input, select')].filter(e => e.offsetParent)"
                ".map(e => e.getBoundingClientRect()).filter(r => r.height < 44 || r.width < 44).length"
            )
            name = f"{width}-{tab.split()[0].lower()}.png"
            page.screenshot(path=str(tmp_path / name), full_page=True)
            shots[tab] = (overflow, small, name)
        return shots

    shots = run_browser(box, scenario, width=width)
    for tab, (overflow, small, name) in shots.items():
        assert overflow <= 0, f"{tab} scrolls sideways at {width} width"
        assert small == 0, f"{tab} has {small} controls smaller than 44 px at {width} width"
        if os.environ.get("STB_UPDATE_REFERENCES"):
            REFERENCES.mkdir(exist_ok=True)
            shutil.copy(tmp_path / name, REFERENCES / name)
        assert (REFERENCES / name).exists(), f"no reference screenshot {name}: look at it, then keep it"


# What the sofa test of the phone page measures in the page, for the view on screen: sideways overflow, controls
# under 44 px, labels that wrap, programme times that run into their titles, broken or empty logo slots, 12 h
# times, and a toast over a control.
_MEASURE = """() => {
  const visible = (e) => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden';
  const box = (e) => e.getBoundingClientRect();
  const controls = [...document.querySelectorAll('button, input, select')].filter(visible);
  const lines = (e) => { const r = document.createRange(); r.selectNodeContents(e);
    return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; };
  const labels = controls.filter((e) => e.tagName === 'BUTTON' && !e.closest('#guide-list'));
  const rows = [...document.querySelectorAll('#guide-list li')].filter((li) => li.querySelector('.when'))
    .filter(visible);
  const times = [...document.querySelectorAll('#guide-list .when, #guide-list .sub, #now-title')]
    .map((e) => e.textContent).filter((t) => /\\d:\\d\\d/.test(t));
  const toast = document.getElementById('toast');
  const toastBox = toast.classList.contains('show') ? box(toast) : null;
  // A toast covers a control where it is on top and, without it, the control would be (not the sticky header).
  const covered = (e) => {
    const r = box(e), t = toastBox;
    const x = (Math.max(r.left, t.left) + Math.min(r.right, t.right)) / 2;
    const y = (Math.max(r.top, t.top) + Math.min(r.bottom, t.bottom)) / 2;
    if (!(r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom)) return false;
    if (!toast.contains(document.elementFromPoint(x, y))) return false;
    toast.style.display = 'none';
    const under = document.elementFromPoint(x, y);
    toast.style.display = '';
    return e.contains(under);
  };
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    small: controls.map(box).filter((r) => r.height < 44 || r.width < 44).length,
    wrapped: labels.filter((e) => lines(e) > 1).map((e) => e.textContent.trim()),
    crowded: rows.filter((li) => { const w = li.querySelector('.when'), n = li.querySelector('.name');
      return lines(w) > 1 || box(w).right > box(n).left; }).map((li) => li.querySelector('.when').textContent),
    broken: [...document.querySelectorAll('img')].filter(visible)
      .filter((i) => i.complete && i.naturalWidth === 0).length,
    empty: [...document.querySelectorAll('.logo')].filter(visible)
      .filter((l) => (l.tagName === 'IMG' ? !(l.complete && l.naturalWidth) : !l.textContent.trim()
        && !l.querySelector('img'))).length,
    twelve: times.filter((t) => /\\d\\s?(AM|PM|am|pm)\\b/.test(t) || !/\\b([01]\\d|2[0-3]):[0-5]\\d\\b/.test(t)),
    toastOver: toastBox ? controls.filter(covered).length : 0,
  };
}"""
LONG = " and an Extra-Long Title That Keeps Going Well Past Any Phone's Width"


def _lengthen(route) -> None:
    """The guide's answers with every title far too long (the page must cut them, not overflow)."""
    response = route.fetch()
    data = response.json()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("title", "description") and isinstance(value, str):
                    node[key] = value + LONG
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    route.fulfill(response=response, json=data)


@pytest.mark.timeout(300)
def test_phone_page_fits_360_390_and_820_with_and_without_logos_long_titles_and_24_h_in_any_locale(box, tmp_path):
    """Each view at each width, in a 12 h (en-US) and a 24 h (en-GB) browser: nothing overflows, no control under
    44 px, no label wraps, a programme's time stays in its column, no broken or empty logo slot, times in 24 h as
    the TV shows them, a toast covers no key."""
    shots = tmp_path / "shots"  # kept with the test's files, to look at when it fails
    shots.mkdir()

    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        token = page.evaluate("localStorage.getItem('stb.token')")
        browser, found = page.context.browser, {}
        for locale, logos, long in (("en-US", True, False), ("en-GB", False, True)):
            context = browser.new_context(locale=locale, viewport={"width": 360, "height": 780})
            context.add_init_script(f"localStorage.setItem('stb.token', {token!r})")
            if not logos:  # the logos fail to load: initials, not a broken image or an empty slot
                context.route(re.compile(r".*/lineup/[^/]+/logo.*"), lambda route: route.abort())
            if long:
                context.route(re.compile(r".*/api/v1/guide/.*"), _lengthen)
            view = context.new_page()
            view.goto(base + "/")
            interactive(view)
            for width in (360, 390, 820):
                view.set_viewport_size({"width": width, "height": 780 if width < 800 else 1180})
                tag = f"{width}-{locale}-{'logos' if logos else 'nologos'}{'-long' if long else ''}"
                view.get_by_role("tab", name="Remote").click()
                found[f"{tag} remote"] = view.evaluate(_MEASURE)
                view.get_by_role("tab", name="Guide").click()
                view.locator("#guide-list > li").first.wait_for()
                view.wait_for_timeout(300)
                found[f"{tag} channels"] = view.evaluate(_MEASURE)
                view.screenshot(path=str(shots / f"{tag}-channels.png"), full_page=False)
                view.locator("#guide-list > li").nth(2).get_by_role("button").click()  # a channel's day
                view.locator("#day-title").filter(has_text=re.compile(r"^3\s")).wait_for()
                view.locator("#guide-list .when").first.wait_for()
                found[f"{tag} day"] = view.evaluate(_MEASURE)
                view.screenshot(path=str(shots / f"{tag}-day.png"), full_page=False)
                view.locator("#guide-list li:has(.when)").first.get_by_role("button").click()  # zaps: a toast
                view.get_by_role("tab", name="Remote").click()
                view.evaluate("window.scrollTo(0, 0)")
                found[f"{tag} toast"] = view.evaluate(_MEASURE)
                view.screenshot(path=str(shots / f"{tag}-toast.png"), full_page=False)
                view.get_by_role("tab", name="Guide").click()
                view.get_by_placeholder("Search the guide").fill("news")
                view.get_by_placeholder("Search the guide").press("Enter")
                view.locator("#day-title").filter(has_text="Search: news").wait_for()
                view.locator("#guide-list .when").first.wait_for()
                found[f"{tag} search"] = view.evaluate(_MEASURE)
                view.screenshot(path=str(shots / f"{tag}-search.png"), full_page=False)
                view.get_by_role("button", name="← All channels").click()
                view.get_by_role("tab", name="Watch here").click()
                found[f"{tag} watch"] = view.evaluate(_MEASURE)
            context.close()
        return found

    found = run_browser(box, scenario)
    problems = [f"{where}: {key} = {value}" for where, seen in found.items() for key, value in seen.items()
                if value not in (0, [], None) and not (key == "overflow" and value < 0)]  # fmt: skip
    assert not problems, "the phone page at these widths:\n  " + "\n  ".join(problems)
    assert len(found) == 2 * 3 * 6


# The video's current picture, read in the page: the burnt-in channel marker's strip and how much the
# picture varies (a blank or black frame hardly does).
_FRAME = """() => {
  const v = document.getElementById('video');
  if (!v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const all = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0, sum = 0, squares = 0;
  for (let i = 0; i < all.length; i += 4 * 101) {
    const y = 0.3 * all[i] + 0.59 * all[i + 1] + 0.11 * all[i + 2];
    n++; sum += y; squares += y * y;
  }
  const cell = Math.max(4, Math.floor(c.width / 40));
  return {width: c.width, cell, time: v.currentTime, spread: Math.sqrt(squares / n - (sum / n) ** 2),
          strip: Array.from(g.getImageData(0, 0, c.width, cell).data)};
}"""


def wait_for_picture(page, channel: int, timeout: float = 30.0) -> dict:
    """Poll the video until it shows ``channel``'s marker; the last frame read."""
    from stb.headend.marker import decode

    deadline = time.monotonic() + timeout
    frame = None
    while time.monotonic() < deadline:
        frame = page.evaluate(_FRAME)
        if frame and decode(bytes(frame["strip"]), frame["width"], frame["cell"], frame["width"] * 4) == channel:
            return frame
        time.sleep(0.25)
    raise AssertionError(f"the phone's video never showed channel {channel}; last frame: "
                         f"{ {k: v for k, v in (frame or {}).items() if k != 'strip'} }")  # fmt: skip


def test_watch_here_plays_follows_the_tv_and_sends_a_channel_back(box):
    def scenario(page, base, on_box):
        pair_in_page(page, base, box, on_box)
        page.get_by_role("tab", name="Watch here").click()
        page.get_by_role("button", name="Watch the TV here").click()
        first = wait_for_picture(page, 1)
        time.sleep(1.5)
        later = page.evaluate(_FRAME)
        on_box(lambda: box.box.zap_number(3))  # zapped on the TV: the phone follows in mirror mode
        followed = wait_for_picture(page, 3)
        label = page.locator("#watch-label").inner_text()
        page.get_by_label("Or another channel").select_option(box.box.lineup.by_number(5).id)
        page.get_by_role("button", name="Watch", exact=True).click()
        wait_for_picture(page, 5)
        page.get_by_role("button", name="Send this channel to the TV").click()
        on_tv(page, "5")
        return first, later, followed, label

    first, later, followed, label = run_browser(box, scenario)
    assert first["spread"] > 20 and followed["spread"] > 20  # real pictures, not blank frames
    assert later["time"] > first["time"]  # the video's clock advances
    assert "3" in label and "follows" in label
    assert box.box.current.number == 5
