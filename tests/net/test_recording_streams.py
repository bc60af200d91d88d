"""A recording on other screens: the API on real HTTP (uvicorn on loopback) with a real recorder library holding
a recording made by ffmpeg, read by stock ffprobe, ffmpeg and mpv that seek into its middle, over the TS route
with byte ranges and over HLS; pairing, the parental lock, revocation, hostile ids and deletion while sent."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from stb.commands import CommandQueue
from stb.lan.auth import Auth
from stb.net.api import Limits, NetContext, create_app
from stb.net.api.recording_streams import ABORT
from stb.net.http import ABORT as PROTOCOL_ABORT
from stb.net.http import for_box
from stb.net.signed import StreamSigner
from stb.pvr.library import Meta, Part
from stb.pvr.media import RecordingIndex, parse_range, playlist, spans
from stb.pvr.service import Pvr
from stb.ts.packets import PACKET, SYNC

pytestmark = pytest.mark.timeout(180)

HANG_S = 60.0
REC_ID = "0123456789abcdef"
LONG_ID = "00000000000000bb"
SECONDS = 24


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """24 s of 640x360 H.264 (a keyframe a second) and AAC in MPEG-TS, as the relay records a channel."""
    out = tmp_path_factory.mktemp("rec") / "clip.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={SECONDS}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}", "-c:v", "libx264", "-preset",
                    "ultrafast", "-g", "25", "-c:a", "aac", "-f", "mpegts", str(out)],
                   check=True, timeout=HANG_S)  # fmt: skip
    return out


def make_recording(directory: Path, clip: Path, rec_id: str = REC_ID, parts: int = 1, **meta: object) -> Meta:
    folder = directory / rec_id
    folder.mkdir(parents=True)
    made = Meta(rec_id, "c1", "Channel 1", "Test programme", 1_800_000_000.0, 1_800_000_000.0 + SECONDS * parts,
                state="done", **meta)  # type: ignore[arg-type]  # fmt: skip
    for n in range(1, parts + 1):
        shutil.copy(clip, folder / f"part-{n}.ts")
        start = made.start + (n - 1) * SECONDS
        made.parts.append(Part(f"part-{n}.ts", start, start + SECONDS, clip.stat().st_size))
    (folder / "meta.json").write_text(json.dumps(made.to_json()))
    return made


@dataclass
class Served:
    ctx: NetContext
    pvr: Pvr
    root: str  # http://127.0.0.1:PORT
    hidden: set[str]  # recording ids the parental rule hides (the test's TV)
    loop: asyncio.AbstractEventLoop

    def call(self, coro) -> object:  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(HANG_S)

    def pair(self, name: str = "Laptop") -> tuple[dict[str, str], str]:
        with httpx.Client(base_url=f"{self.root}/api/v1", timeout=10) as c:
            started = c.post("/pairing", json={"name": name})
            shown = self.ctx.auth.code_to_show()
            assert shown is not None
            done = c.post(f"/pairing/{started.json()['pairing_id']}", json={"code": shown.code}).json()
        return {"Authorization": f"Bearer {done['token']}"}, done["device_id"]


@pytest.fixture
def served(tmp_path, clip) -> Iterator[Served]:
    recordings = tmp_path / "recordings"
    make_recording(recordings, clip)
    make_recording(recordings, clip, "00000000000000aa", parts=2)
    make_recording(recordings, clip, LONG_ID)  # its file 30 times over: more than the sockets buffer
    (recordings / LONG_ID / "part-1.ts").write_bytes(clip.read_bytes() * 30)

    async def no_guide(query, default):  # type: ignore[no-untyped-def]
        return default

    pvr = Pvr(state_dir=tmp_path / "state", recordings_dir=recordings, reader=None, guide=no_guide,  # type: ignore[arg-type]
              channel_name=lambda c: c)  # fmt: skip
    pvr.library.rebuild()
    hidden: set[str] = set()
    ctx = NetContext(box_info=lambda: {"id": "b", "name": "Box", "model": "stb", "version": "0", "api": "/api/v1",  # type: ignore[arg-type, return-value]
                                       "capabilities": [], "pairing_required": True},
                     commands=CommandQueue(), auth=Auth(directory=tmp_path / "auth"), box=None, guide=lambda: None,  # type: ignore[arg-type]
                     open_on_lan=lambda: False, pvr=pvr, signer=StreamSigner(tmp_path),
                     recording_hidden=lambda meta: meta.id in hidden)  # fmt: skip
    config = uvicorn.Config(
        create_app(ctx), host="127.0.0.1", port=0, log_level="warning", lifespan="off", http=for_box(Limits())
    )  # the box's own connections, as stb.net.server serves them
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), name="api")
    thread.start()
    deadline = time.monotonic() + HANG_S
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(ctx, pvr, f"http://127.0.0.1:{port}", hidden, loop)
    finally:
        asyncio.run_coroutine_threadsafe(ctx.sessions.stop(), loop).result(30)  # its watcher, before the loop ends
        server.should_exit = True
        thread.join(HANG_S)
        loop.close()
        ctx.guide_thread.close()


def signed(served: Served, auth: dict[str, str], rec_id: str = REC_ID) -> dict:
    answer = httpx.post(f"{served.root}/api/v1/recordings/{rec_id}/stream-urls", headers=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def first_video_time_after_seek(url: str, at: float) -> float:
    """What stock ffprobe reads first after seeking to ``at`` s: the pts of the first video frame it decodes."""
    out = subprocess.run(["ffprobe", "-v", "error", "-read_intervals", f"{at}%+#1", "-select_streams", "v:0",
                          "-show_entries", "frame=pts_time", "-of", "csv=p=0", url],
                         capture_output=True, text=True, timeout=HANG_S, check=True)  # fmt: skip
    return float(out.stdout.split()[0].strip(","))


def test_ranges_are_parsed_as_rfc_9110_says():
    assert parse_range(None, 100) is None and parse_range("items=0-1", 100) is None
    assert parse_range("bytes=0-", 100) == (0, 99) and parse_range("bytes=10-19", 100) == (10, 19)
    assert parse_range("bytes=90-500", 100) == (90, 99) and parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=0-1,5-6", 100) is None  # several: the whole body instead
    assert parse_range("bytes=a-b", 100) is None
    for bad in ("bytes=100-", "bytes=5-4", "bytes=-0"):
        with pytest.raises(Exception, match="100 bytes"):
            parse_range(bad, 100)


def test_the_ts_route_answers_ranges_and_stock_players_seek_into_the_middle(served, clip):
    auth, _ = served.pair()
    urls = signed(served, auth)
    ts = f"{served.root}{urls['ts']}"
    size = clip.stat().st_size
    whole = httpx.get(ts, timeout=HANG_S)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert whole.content == clip.read_bytes() and int(whole.headers["content-length"]) == size
    middle = httpx.get(ts, headers={"Range": f"bytes={size // 2}-{size // 2 + 9999}"}, timeout=HANG_S)
    assert middle.status_code == 206
    assert middle.headers["content-range"] == f"bytes {size // 2}-{size // 2 + 9999}/{size}"
    assert middle.content == clip.read_bytes()[size // 2 : size // 2 + 10000]
    past = httpx.get(ts, headers={"Range": f"bytes={size}-"}, timeout=HANG_S)
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    assert past.headers["content-type"] == "application/problem+json"
    # ffprobe seeks (by byte ranges) and reads a frame from the middle, not from the start
    start = first_video_time_after_seek(str(clip), 0)
    assert 11 <= first_video_time_after_seek(ts, start + 12) - start <= 13.5
    # mpv (libavformat over HTTP) starts in the middle, as `stb recordings play` asks it to
    mpv = subprocess.run(["mpv", "--no-config", "--vo=null", "--ao=null", "--start=15", "--frames=5",
                          "--term-playing-msg=START ${=time-pos}", ts], capture_output=True, text=True,
                         timeout=HANG_S)  # fmt: skip
    found = re.search(r"START ([0-9.]+)", mpv.stdout)
    assert mpv.returncode == 0 and found, mpv.stdout + mpv.stderr
    assert 14 <= float(found.group(1)) <= 16.5


def test_hls_is_a_vod_playlist_cut_at_keyframes_and_ffmpeg_seeks_in_it(served, clip):
    auth, _ = served.pair()
    urls = signed(served, auth, "00000000000000aa")  # two parts: a discontinuity between them
    text = httpx.get(f"{served.root}{urls['hls']}", timeout=HANG_S).text
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert text.count("#EXT-X-DISCONTINUITY") == 1
    durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),", text)]
    assert abs(sum(durations) - 2 * SECONDS) < 1.5
    segment = re.findall(r"^(\d+\.ts\?.*)$", text, re.M)[3]
    data = httpx.get(f"{served.root}/hls/recording/00000000000000aa/{segment}", timeout=HANG_S).content
    assert data[0] == SYNC and len(data) % PACKET == 0
    assert data[1] & 0x1F == 0 and data[2] == 0  # a PAT first: any segment starts a decoder
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", "-"],
                           input=data, capture_output=True, timeout=HANG_S)  # fmt: skip
    assert b"video" in probe.stdout and b"audio" in probe.stdout
    # ffmpeg's HLS reader seeks to 30 s (in the second part) and decodes from there
    out = subprocess.run(["ffmpeg", "-v", "error", "-ss", "30", "-i", f"{served.root}{urls['hls']}", "-frames:v", "3",
                          "-f", "null", "-"], capture_output=True, text=True, timeout=HANG_S)  # fmt: skip
    assert out.returncode == 0, out.stderr
    # mpv (libavformat's HLS) starts at 30 s, in the second part, behind the discontinuity
    mpv = subprocess.run(["mpv", "--no-config", "--vo=null", "--ao=null", "--start=30", "--frames=5",
                          "--term-playing-msg=START ${=time-pos}", f"{served.root}{urls['hls']}"],
                         capture_output=True, text=True, timeout=HANG_S)  # fmt: skip
    found = re.search(r"START ([0-9.]+)", mpv.stdout)
    assert mpv.returncode == 0 and found, mpv.stdout + mpv.stderr
    assert 28 <= float(found.group(1)) <= 32
    # the TS route of the same two parts is one timeline too: the second part follows on the first one's clock
    start = first_video_time_after_seek(str(clip), 0)
    assert 35 <= first_video_time_after_seek(f"{served.root}{urls['ts']}", start + 36) - start <= 37.5


def test_where_two_parts_meet_the_counters_go_on_over_ts_and_over_hls(served, clip, tmp_path):
    from stb.bench.pvr import continuity_errors
    from stb.ts.continuity import Continuity

    def packets(data: bytes):
        return (data[i : i + PACKET] for i in range(0, len(data) - PACKET + 1, PACKET))

    auth, _ = served.pair()
    urls = signed(served, auth, "00000000000000aa")  # two copies of the clip: the second's counters start anew
    whole = httpx.get(f"{served.root}{urls['ts']}", timeout=HANG_S).content
    assert len(whole) == 2 * clip.stat().st_size
    assert Continuity().feed(packets(clip.read_bytes() * 2)).errors > 0  # the parts as they are on disk
    assert Continuity().feed(packets(whole)).errors == 0
    (tmp_path / "whole.ts").write_bytes(whole)
    assert continuity_errors(tmp_path / "whole.ts") == 0  # ffmpeg's demuxer agrees
    # HLS: every segment read one after the other, as a player does (each led by a PAT and a PMT)
    text = httpx.get(f"{served.root}{urls['hls']}", timeout=HANG_S).text
    segments = re.findall(r"^(\d+\.ts\?.*)$", text, re.M)
    read = b"".join(httpx.get(f"{served.root}/hls/recording/00000000000000aa/{name}", timeout=HANG_S).content
                    for name in segments)  # fmt: skip
    assert Continuity().feed(packets(read)).errors == 0
    (tmp_path / "segments.ts").write_bytes(read)
    assert continuity_errors(tmp_path / "segments.ts") == 0


def test_ffmpeg_reading_the_hls_segments_one_after_another_or_from_the_middle_finds_no_counter_jump(served, clip):
    """Each segment's PAT and PMT in front continue the counters into the segment and say a counter discontinuity
    to whatever was read before: ffmpeg's HLS reader checks the counters across segments (its debug log)."""
    auth, _ = served.pair()
    urls = signed(served, auth)
    text = httpx.get(f"{served.root}{urls['hls']}", timeout=HANG_S).text
    segment = re.findall(r"^(\d+\.ts\?.*)$", text, re.M)[2]
    data = httpx.get(f"{served.root}/hls/recording/{REC_ID}/{segment}", timeout=HANG_S).content
    assert data[3] & 0x20 and data[4] > 0 and data[5] & 0x80  # the PAT in front: adaptation field, discontinuity
    for start in ([], ["-ss", "10"]):
        out = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "debug", *start, "-i",
                              f"{served.root}{urls['hls']}", "-map", "0", "-c", "copy", "-f", "null", "-"],
                             capture_output=True, text=True, errors="replace", timeout=HANG_S)  # fmt: skip
        assert out.returncode == 0, out.stderr[-2000:]
        assert "Opening" in out.stderr and out.stderr.count(".ts?") >= 3  # it read several segments
        jumps = [line for line in out.stderr.splitlines() if "Continuity check failed" in line]
        assert not jumps, (start, jumps[:5])


