"""Talking to a box from a laptop: its HTTP API with a stored token, and errors as one line each.

Tokens are kept with each box's pinned certificate in the user's config directory (`companion-tokens.json`,
see `stb.lan.tokens`) and sent only over TLS that proves that certificate (`stb.lan.identity`).
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from stb.errors import StbError
from stb.lan.tokens import API, DEFAULT_PORT, Tokens, address_of

__all__ = ["API", "DEFAULT_PORT", "BoxClient", "Tokens", "address_of"]


class BoxClient:
    def __init__(self, host: str, port: int, token: str | None = None, timeout: float = 5.0) -> None:
        self.host, self.timeout = host, timeout
        self.root = f"http://{_netloc(host, port)}"  # plain HTTP: public calls, and the players' signed URLs
        self.base = f"{self.root}{API}"
        self.token = token
        self.tls: ssl.SSLContext | None = None
        self._http = httpx.Client(timeout=timeout)

    def pin(self, tls_port: int, context: ssl.SSLContext) -> None:
        """From now on every call goes over TLS to ``tls_port``, accepted only with the pinned certificate."""
        self._http.close()
        self.tls = context
        self.base = f"https://{_netloc(self.host, tls_port)}{API}"
        self._http = httpx.Client(timeout=self.timeout, verify=context)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BoxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.token and self.tls is None:  # a token never crosses the LAN to a box that did not prove its key
            raise StbError(f"{self.root}: not sending the token over a connection that does not prove the box")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.request(method, f"{self.base}{path}", headers=headers, **kwargs)
        except httpx.ConnectError as exc:
            if "CERTIFICATE" in str(exc).upper():
                raise StbError(f"{self.base}: this is not the box you paired with (its key differs)") from None
            raise StbError(f"{self.base}: cannot reach the box ({exc})") from None
        except httpx.TimeoutException:
            raise StbError(f"{self.base}: the box did not answer in time") from None
        except httpx.HTTPError as exc:
            raise StbError(f"{self.base}: cannot reach the box ({exc})") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text[:200]
            hint = " (pair first: `stb pair BOX`)" if response.status_code == 401 else ""
            raise StbError(f"the box said {response.status_code}: {detail}{hint}")
        return response.json() if response.content else None

    def box_info(self) -> dict:
        return self.request("GET", "/box")

    def begin_pairing(self, name: str) -> dict:
        """The pairing id, and the fingerprint the TV shows next to the code."""
        return self.request("POST", "/pairing", json={"name": name})

    def complete_pairing(self, pairing_id: str, code: str) -> dict:
        return self.request("POST", f"/pairing/{pairing_id}", json={"code": code})

    def state(self) -> dict:
        return self.request("GET", "/state")

    def zap(self, number: int | None = None, channel_id: str | None = None, direction: str | None = None) -> dict:
        body = {k: v for k, v in (("number", number), ("id", channel_id), ("direction", direction)) if v is not None}
        return self.request("POST", "/actions/zap", json=body)

    def play(self, url: str, title: str | None = None) -> dict:
        """Fling a URL: a line-up channel's, or any http(s)/udp/rtp stream the TV plays until the next zap."""
        return self.request("POST", "/actions/play", json={"url": url} | ({"title": title} if title else {}))

    def handoff(self, channel_id: str | None = None, recording_id: str | None = None) -> dict:
        """Tell the box this device took ``channel_id`` (or a recording) over (`stb take`); it answers whether the
        TV went dark."""
        body = {"channel": channel_id} if recording_id is None else {"recording": recording_id}
        return self.request("POST", "/actions/handoff", json=body)

    def key(self, action: str) -> dict:
        return self.request("POST", "/actions/key", json={"action": action})

    def lineup(self) -> list[dict]:
        return self.request("GET", "/lineup")

    def stream_url(self, path: str) -> str:
        """``/stream/…`` or ``/hls/…`` of the box as a short-lived signed URL, for libVLC, which sends no headers.

        As box to box: the long-lived token never goes into a URL, so neither libVLC's logs nor a leaked URL
        carry it; the signed one ends a minute after the player stops using it. There is no fallback to
        ``?token=``: a box too old to sign says so (404) and the command stops with that line.
        """
        if not self.token:
            return f"{self.root}{path}"  # a box open on its LAN: nothing to sign
        signed = self.request("POST", "/stream-urls", json={"path": path})
        return f"{self.root}{signed['url']}"


def _netloc(host: str, port: int) -> str:
    return f"[{host.replace('%', '%25')}]:{port}" if ":" in host else f"{host}:{port}"
