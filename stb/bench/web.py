"""`stb bench web`: the web companion's weight, time to interactive, and "watch here" to first frame.

A real box (headless :class:`~stb.ui.app.App` with the demo head-end and guide, its UI loop run
here at 30 Hz) and Debian's chromium driven by Playwright from a worker thread, as a phone on the
LAN (over loopback, with a fresh profile each time: no cache).

- **Weight**: bytes over the wire until the remote works (the document, scripts, styles, API
  answers, logos), and what "watch here" adds (hls.js, loaded only then).
- **Time to interactive**: navigation start to the page's ``stb-interactive`` mark (line-up, state
  and guide loaded, the event stream open). Baseline in the same run: loading the smallest file the
  box serves as a document (the browser's and server's own floor).
- **Watch here → first frame**: the tap to the video's first presented frame
  (``requestVideoFrameCallback``), cold (first tap: hls.js loads, the HLS rendition starts) and
  warm. Baseline in the same run: hls.js alone, already loaded, playing the same (warm) rendition
  in the same page, so the ratio is what the page adds.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from stb.errors import StbError

FIRST_FRAME_TIMEOUT_S = 20.0
CHROMIUM = "/usr/bin/chromium"


def _paired_page(browser, base: str, token: str):
    """A fresh profile (no cache) holding the paired token, the page open on the remote: (context, page)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(f"localStorage.setItem('stb.token', {json.dumps(token)})")
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector("#app:not([hidden])", timeout=15000)
    return context, page


def _browser_part(base: str, token: str, runs: int) -> dict:
    """Everything the browser does; runs in a worker thread (the box's UI loop owns this one)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or CHROMIUM
    out: dict = {"tti_ms": [], "floor_ms": [], "weight_bytes": [], "watch_cold_ms": None, "watch_warm_ms": [],
                 "bare_hls_ms": [], "watch_extra_bytes": None}  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for _ in range(runs):
                floor = browser.new_context(viewport={"width": 390, "height": 844})
                page = floor.new_page()
                page.goto(base + "/app/icon.svg")
                out["floor_ms"].append(page.evaluate("performance.getEntriesByType('navigation')[0].duration"))
                floor.close()

                context, page = _paired_page(browser, base, token)
                out["tti_ms"].append(_wait_mark(page, "stb-interactive", 15.0))
                out["weight_bytes"].append(page.evaluate(_TRANSFERRED))
                context.close()

            _context, page = _paired_page(browser, base, token)
            before = page.evaluate(_TRANSFERRED)
            page.get_by_role("tab", name="Watch here").click()
            for i in range(runs + 1):
                page.get_by_role("button", name="Watch the TV here").click()
                ms = _first_frame(page, "stb-watch")
                if i == 0:
                    out["watch_cold_ms"] = ms
                    out["watch_extra_bytes"] = page.evaluate(_TRANSFERRED) - before
                    out["hls_js_bytes"] = page.evaluate(_HLS_JS_BYTES)
                else:
                    out["watch_warm_ms"].append(ms)
                page.get_by_role("button", name="Stop").click()
                out["bare_hls_ms"].append(page.evaluate(_BARE_HLS, "/hls/live/index.m3u8"))
        finally:
            browser.close()
    return out


# Bytes transferred so far: the document and every resource (cached answers count 0).
_TRANSFERRED = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .reduce((sum, e) => sum + (e.transferSize || 0), 0)"""

_HLS_JS_BYTES = """() => performance.getEntriesByType('resource').filter(e => e.name.includes('/vendor/hls'))
  .reduce((sum, e) => sum + (e.transferSize || 0), 0)"""

# hls.js alone, already loaded, on the same rendition: tap-free start to first frame, in ms.
_BARE_HLS = """async (path) => {
  const res = await fetch('/api/v1/stream-urls', {method: 'POST', headers: {'Content-Type': 'application/json',
    Authorization: 'Bearer ' + localStorage.getItem('stb.token')}, body: JSON.stringify({path})});
  const url = (await res.json()).url;
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  const started = performance.now();
  const hls = new Hls({liveSyncDurationCount: 2});
  hls.loadSource(url);
  hls.attachMedia(video);
  video.play().catch(() => {});
  const ms = await new Promise((resolve) => {
    video.requestVideoFrameCallback(() => resolve(performance.now() - started));
    setTimeout(() => resolve(null), 20000);
  });
  hls.destroy();
  video.remove();
  return ms;
}"""