def test_a_recording_under_way_is_served_as_far_as_it_goes(served, clip):
    auth, _ = served.pair()
    meta = served.pvr.library.recordings[REC_ID]
    part = served.pvr.library.folder(REC_ID) / "part-1.ts"
    part.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2 // PACKET * PACKET])
    meta.state = "recording"  # as the recorder has it while it writes
    urls = signed(served, auth)
    assert urls["growing"] is True
    first = httpx.get(f"{served.root}{urls['hls']}", timeout=HANG_S).text
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in first and "#EXT-X-ENDLIST" not in first
    ts = httpx.get(f"{served.root}{urls['ts']}", timeout=HANG_S)
    assert ts.status_code == 200 and len(ts.content) == part.stat().st_size
    part.write_bytes(clip.read_bytes())  # the recorder wrote on
    later = httpx.get(f"{served.root}{urls['hls']}", timeout=HANG_S).text
    assert later.startswith(first.split("#EXTINF")[0]) and later.count("#EXTINF") > first.count("#EXTINF")
    assert [line for line in later.splitlines() if line.startswith("#EXTINF")][: first.count("#EXTINF")] == [
        line for line in first.splitlines() if line.startswith("#EXTINF")
    ]  # what was listed stays as it was


def test_a_recording_being_written_is_an_event_playlist_that_grows(tmp_path, clip):
    data = clip.read_bytes()
    folder = tmp_path / REC_ID
    folder.mkdir()
    meta = Meta(REC_ID, "c1", "C", "Growing", 0.0, 60.0, state="recording", parts=[Part("part-1.ts", 0.0)])
    (folder / "part-1.ts").write_bytes(data[: len(data) // 3 // PACKET * PACKET])
    index = RecordingIndex()
    early = index.update(meta, spans(folder, meta))
    (folder / "part-1.ts").write_bytes(data)
    later = index.update(meta, spans(folder, meta))
    assert early and len(later) > len(early) and later[: len(early)] == early  # grows: what was listed stays
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in playlist(later, True) and "#EXT-X-ENDLIST" not in playlist(later, True)
    meta.state = "done"
    done = index.update(meta, spans(folder, meta))
    assert done[-1].end == len(data) and abs(sum(c.duration for c in done) - SECONDS) < 1.5


def test_pairing_lock_and_hostile_ids(served):
    auth, _ = served.pair()
    for path in (f"/stream/recording/{REC_ID}", f"/hls/recording/{REC_ID}/index.m3u8", f"/hls/recording/{REC_ID}/0.ts"):
        stranger = httpx.get(f"{served.root}{path}", timeout=10)
        assert stranger.status_code == 401 and stranger.headers["content-type"] == "application/problem+json"
    for hostile in ("..%2F..%2Fetc%2Fpasswd", "0123456789ABCDEF", "0123456789abcde", "%2e%2e", "x" * 300):
        answer = httpx.get(f"{served.root}/stream/recording/{hostile}", headers=auth, timeout=10)
        assert answer.status_code in (404, 422), hostile
        assert answer.headers["content-type"] == "application/problem+json", hostile
    missing = httpx.get(f"{served.root}/stream/recording/fedcba9876543210", headers=auth, timeout=10)
    assert missing.status_code == 404
    served.hidden.add(REC_ID)  # the TV's parental rule now hides it (its channel locked, or rated above the limit)
    for path in (f"/stream/recording/{REC_ID}", f"/hls/recording/{REC_ID}/index.m3u8",
                 f"/api/v1/recordings/{REC_ID}/stream-urls"):  # fmt: skip
        method = "POST" if "stream-urls" in path else "GET"
        locked = httpx.request(method, f"{served.root}{path}", headers=auth, timeout=10)
        assert locked.status_code == 403 and "parental lock" in locked.json()["detail"], path


def _reader(url: str, stop: threading.Event, result: dict) -> None:
    """A player reading slowly (a chunk, then a pause), until the box ends the body or the test stops it."""
    try:
        with httpx.stream("GET", url, timeout=HANG_S) as response:
            result["status"] = response.status_code
            result["bytes"] = 0
            for chunk in response.iter_raw(64 * 1024):
                result["bytes"] += len(chunk)
                if stop.wait(0.05):
                    return
        result["ended"] = "cleanly"
    except httpx.HTTPError as exc:
        result["ended"] = type(exc).__name__


@pytest.mark.parametrize("how", ["revoked", "deleted"])
def test_a_revoked_device_or_a_deleted_recording_ends_the_stream(served, clip, how, caplog, capfd):
    auth, device_id = served.pair()
    ts = f"{served.root}{signed(served, auth, LONG_ID)['ts']}"
    stop, result = threading.Event(), {}
    reader = threading.Thread(target=_reader, args=(ts, stop, result))
    reader.start()
    deadline = time.monotonic() + HANG_S
    while result.get("bytes", 0) < 64 * 1024 and time.monotonic() < deadline:
        time.sleep(0.02)
    if how == "revoked":
        served.ctx.auth.revoke(device_id)
    else:
        served.call(served.pvr.delete_recording(LONG_ID))
    reader.join(HANG_S)  # a hang here is the failure: the stream went on
    stop.set()
    assert not reader.is_alive()
    assert result["status"] == 200 and result["bytes"] < 30 * clip.stat().st_size and "ended" in result
    again = httpx.get(ts, timeout=10)
    assert again.status_code == (401 if how == "revoked" else 404)
    assert again.headers["content-type"] == "application/problem+json"
    # cleanly: the body stops short and the connection closes (HTTP/1.1's "that was not all"), nothing logged
    assert result["ended"] == "RemoteProtocolError", result
    assert ABORT == PROTOCOL_ABORT
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    logged = capfd.readouterr().err  # uvicorn's own log goes to stderr, not through the root logger
    assert "Exception in ASGI application" not in logged and "without completing" not in logged, logged
