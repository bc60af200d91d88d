"""What a box asks another box for before mirroring it (the namespace test covers the whole path)."""

from __future__ import annotations

import asyncio

import httpx

from stb.lan.peers import signed_live_url
from tests.net.test_api import box, pair, run_client  # noqa: F401  (box is a fixture)


def test_a_mirror_plays_a_signed_url_not_the_long_lived_token(box):  # noqa: F811
    def other_box(base):
        root = base.removesuffix("/api/v1")
        with httpx.Client(timeout=5) as c:
            token = pair(c, base, box, "Bedroom box")

        async def ask() -> str:
            async with httpx.AsyncClient(timeout=5) as http:
                return await signed_live_url(http, root, token)

        url = asyncio.run(ask())
        tampered = url.replace("sig=", "sig=0")
        statuses = []
        with httpx.Client(timeout=5) as c:
            for u in (url, tampered):
                with c.stream("GET", u) as response:  # the status comes before any of the (endless) body
                    statuses.append(response.status_code)
        return url, token, statuses

    url, token, (good, bad) = run_client(box, other_box)
    assert "/stream/live?" in url and "sig=" in url and token not in url
    assert bad == 401
    assert good == 200  # the live stream, waiting for the TV's (dead) channel
