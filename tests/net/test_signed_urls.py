"""Signed stream URLs: the signer on its own, then through a running box (loopback HTTP, the demo head-end)."""

from __future__ import annotations

import stat
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from stb.headend.catalog import CHANNELS
from stb.net.signed import IN_USE_GRACE_S, PAUSED_GRACE_S, SECRET_FILE, SignatureError, StreamSigner, scope_of
from tests.net.test_api import pair, run_client


def parts(url: str) -> tuple[str, str, int, str]:
    split = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(split.query).items()}
    return split.path, query["sig"], int(query["exp"]), query["dev"]


def test_scopes_cover_a_rendition_folder_or_one_stream():
    assert scope_of("/hls/live/index.m3u8") == scope_of("/hls/live/42.ts") == "/hls/live/"
    assert scope_of("/hls/channel/news-24/index.m3u8") == "/hls/channel/news-24/"
    assert scope_of("/stream/channel/news-24") == "/stream/channel/news-24"
    assert scope_of("/hls/recording/0123456789abcdef/3.ts") == "/hls/recording/0123456789abcdef/"
    assert scope_of("/stream/recording/0123456789abcdef") == "/stream/recording/0123456789abcdef"
    for bad in (
        "/stream/live/x",
        "/hls/live/../x",
        "/hls/channel/a/b/index.m3u8",
        "/api/v1/state",
        "/hls/live/x.ts",
        "/stream/recording/../x",
        "/stream/recording/0123456789ABCDEF",
        "/hls/recording/0123/index.m3u8",
    ):
        assert scope_of(bad) is None, bad


def test_a_signature_is_checked_keeps_going_while_in_use_and_the_secret_is_private(tmp_path):
    signer = StreamSigner(tmp_path)
    t0 = 1_000_000.0
    url, expires = signer.sign("dev1", "/hls/live/index.m3u8", 300, now=t0)
    path, sig, exp, dev = parts(url)
    assert expires == exp == t0 + 300 and path == "/hls/live/index.m3u8"
    assert signer.verify("/hls/live/17.ts", sig, exp, dev, now=t0 + 5) == "dev1"  # segments share the scope
    with pytest.raises(SignatureError, match="does not match"):
        signer.verify("/hls/channel/x/index.m3u8", sig, exp, dev, now=t0 + 5)  # another stream
    with pytest.raises(SignatureError, match="does not match"):
        signer.verify(path, sig, exp + 3600, dev, now=t0 + 5)  # a longer life, by hand
    with pytest.raises(SignatureError, match="does not match"):
        signer.verify(path, sig, exp, "dev2", now=t0 + 5)
    # in use: each request keeps it valid for a grace period past its expiry; unused, it dies
    now = t0 + 290
    while now < t0 + 900:
        assert signer.verify(path, sig, exp, dev, now=now) == "dev1"
        now += IN_USE_GRACE_S - 5
    with pytest.raises(SignatureError, match="expired"):
        signer.verify(path, sig, exp, dev, now=now + IN_USE_GRACE_S)
    other, _ = signer.sign("dev1", "/stream/live", 300, now=t0)
    with pytest.raises(SignatureError, match="expired"):
        signer.verify(*parts(other), now=t0 + 301)  # never used before it expired
    # while its stream is sent (no request at all), the sessions keep it in use; once they stop, it dies
    ts, _ = signer.sign("dev1", "/stream/channel/c1", 10, now=t0)
    signer.verify(*parts(ts), now=t0 + 1)
    for moment in range(2, 600, 30):
        signer.keep_in_use(parts(ts)[1], now=t0 + moment)
    assert signer.verify(*parts(ts), now=t0 + 600) == "dev1"  # a reconnect ten minutes on
    with pytest.raises(SignatureError, match="expired"):
        signer.verify(*parts(ts), now=t0 + 600 + IN_USE_GRACE_S + 1)
    # a recording's URL: its player may pause for hours (its connection dropped meanwhile), then ask for more
    recording, _ = signer.sign("dev1", "/hls/recording/0123456789abcdef/index.m3u8", 300, now=t0)
    signer.verify(*parts(recording), now=t0 + 10)
    resumed = ("/hls/recording/0123456789abcdef/40.ts", *parts(recording)[1:])
    assert signer.verify(*resumed, now=t0 + 10 + PAUSED_GRACE_S - 60) == "dev1"  # hours later, paused meanwhile
    with pytest.raises(SignatureError, match="expired"):
        signer.verify(*resumed, now=t0 + 10 + 2 * PAUSED_GRACE_S)  # unused past the grace: dead
    key = tmp_path / SECRET_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = StreamSigner(tmp_path)  # the same secret after a restart
    assert again.verify(*parts(other), now=t0 + 1) == "dev1"
    with pytest.raises(ValueError, match="not a stream path"):
        signer.sign("dev1", "/api/v1/state")


