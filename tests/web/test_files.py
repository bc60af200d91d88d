"""The page's files as the routes serve them: whole, gzipped when asked, 304 on a known ETag, and a large one
sent in pieces so that the server's flow control paces it (a client that never reads holds one piece, not the file).
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from stb.skin.theme import Theme
from stb.web.assets import load_assets
from stb.web.routes import PIECE, add_page

HLS_JS = "vendor/hls.light.min.js"


def _page() -> FastAPI:
    app = FastAPI()
    add_page(app, Theme)
    return app


def _get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_page()), base_url="http://box.local") as c:
            return await c.get(path, headers=headers)

    return asyncio.run(run())


def test_a_file_comes_whole_and_gzipped_when_asked_and_304_on_its_etag():
    body = load_assets()[HLS_JS].body
    plain = _get(f"/app/{HLS_JS}", {"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.content == body
    assert plain.headers["content-length"] == str(len(body))
    zipped = _get(f"/app/{HLS_JS}", {"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == body  # httpx decodes it
    assert int(zipped.headers["content-length"]) < len(body) // 2
    assert _get(f"/app/{HLS_JS}", {"If-None-Match": plain.headers["etag"]}).status_code == 304
    assert _get("/app/../server.py").status_code == 404


def test_a_large_file_goes_out_in_pieces_and_a_small_one_in_one():
    sent: dict[str, list[bytes]] = {}

    async def fetch(path: str) -> None:
        scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": [(b"host", b"box.local")], "scheme": "http", "http_version": "1.1",
                 "server": ("box.local", 80), "client": ("10.0.0.9", 5000), "root_path": ""}  # fmt: skip
        pieces: list[bytes] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.body":
                pieces.append(message["body"])

        await _page()(scope, receive, send)
        sent[path] = pieces

    asyncio.run(fetch(f"/app/{HLS_JS}"))
    asyncio.run(fetch("/app/app.css"))
    big = sent[f"/app/{HLS_JS}"]
    assert b"".join(big) == load_assets()[HLS_JS].body
    assert len(big) == -(-len(b"".join(big)) // PIECE) and max(map(len, big)) == PIECE
    assert len(sent["/app/app.css"]) == 1
    assert sent["/app/app.css"] == [load_assets()["app.css"].body]