def _wait_mark(page, name: str, timeout_s: float) -> float:
    """When the page set performance mark ``name`` (ms since navigation). Polled: the page's CSP forbids
    the string evaluation ``wait_for_function`` needs, and the mark holds the page's own time anyway."""
    end = time.monotonic() + timeout_s
    while (at := page.evaluate(f"performance.getEntriesByName('{name}').map(e => e.startTime)[0] ?? null")) is None:
        if time.monotonic() > end:
            raise StbError(f"web benchmark: the page did not reach {name} within {timeout_s:.0f} s")
        time.sleep(0.05)
    return at


def _first_frame(page, mark: str) -> float:
    return _wait_mark(page, "stb-first-frame", FIRST_FRAME_TIMEOUT_S) - _wait_mark(page, mark, 1.0)


def run(runs: int = 5) -> dict:
    from stb.assembly import build_app
    from stb.bench.relay_box import start_paired
    from stb.config import StateStore
    from stb.guide.store import import_sources
    from stb.headend.catalog import demo_lineup
    from stb.headend.process import headend_on_free_port
    from stb.headend.xmltv import demo_guide

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise StbError("web benchmark: needs Playwright (pip install -e '.[dev]')") from None
    if not (shutil.which("chromium") or Path(CHROMIUM).exists()):
        raise StbError("web benchmark: needs Debian's chromium (apt-get install chromium, or make test)")
    began = time.monotonic()
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    with tempfile.TemporaryDirectory(prefix="stb-bench-web-") as tmp, headend_on_free_port() as (_child, port):
        (Path(tmp) / "guide.xml").write_bytes(demo_guide())
        import_sources(Path(tmp) / "guide.db", [str(Path(tmp) / "guide.xml")])
        app = build_app(demo_lineup("127.0.0.1", port), headless=True, store=StateStore(Path(tmp)),
                  guide_db=Path(tmp) / "guide.db", pretune=0, api_port=0)  # fmt: skip
        try:
            token, tv = start_paired(app, "stb bench web", "web benchmark")
            result: dict = {}

            def browse() -> None:
                try:
                    result["value"] = _browser_part(f"http://127.0.0.1:{app.net.bound_port}", token, runs)
                except BaseException as exc:
                    result["error"] = exc

            worker = threading.Thread(target=browse, name="stb-bench-browser")
            worker.start()
            tv.run_until(lambda: not worker.is_alive(), 60.0 + runs * 30.0, "the browser did not finish")
            if "error" in result:
                raise StbError(f"web benchmark: {result['error']}")
            raw = result["value"]
        finally:
            app.close()
    return _summarise(raw, runs, time.monotonic() - began)


def _p50(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def _summarise(raw: dict, runs: int, total_s: float) -> dict:
    tti, floor = _p50(raw["tti_ms"]), _p50(raw["floor_ms"])
    warm, bare = _p50(raw["watch_warm_ms"]), _p50(raw["bare_hls_ms"])
    return {
        "runs": runs,
        "weight_kb": round(statistics.median(raw["weight_bytes"]) / 1024, 1),
        "watch_extra_kb": round((raw["watch_extra_bytes"] or 0) / 1024, 1),
        "hls_js_kb": round(raw.get("hls_js_bytes", 0) / 1024, 1),
        "tti_ms": tti,
        "floor_ms": floor,
        "tti_ratio": round(tti / floor, 1) if tti and floor else None,
        "watch_cold_ms": round(raw["watch_cold_ms"], 1) if raw["watch_cold_ms"] is not None else None,
        "watch_warm_ms": warm,
        "bare_hls_ms": bare,
        "watch_ratio": round(warm / bare, 2) if warm and bare else None,
        "raw": raw,
        "total_s": round(total_s, 1),
    }


def render(d: dict) -> str:
    return "\n".join([
        f"web companion ({d['runs']} runs, loopback, fresh browser profile each; p50)",
        f"  page weight until the remote works: {d['weight_kb']} KB transferred;"
        f" watch here adds {d['watch_extra_kb']} KB (hls.js {d['hls_js_kb']} KB, the rest is video)",
        f"  time to interactive: {d['tti_ms']} ms (floor: a bare file as a document, {d['floor_ms']} ms;"
        f" {d['tti_ratio']}x)",
        f"  watch here -> first frame: cold {d['watch_cold_ms']} ms, warm {d['watch_warm_ms']} ms"
        f" (hls.js alone on the same rendition: {d['bare_hls_ms']} ms; {d['watch_ratio']}x)",
        f"  ({d['total_s']} s in all)",
    ])  # fmt: skip
