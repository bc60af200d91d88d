"""Streams that go wrong, on a real box: what the TV shows and what a relay client gets.

Each case serves one bad stream from a loopback server written here (dead, stalled, garbage, odd
codecs, very high bit rate, a sudden end) or breaks the demo head-end itself (a restart), and puts
it in the line-up of a real headless box (libVLC, the UI loop at 30 Hz, the HTTP API and relay).
The TV is zapped onto it while a paired client reads it through the relay and another client reads
a good channel. What must hold, every time:

- the TV says what is wrong (its on-screen state text) within a bound, keeps drawing frames, and a
  zap to a good channel then shows that channel's own pictures;
- the relay client gets an error status or a clean end (or data again) within a bound, never a
  connection that just stays silent; the good channel's client sees no gap.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from stb.reliability.harness import Case, Outcome
from stb.reliability.tvlab import (
    BAD_ID,
    BAD_NUMBER,
    CLIP_S,
    BoxLab,
    RelayFetch,
    TvWatch,
    bad_upstream,
    demo_clip,
    ffmpeg_ts,
    free_port,
    send_headers,
    send_paced,
)

AREA = "streams"
GOOD_GAP_S = 3.0  # the good channel's relay client: a longer gap means the bad one hurt it
TONE = ["-f", "lavfi", "-i", "sine=frequency=440"]
PATTERN = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"]

Serve = Callable[[BaseHTTPRequestHandler, threading.Event], None]
Upstream = Callable[[Path], contextlib.AbstractContextManager[str]]


def _served(make: Callable[[Path], Serve]) -> Upstream:
    """An upstream served by :class:`~stb.reliability.tvlab.BadUpstream` with the handler ``make(work)`` builds."""

    @contextlib.contextmanager
    def upstream(work: Path) -> Iterator[str]:
        with bad_upstream(make(work)) as server:
            yield server.url

    return upstream


@contextlib.contextmanager
def _nobody_listens(work: Path) -> Iterator[str]:
    yield f"http://127.0.0.1:{free_port()}/dead.ts"


# -- the bad streams -------------------------------------------------------------------------------


def _headers_then_nothing(work: Path) -> Serve:
    def serve(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        send_headers(handler)
        stop.wait()

    return serve


def _part_then_stall(work: Path) -> Serve:
    """The first 2.5 s of a real channel at once, then silence on an open connection."""
    clip = demo_clip(3)
    part = clip[: int(len(clip) * 2.5 / CLIP_S) // 188 * 188]

    def serve(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        send_headers(handler)
        handler.wfile.write(part)
        handler.wfile.flush()
        stop.wait()

    return serve


def _garbage(work: Path) -> Serve:
    def serve(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        send_headers(handler)
        while not stop.is_set():  # ~1 Mbit/s of noise, until the box hangs up
            handler.wfile.write(os.urandom(12_500))
            handler.wfile.flush()
            stop.wait(0.1)

    return serve


def _file_paced(name: str, seconds: float, inputs: list[str], codecs: list[str]) -> Callable[[Path], Serve]:
    """A TS made by ffmpeg, sent at its own bit rate, looped, to every connection."""

    def make(work: Path) -> Serve:
        data = ffmpeg_ts(work / name, seconds, inputs, codecs)

        def serve(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
            send_headers(handler)
            while not stop.is_set():
                send_paced(handler, data, len(data) / seconds, stop)

        return serve

    return make


def _ends_once(work: Path) -> Serve:
    """A real channel whose first connection ends cleanly after 3 s (the server closes); later ones play on."""
    clip = demo_clip(3)
    rate = len(clip) / CLIP_S
    first = threading.Lock()

    def serve(handler: BaseHTTPRequestHandler, stop: threading.Event) -> None:
        send_headers(handler)
        if first.acquire(blocking=False):
            send_paced(handler, clip[: int(rate * 3) // 188 * 188], rate, stop)
            return  # the connection closes: a clean end of the body
        send_paced(handler, clip, rate, stop)

    return serve


# -- what must happen ------------------------------------------------------------------------------

TvDone = Callable[[BoxLab], bool]


def _tv_says(*states: str) -> Callable[[], TvDone]:
    return lambda: lambda lab: lab.app.player.state.value in states


def _tv_says_sound_only() -> TvDone:
    return lambda lab: (
        lab.app.player.state.value == "playing" and any("sound only" in text.lower() for text in lab.osd_texts())
    )


def _tv_reconnects() -> TvDone:
    """Interrupted, then new pictures of the same channel without a key press: the TV says 'Signal interrupted'
    and reconnects, or its own relay (libVLC's only way to the provider) reconnects first and the pictures go on."""
    broke: list[float] = []

    def done(lab: BoxLab) -> bool:
        player = lab.app.player
        if not broke and (player.state.value in ("stalled", "failed") or _tv_relay_reconnected(lab)):
            broke.append(time.monotonic())
        return bool(broke) and player.state.value == "playing" and (player.frames.last_frame_at or 0.0) > broke[0]

    return done


def _tv_relay_reconnected(lab: BoxLab) -> bool:
    """The TV's relay read the bad channel again after its end and has data again."""
    local = next((s.local for s in lab.app.services if getattr(s, "local", None) is not None), None)
    stats = local.feed_stats(BAD_ID) if local is not None else None
    return stats is not None and stats["connects"] >= 2 and stats["state"] == "playing"


def _refused(fetch: RelayFetch) -> bool:
    """A 502 problem that says what is wrong with the channel."""
    return fetch.ended == "status" and fetch.status == 502 and '"detail"' in fetch.problem


def _streams_on(fetch: RelayFetch) -> bool:
    """200, data, and never silent for long: still streaming when the client left, or ended cleanly."""
    return fetch.status == 200 and fetch.received > 0 and fetch.ended in ("open", "end")


@dataclass(frozen=True)
class Expect:
    """What the viewer and the relay client must get from one bad stream."""

    tv: str  # words for the report
    tv_done: Callable[[], TvDone]  # a fresh "the TV has said it / done it" check per run, polled each frame
    tv_s: float  # …within this
    relay: Callable[[RelayFetch], bool]
    relay_s: float  # the relay client reads this long at most
    relay_silence_s: float  # no byte (or no answer) for this long is a hang


UNAVAILABLE = "'Channel unavailable'"
SOUND_ONLY = "plays the sound and says 'Sound only'"
CASES_SPEC: list[tuple[str, Upstream, Expect]] = [
    ("dead (connection refused)", _nobody_listens,
     Expect(f"TV: {UNAVAILABLE} within 10 s", _tv_says("failed"), 10, _refused, 15, 15)),
    ("stalled: headers, then nothing", _served(_headers_then_nothing),
     Expect(f"TV: {UNAVAILABLE} within 10 s", _tv_says("failed"), 10, _refused, 20, 20)),
    ("stalled: 2.5 s of stream, then nothing", _served(_part_then_stall),
     Expect("TV: 'Signal interrupted' or 'Channel unavailable' within 12 s", _tv_says("stalled", "failed"), 12,
            _streams_on, 5, 12)),
    ("garbage with a video/mp2t type", _served(_garbage),
     Expect(f"TV: {UNAVAILABLE} within 10 s", _tv_says("failed"), 10, _refused, 15, 15)),
    ("audio only (AAC, no video)", _served(_file_paced("audio.ts", 6, TONE, ["-c:a", "aac"])),
     Expect(f"TV: {SOUND_ONLY} within 10 s", _tv_says_sound_only, 10, _streams_on, 2, 3)),
    ("video codec the box cannot decode (FFV1) with AAC",
     _served(_file_paced("ffv1.ts", 4, PATTERN + TONE, ["-c:v", "ffv1", "-c:a", "aac"])),
     Expect(f"TV: {SOUND_ONLY} within 10 s", _tv_says_sound_only, 10, _streams_on, 2, 3)),
    ("sudden clean end mid-stream", _served(_ends_once),
     Expect("TV: pictures again by itself within 15 s ('Signal interrupted' first, unless its relay reconnects "
            "before libVLC notices)", _tv_reconnects, 15,
            _streams_on, 4.5, 5)),
]  # fmt: skip


def _bad_stream_case(name: str, upstream: Upstream, expect: Expect) -> Case:
    def check(work: Path) -> Outcome:
        done = expect.tv_done()
        with upstream(work) as url, BoxLab(work, bad_url=url) as lab:
            good = lab.fetch(lab.good_relay_id(), seconds=120, silence_s=GOOD_GAP_S)
            bad = lab.fetch(BAD_ID, seconds=expect.relay_s, silence_s=expect.relay_silence_s)
            lab.zap(BAD_NUMBER)
            tv = lab.watch(lambda: done(lab), expect.tv_s)
            told = done(lab)
            back, back_s = lab.back_to_good()
            lab.watch(lambda: bad.ended != "", expect.relay_s + expect.relay_silence_s)
            good.leave()
            problems = _problems(tv, told, expect.tv, back, back_s, expect.relay(bad.join()), good.join())
        return _outcome(problems, tv, back_s, bad, good)

    return Case(AREA, name, f"{expect.tv}; a good channel's pictures after it; relay: clean answer, no hang",
                check, seconds=60)  # fmt: skip


def _good_unaffected(good: RelayFetch) -> bool:
    return good.status == 200 and good.ended == "open" and good.longest_gap_s < GOOD_GAP_S


def _problems(tv: TvWatch, told: bool, wanted: str, back: bool, back_s: float, relay_ok: bool,
              good: RelayFetch) -> list[str]:  # fmt: skip
    problems = []
    if not told:
        problems.append(f"the TV did not do it ({wanted})")
    if not tv.kept_drawing:
        problems.append("the TV stopped drawing")
    if not back:
        problems.append(f"no pictures of the good channel {back_s:.1f} s after zapping to it")
    if not relay_ok:
        problems.append("the relay client did not get a clean answer")
    if not _good_unaffected(good):
        problems.append("the good channel's relay client was hurt")
    return problems


def _outcome(problems: list[str], tv: TvWatch, back_s: float, bad: RelayFetch, good: RelayFetch) -> Outcome:
    saw = (f"TV: {tv.describe()}; good channel back in {back_s:.1f} s; relay client: {bad.describe()}; "
           f"good client: {good.describe()}")  # fmt: skip
    return Outcome(not problems, ("; ".join(problems) + " — " if problems else "") + saw)


# -- very high bit rate, and a head-end that restarts ---------------------------------------------

HIGH_RATE_S = 2.0  # of media, looped while the case watches (~55 Mbit/s: ~14 MB in the scratch folder)
HIGH_RATE_WATCH_S = 4.0
HIGH_RATE = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "12", "-g", "25", "-c:a", "aac"]
NOISE = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25,noise=alls=40:allf=t", *TONE]  # noise: no compression


