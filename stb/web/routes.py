"""Serves the web companion: `/` (the page) and `/app/…` (its scripts, styles, hls.js, the skin's colours).

The page itself is public, like `GET /api/v1/box`: it holds no data, and everything it shows comes
from the token-checked API. Its Content-Security-Policy lets it load nothing but the box's own files
(hls.js needs `blob:` for its worker and for the video's MediaSource).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from stb.skin.theme import RGB, Theme
from stb.web.assets import Asset, load_assets

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
#: A file's body goes out in pieces of this size, each after the previous one left the box's hands (the server
#: waits for the connection's buffer to drain before the next): a client that never reads holds one piece in
#: the box's memory, not the whole file, and the loop copies no more than it can send.
PIECE = 64 * 1024


class PacedResponse(Response):
    """A body already in memory, sent in PIECE-sized parts so the server's flow control paces it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        body = self.body
        for start in range(0, max(len(body), 1), PIECE):
            more = start + PIECE < len(body)
            await send({"type": "http.response.body", "body": bytes(body[start : start + PIECE]), "more_body": more})


def _hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def theme_css(theme: Theme) -> str:
    """The active skin's colours as CSS variables; the page's own stylesheet uses nothing else."""
    colours = {
        "bg": theme.background, "surface": theme.surface, "raised": theme.surface_raised, "text": theme.text,
        "dim": theme.text_dim, "accent": theme.accent, "on-accent": theme.focus_text, "warn": theme.warning,
        "error": theme.error, "now": theme.now_line,
    }  # fmt: skip
    lines = "".join(f"  --{name}: {_hex(rgb)};\n" for name, rgb in colours.items())
    return f":root {{\n{lines}  --radius: {max(4, theme.radius // 2)}px;\n}}\n"


def add_page(app: FastAPI, theme: Callable[[], Theme]) -> None:
    """Add the page's routes to ``app`` (left out of the API's OpenAPI document: they are not API).

    The files are read and gzipped on the first request for one, not while the box starts, and on a worker
    thread: gzip -9 of hls.js takes ~70 ms, which on the loop held up every request behind it (a burst of
    requests for it kept a paired phone waiting that long and more).
    """
    loaded: list[dict[str, Asset]] = []
    lock = threading.Lock()

    def load_once() -> dict[str, Asset]:
        with lock:  # a burst of first requests: one reads the files, the others wait for it
            if not loaded:
                loaded.append(load_assets())
            return loaded[0]

    async def assets() -> dict[str, Asset]:
        return loaded[0] if loaded else await asyncio.to_thread(load_once)

    def send(request: Request, asset: Asset) -> Response:
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"} | SECURITY_HEADERS
        if asset.content_type.startswith("text/html"):
            headers["Content-Security-Policy"] = CSP
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        body = asset.body
        if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body, headers["Content-Encoding"] = asset.gzipped, "gzip"
        return PacedResponse(body, media_type=asset.content_type, headers=headers)

    async def page(request: Request) -> Response:
        return send(request, (await assets())["index.html"])

    async def skin_css(request: Request) -> Response:
        return Response(theme_css(theme()), media_type="text/css", headers={"Cache-Control": "no-cache"})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        found = (await assets()).get(name)
        if found is None or name == "index.html":
            raise HTTPException(404, f"the page has no file {name[:80]!r}")
        return send(request, found)

    # Starlette's own routes: FastAPI analyses a route's parameters on its first match (tens of ms on the loop, up
    # to ~100 ms on a loaded box: the first burst of requests for hls.js waited for it), and these have none to.
    app.add_route("/", page, methods=["GET"], include_in_schema=False)
    app.add_route("/app/skin.css", skin_css, methods=["GET"], include_in_schema=False)
    app.add_route("/app/{name:path}", asset, methods=["GET"], include_in_schema=False)
