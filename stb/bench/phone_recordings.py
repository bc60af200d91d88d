"""`stb bench pvr --scenario phone`: a phone watching a recording, as `stb bench web` measures live TV.

A real box (headless App, the demo head-end) records a channel through its API ("record now", then the
timer cancelled), so the recording is what the relay wrote. Debian's chromium, driven by Playwright from a
worker thread while the box's UI loop runs here, opens the page's Recordings tab:

- **Play → first frame** (``recording_first_frame_ms``): the tap on Play to the video's first presented
  frame (``requestVideoFrameCallback``), cold (hls.js loads) and warm. Baseline in the same run: hls.js
  alone, already loaded, on the same signed playlist in the same page.
- **Seek** (``phone_seek_ms``): the seek bar moved to a point not yet played, to the next presented frame,
  over several points; the same seeks in the bare hls.js player are the baseline.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from stb.errors import StbError

RECORD_S = 30.0  # long enough that a seek lands past what hls.js has buffered at the start
SEEK_POINTS = (0.8, 0.35, 0.65, 0.15, 0.5)  # of the recording's length, in this order
FRAME_TIMEOUT_S = 20.0


def run(host: str, port: int, work: Path, runs: int = 3, record_s: float = RECORD_S) -> dict[str, Any]:
    from stb.assembly import build_app
    from stb.bench.relay_box import start_paired
    from stb.bench.web import CHROMIUM
    from stb.config import StateStore
    from stb.headend.catalog import demo_lineup

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise StbError("phone recordings benchmark: needs Playwright (pip install -e '.[dev]')") from None
    if not (shutil.which("chromium") or Path(CHROMIUM).exists()):
        raise StbError("phone recordings benchmark: needs Debian's chromium (apt-get install chromium)")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    lineup = demo_lineup(host, port)
    app = build_app(lineup, headless=True, store=StateStore(work), guide_db=work / "guide.db", pretune=0, api_port=0)
    try:
        token, tv = start_paired(app, "stb bench pvr phone", "phone recordings benchmark")
        base = f"http://127.0.0.1:{app.net.bound_port}" if app.net else ""
        result: dict[str, Any] = {}

        def browse() -> None:
            try:
                recording = _record(base, token, lineup.channels[0].id, record_s)
                result["value"] = _browser_part(base, token, recording, runs)
            except BaseException as exc:
                result["error"] = exc

        worker = threading.Thread(target=browse, name="stb-bench-phone")
        worker.start()
        tv.run_until(lambda: not worker.is_alive(), record_s + 90.0 + runs * 40.0, "the phone did not finish")
        if "error" in result:
            raise StbError(f"phone recordings benchmark: {result['error']}")
        return _summarise(result["value"], runs, record_s)
    finally:
        app.close()


def _record(base: str, token: str, channel: str, seconds: float) -> dict[str, Any]:
    """Record ``channel`` for ``seconds`` through the API; the finished recording's JSON."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base + "/api/v1", headers=headers, timeout=30) as api:
        made = api.post("/timers", json={"what": "now", "channel": channel})
        if made.status_code != 200:
            raise StbError(f"record now answered {made.status_code}: {made.text[:200]}")
        timer = made.json()["timer"]["id"]
        time.sleep(seconds)
        api.delete(f"/timers/{timer}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done = [r for r in api.get("/recordings").json()["recordings"] if r["state"] != "recording"]
            if done:
                return done[0]
            time.sleep(0.2)
    raise StbError("the recording did not finish within 30 s of its timer's cancellation")


def _browser_part(base: str, token: str, recording: dict[str, Any], runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from stb.bench.web import CHROMIUM, _wait_mark

    out: dict[str, Any] = {"first_frame_ms": [], "bare_first_frame_ms": [], "seek_ms": [], "bare_seek_ms": []}
    length = recording["duration"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.add_init_script(f"localStorage.setItem('stb.token', {json.dumps(token)})")
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_selector("#app:not([hidden])", timeout=15000)
            page.get_by_role("tab", name="Recordings").click()
            for i in range(runs):
                page.locator("#rec-list li.recording button").first.click()
                page.click("#rec-resume")  # Play, then "Resume at …" (where the previous run stopped)
                frame = _wait_mark(page, "stb-recording-frame", FRAME_TIMEOUT_S)
                out["first_frame_ms"].append(frame - _wait_mark(page, "stb-recording", 1.0))
                if i == 0:
                    out["seek_ms"] = [page.evaluate(_SEEK, ["#rec-video", s * length]) for s in SEEK_POINTS]
                page.click("#rec-back")
            signed = page.evaluate(_URLS, recording["id"])
            for i in range(runs):
                bare = page.evaluate(_BARE, [signed, [s * length for s in SEEK_POINTS] if i == 0 else []])
                out["bare_first_frame_ms"].append(bare["first"])
                if i == 0:
                    out["bare_seek_ms"] = bare["seeks"]
        finally:
            browser.close()
    return out


# Seek a video to ``at`` seconds: ms to the next presented frame after it landed (null: none within 20 s).
_SEEK_FN = """(video, at) => new Promise((resolve) => {
  const started = performance.now();
  const timer = setTimeout(() => resolve(null), 20000);
  video.addEventListener('seeked', () => video.requestVideoFrameCallback(() => {
    clearTimeout(timer);
    resolve(performance.now() - started);
  }), { once: true });
  video.currentTime = at;
  video.play().catch(() => {});
})"""

_SEEK = f"""async ([selector, at]) => ({_SEEK_FN})(document.querySelector(selector), at)"""

_URLS = """async (id) => {
  const res = await fetch(`/api/v1/recordings/${id}/stream-urls`, {method: 'POST',
    headers: {Authorization: 'Bearer ' + localStorage.getItem('stb.token')}});
  return (await res.json()).hls;
}"""

# hls.js alone (the page already loaded it), on the same playlist: start to first frame, then the same seeks.
_BARE = f"""async ([url, points]) => {{
  const seek = {_SEEK_FN};
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  const started = performance.now();
  const hls = new Hls();
  hls.loadSource(url);
  hls.attachMedia(video);
  video.play().catch(() => {{}});
  const first = await new Promise((resolve) => {{
    video.requestVideoFrameCallback(() => resolve(performance.now() - started));
    setTimeout(() => resolve(null), 20000);
  }});
  const seeks = [];
  for (const at of points) seeks.push(await seek(video, at));
  hls.destroy();
  video.remove();
  return {{first, seeks}};
}}"""


def _p50(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(statistics.median(kept), 1) if kept else None


def _summarise(raw: dict[str, Any], runs: int, record_s: float) -> dict[str, Any]:
    warm = raw["first_frame_ms"][1:] or raw["first_frame_ms"]
    first, bare = _p50(warm), _p50(raw["bare_first_frame_ms"])
    seek, bare_seek = _p50(raw["seek_ms"]), _p50(raw["bare_seek_ms"])
    return {
        "runs": runs,
        "recorded_s": record_s,
        "recording_first_frame_ms": first,
        "cold_first_frame_ms": round(raw["first_frame_ms"][0], 1) if raw["first_frame_ms"] else None,
        "bare_hls_first_frame_ms": bare,
        "first_frame_ratio": round(first / bare, 2) if first and bare else None,
        "phone_seek_ms": seek,
        "phone_seek_max_ms": max((round(v, 1) for v in raw["seek_ms"] if v is not None), default=None),
        "bare_hls_seek_ms": bare_seek,
        "seek_ratio": round(seek / bare_seek, 2) if seek and bare_seek else None,
        "missed_seeks": sum(v is None for v in raw["seek_ms"]),
        "raw": raw,
    }


def render(d: dict[str, Any]) -> list[str]:
    return [
        f"phone (chromium, hls.js) watching a {d['recorded_s']:.0f} s recording ({d['runs']} runs, p50)",
        f"  Play -> first frame: {d['recording_first_frame_ms']} ms warm, {d['cold_first_frame_ms']} ms cold"
        f" (hls.js alone on the same playlist: {d['bare_hls_first_frame_ms']} ms; x{d['first_frame_ratio']})",
        f"  seek -> next frame: {d['phone_seek_ms']} ms, worst {d['phone_seek_max_ms']} ms"
        f" (hls.js alone: {d['bare_hls_seek_ms']} ms; x{d['seek_ratio']}); missed: {d['missed_seeks']}",
    ]  # fmt: skip