def _high_bitrate(work: Path) -> Outcome:
    """~55 Mbit/s of noise-filled H.264 on loopback: the TV plays it (at a quarter of its pictures at least, or
    says why not) and keeps its own frame rate; the relay client keeps up."""
    with _served(_file_paced("high.ts", HIGH_RATE_S, NOISE, HIGH_RATE))(work) as url, \
            BoxLab(work, bad_url=url) as lab:  # fmt: skip
        good = lab.fetch(lab.good_relay_id(), seconds=120, silence_s=GOOD_GAP_S)
        bad = lab.fetch(BAD_ID, seconds=HIGH_RATE_WATCH_S, silence_s=3)
        lab.zap(BAD_NUMBER)
        zapped = time.monotonic()
        tv = lab.watch(lambda: False, HIGH_RATE_WATCH_S)
        pictures = sum(t > zapped for t in list(lab.app.player.frames.recent))
        message = lab.app.screen.centre_message()
        back, back_s = lab.back_to_good()
        good.leave()
        rate_mbit = (work / "high.ts").stat().st_size * 8 / HIGH_RATE_S / 1e6
        got_mbit = bad.join().received * 8 / max(bad.took(), 1e-3) / 1e6
        relay_ok = bad.ended == "open" and got_mbit > rate_mbit / 2
        problems = _problems(tv, "playing" in tv.states, "play it", back, back_s, relay_ok, good.join())
        if pictures < HIGH_RATE_WATCH_S * 25 / 4 and not message:  # the stream has 25 pictures a second
            problems.append(f"a picture frozen without a word: {pictures} pictures in {HIGH_RATE_WATCH_S:.0f} s")
    outcome = _outcome(problems, tv, back_s, bad, good)
    said = f", TV said {message!r}" if message else ""
    return Outcome(outcome.ok, f"{rate_mbit:.0f} Mbit/s: TV showed {pictures} pictures in {HIGH_RATE_WATCH_S:.0f} s"
                               f"{said}; relay client got {got_mbit:.0f} Mbit/s; {outcome.saw}")  # fmt: skip


