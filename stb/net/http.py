"""The box's HTTP/1.1 connections: uvicorn's h11 protocol with the limits a box on a shared LAN needs.

uvicorn times out only idle keep-alive connections: a client that connects and sends nothing, or
sends its request a byte at a time (slowloris), keeps its connection for ever, and uvicorn's
``limit_concurrency`` counts such connections, so 128 of them made every other client get 503. Here:

- a request must arrive whole (head and body) within ``REQUEST_TIMEOUT_S`` of its first byte, or of
  the connection's opening; otherwise the box answers 408 (problem JSON) and closes;
- at most ``MAX_CONNECTIONS`` are open at once: past that, the connection that has waited longest
  for a request is closed to make room (a connection working on a request is never closed), so
  idle sockets cannot lock the household out;
- a malformed request gets its 400 as problem JSON, like every other error of the API.

The number of requests in progress is bounded by the API itself (``stb.net.api.Gate``), with a
problem JSON 503, not by counting connections.
"""

from __future__ import annotations

import asyncio
import json
import time

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 256
_WAITING = (h11.IDLE,)  # their_state while the next request has not been read whole
_READING = (h11.IDLE, h11.SEND_BODY)


def problem_bytes(status: int, reason: str, title: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response with a problem JSON body that closes the connection."""
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")  # fmt: skip
    return head.encode() + body


class BoxH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a whole-request time-out and a cap on open connections."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._request_timer: asyncio.TimerHandle | None = None
        self.waiting_since = time.monotonic()  # since when it waits for a request (for the eviction order)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        room = self._make_room()
        super().connection_made(transport)
        if not room:
            detail = f"{MAX_CONNECTIONS} connections are busy with requests; try again in a moment"
            transport.write(problem_bytes(503, "Service Unavailable", "Box busy", detail))
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._request_timer is None and self.conn.their_state in _WAITING:
            self._arm()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state not in _READING:
            self._disarm()  # read whole (or the connection is done for)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.waiting_since = time.monotonic()
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot parse (no colon in a header, a head over the limit…): 400 problem JSON."""
        if not self.transport.is_closing():
            self.transport.write(problem_bytes(400, "Bad Request", "Bad request", "not a valid HTTP/1.1 request"))
            self.transport.close()

    # -- private ---------------------------------------------------------------------------------------------
    def _arm(self) -> None:
        self._disarm()
        self._request_timer = self.loop.call_later(REQUEST_TIMEOUT_S, self._timed_out)

    def _disarm(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _timed_out(self) -> None:
        self._request_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            detail = f"the request did not arrive whole within {REQUEST_TIMEOUT_S:g} s"
            self.transport.write(problem_bytes(408, "Request Timeout", "Too slow", detail))
        self.transport.close()

    def _waiting(self) -> bool:
        """Open, and no request being answered: reading a request head, or kept alive between requests."""
        return (not self.transport.is_closing() and self.conn.their_state in _WAITING
                and (self.cycle is None or self.cycle.response_complete))  # fmt: skip

    def _make_room(self) -> bool:
        """At the cap, close the connection that has waited longest for a request. False: none was waiting."""
        if len(self.connections) < MAX_CONNECTIONS:
            return True
        waiting = [c for c in self.connections if isinstance(c, BoxH11Protocol) and c._waiting()]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.waiting_since)
        oldest._disarm()
        oldest.transport.close()
        return True