@pytest.mark.slow
def test_signed_urls_through_the_box(demo_box):
    channel = CHANNELS[1].id
    playlist = f"/hls/channel/{channel}/index.m3u8"

    def client(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=20) as c:
            token = pair(c, base, demo_box)
            auth = {"Authorization": f"Bearer {token}"}
            made = c.post(f"{base}/stream-urls", json={"path": playlist}, headers=auth)
            url = made.json()["url"]
            good = c.get(f"{root}{url}")
            segment_uri = next(line for line in good.text.splitlines() if not line.startswith("#"))
            segment = c.get(f"{root}/hls/channel/{channel}/{segment_uri}")
            stream = f"/stream/channel/{channel}"
            ts_url = c.post(f"{base}/stream-urls", json={"path": stream, "expires_in": 60}, headers=auth).json()["url"]
            with c.stream("GET", f"{root}{ts_url}") as r:
                ts_status = r.status_code
            path, sig, exp, dev = parts(url)
            tampered = c.get(f"{root}{path}", params={"sig": sig[:-2] + "AA", "exp": exp, "dev": dev})
            longer = c.get(f"{root}{path}", params={"sig": sig, "exp": exp + 60, "dev": dev})
            elsewhere = c.get(f"{root}/hls/live/index.m3u8", params={"sig": sig, "exp": exp, "dev": dev})
            partial = c.get(f"{root}{path}", params={"sig": sig})
            stale, _ = demo_box.net.ctx.signer.sign(dev, playlist, 300, now=time.time() - 400)  # signed 400 s ago
            expired = c.get(f"{root}{stale}")
            nothing = c.get(f"{root}{playlist}")
            not_a_stream = c.post(f"{base}/stream-urls", json={"path": "/api/v1/state"}, headers=auth)
            stranger = c.post(f"{base}/stream-urls", json={"path": playlist})
            c.delete(f"{base}/devices/{dev}", headers=auth)
            revoked = c.get(f"{root}{url}")
            return (made, good, segment, ts_status, tampered, longer, elsewhere, partial, expired, nothing,
                    not_a_stream, stranger, revoked)  # fmt: skip

    (made, good, segment, ts_status, tampered, longer, elsewhere, partial, expired, nothing, not_a_stream, stranger,
     revoked) = run_client(demo_box, client, 60)  # fmt: skip
    assert made.status_code == 200 and time.time() + 250 < made.json()["expires"] <= time.time() + 301
    assert good.status_code == 200 and segment.status_code == 200 and ts_status == 200
    for refused in (tampered, longer, elsewhere):
        assert refused.status_code == 401 and "does not match" in refused.json()["detail"], refused.text
    assert partial.status_code == 401 and "lacks" in partial.json()["detail"]
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert nothing.status_code == 401 and nothing.json()["title"] == "Not paired"
    assert not_a_stream.status_code == 422 and "not a stream path" in not_a_stream.json()["detail"]
    assert stranger.status_code == 401
    assert revoked.status_code == 401 and "removed" in revoked.json()["detail"]