def _headend_restart(work: Path) -> Outcome:
    """The head-end is killed (-9) under the TV and a relay client, and started again on its port 2 s later."""
    from stb.reliability.tvlab import GOOD_TV

    with BoxLab(work, headend=True) as lab:
        client = lab.fetch(lab.good_relay_id(), seconds=120, silence_s=15)
        lab.watch(lambda: False, 1.0)
        lab.kill_headend()
        lost = _tv_says("stalled", "failed")()
        down = lab.watch(lambda: lost(lab), 10)
        told = lost(lab)
        lab.watch(lambda: False, 1.0)
        lab.start_headend()
        back_at = time.monotonic()
        up = lab.watch(lambda: lab.shows_channel(GOOD_TV, back_at), 20)
        recovered = lab.shows_channel(GOOD_TV, back_at)
        lab.watch(lambda: (client.last_byte_at or 0.0) > back_at or client.ended != "", 20)
        client.leave()
        client.join()
    relay_ok = client.ended == "end" or (client.ended == "open" and (client.last_byte_at or 0.0) > back_at)
    problems = [text for bad, text in (
        (not told, "the TV did not say the signal was lost"), (not recovered, "the TV did not recover by itself"),
        (not (down.kept_drawing and up.kept_drawing), "the TV stopped drawing"),
        (not relay_ok, "the relay client neither got data again nor a clean end"),
    ) if bad]  # fmt: skip
    saw = (f"TV while down: {down.describe()}; after the restart: pictures in {up.seconds:.1f} s ({up.describe()}); "
           f"relay client: {client.describe()}")  # fmt: skip
    return Outcome(not problems, ("; ".join(problems) + " — " if problems else "") + saw)


CASES = [_bad_stream_case(name, upstream, expect) for name, upstream, expect in CASES_SPEC] + [
    Case(AREA, "very high bit rate (~50 Mbit/s)", "TV plays it and keeps drawing (or says it cannot); the relay "
         "client keeps up; a good channel after it", _high_bitrate, seconds=60),
    Case(AREA, "head-end restart (kill -9, same port)", "TV: 'Signal interrupted', then pictures by itself within "
         "20 s of the restart; the relay client gets data again or a clean end", _headend_restart, seconds=60),
]  # fmt: skip
