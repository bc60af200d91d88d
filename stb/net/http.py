"""The box's HTTP/1.1 connections: uvicorn's h11 protocol with the limits a box on a shared LAN needs.

uvicorn times out only idle keep-alive connections: a client that connects and sends nothing, or
sends its request a byte at a time (slowloris), keeps its connection for ever, and uvicorn's
``limit_concurrency`` counts such connections, so 128 of them made every other client get 503. Here:

- a request must arrive whole (head and body) within ``REQUEST_TIMEOUT_S`` of its first byte, or of
  the connection's opening; otherwise the box answers 408 (problem JSON) and closes;
- at most ``MAX_CONNECTIONS`` are open at once: past that, the connection that has waited longest
  for a request is closed to make room (a connection working on a request is never closed), so
  idle sockets cannot lock the household out;
- at most ``Limits.connections_per_address`` from one client address: past that, its own longest-waiting
  connection makes room, or, when all of them are busy, the new one is answered 429 and closed before any
  of its requests is read (so a burst from one host costs the loop an accept each, not a request each);
- a malformed request gets its 400 as problem JSON, like every other error of the API;
- an answer whose writing makes no progress for ``WRITE_STALL_S`` (the client's window stays shut: it
  never reads) is dropped: the connection is aborted, so the request in progress ends and frees its slot.
  uvicorn waits for such a client for ever (its send awaits the transport's drain), and 130 sockets that
  pipelined GETs of the page's 390 KB hls.js and never read held every request slot of the box;
- an answer with a Content-Length that cannot be sent whole (a recording deleted while it is sent) is ended
  by closing the connection (the ``stb.abort`` scope extension), not by an error;
- past ``MAX_PIPELINED`` requests that a client sent ahead without waiting for the answers, the next is
  refused (429 problem JSON) and the connection closed: browsers do not pipeline, and a client that
  queues dozens of requests is not reading what it asked for.

The number of requests in progress is bounded by the API itself (``stb.net.api.Gate``: in all, per client
address, tighter for the public routes), with problem JSON, not by counting connections: uvicorn's
``limit_concurrency`` counts connections for the whole server, not per address, and answers in plain text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr

from stb.net.api.limits import Limits

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
MAX_CONNECTIONS = 256
WRITE_STALL_S = 10.0  # an answer the client takes nothing of for this long is dropped
WRITE_CHECK_S = 1.0  # how often a paused write is looked at
MAX_PIPELINED = 4  # requests queued behind the one being answered; one more is refused
#: The kernel's send buffer per connection (Linux doubles it). Left to autotuning, loopback grew it past 1.5 MB a
#: connection, so a client that never reads had five copies of hls.js taken off the box's hands (and into the
#: kernel) before its writes stalled: 130 such clients cost the loop 1.6 s of copying. 256 KiB still carries a
#: relay stream with room (a second of 2 Mbit/s at once) on a LAN whose round trip is milliseconds.
SEND_BUFFER = 128 * 1024
#: The scope extension of a request whose answer may be ended short (:meth:`BoxH11Protocol.abort_response`).
ABORT = "stb.abort"
_WAITING = (h11.IDLE,)  # their_state while the next request has not been read whole
_READING = (h11.IDLE, h11.SEND_BODY)


def problem_bytes(status: int, reason: str, title: str, detail: str) -> bytes:
    """A whole HTTP/1.1 response with a problem JSON body that closes the connection."""
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")  # fmt: skip
    return head.encode() + body


class BoxH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a whole-request time-out and caps on open connections (in all, per address).

    ``limits`` is the box's (``for_box``); the class default serves a server made without one.
    """

    limits = Limits()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._request_timer: asyncio.TimerHandle | None = None
        self.waiting_since = time.monotonic()  # since when it waits for a request (for the eviction order)
        self._write_timer: asyncio.TimerHandle | None = None
        self._write_left = 0  # bytes the transport still held at the last look
        self._write_moved = 0.0  # when they last went down
        self.pipelined = 0  # requests in a row that were read ahead, before the previous answer was written
        self.app = self._refuse_deep_pipelines(self.app)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        address = (get_remote_addr(transport) or ("?", 0))[0]
        mine = self._room_for(address)
        room = mine and self._make_room()
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        super().connection_made(transport)
        if not mine:
            cap = self.limits.connections_per_address
            detail = (f"{cap} connections from this address are busy with requests (cap per address); "
                      "read the answers you asked for, then connect again")  # fmt: skip
            transport.write(problem_bytes(429, "Too Many Requests", "Too many connections from this address", detail))
            transport.close()
            return
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
        self._stop_write_watch()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.waiting_since = time.monotonic()
        answered = self.cycle
        super().on_response_complete()  # starts the next request at once when it was already read (pipelined)
        if self.cycle is not answered and self.cycle is not None:
            self.pipelined += 1
        else:
            self.pipelined = 0

    def pause_writing(self) -> None:
        """The transport holds more than its high-water mark: the client reads slowly, or not at all."""
        super().pause_writing()
        self._write_left, self._write_moved = self.transport.get_write_buffer_size(), time.monotonic()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(WRITE_CHECK_S, self._check_write)

    def resume_writing(self) -> None:
        self._stop_write_watch()
        super().resume_writing()

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot parse (no colon in a header, a head over the limit…): 400 problem JSON."""
        if not self.transport.is_closing():
            self.transport.write(problem_bytes(400, "Bad Request", "Bad request", "not a valid HTTP/1.1 request"))
            self.transport.close()

    def abort_response(self) -> None:
        """End the answer in progress short by closing the connection (an ASGI app cannot say so otherwise): a
        body that declared its Content-Length and cannot send it all (a recording deleted while it is sent, a
        revoked device) ends this way, the client seeing the connection close, with no error logged."""
        if self.cycle is not None:
            self.cycle.disconnected = True  # uvicorn: nothing more to send, nothing to complain about
        self.transport.abort()

    # -- private ---------------------------------------------------------------------------------------------
    def _check_write(self) -> None:
        self._write_timer = None
        if self.transport.is_closing() or not self.flow.write_paused:
            return
        left, now = self.transport.get_write_buffer_size(), time.monotonic()
        if left < self._write_left:
            self._write_left, self._write_moved = left, now
        elif now - self._write_moved >= WRITE_STALL_S:
            peer = self.client[0] if self.client else "?"
            log.info("dropped a connection from %s: its answer made no progress for %.0f s", peer, WRITE_STALL_S)
            self.transport.abort()  # connection_lost follows: the request in progress ends
            return
        self._write_timer = self.loop.call_later(WRITE_CHECK_S, self._check_write)

    def _stop_write_watch(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _refuse_deep_pipelines(self, app):
        """``app``, except for a request queued behind more than MAX_PIPELINED others: 429, the connection closed."""
        protocol = self

        async def gated(scope, receive, send) -> None:
            if scope["type"] == "http":
                scope.setdefault("extensions", {})[ABORT] = protocol.abort_response
            if scope["type"] != "http" or protocol.pipelined <= MAX_PIPELINED:
                await app(scope, receive, send)
                return
            detail = (f"more than {MAX_PIPELINED} requests were sent ahead without reading the answers "
                      "(cap on pipelined requests); read each answer before asking again")  # fmt: skip
            body = json.dumps({"type": "about:blank", "title": "Too many pipelined requests", "status": 429,
                               "detail": detail}).encode()  # fmt: skip
            headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                       (b"connection", b"close")]  # fmt: skip
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        return gated

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

    def _room_for(self, address: str) -> bool:
        """At ``address``'s cap, close its connection that has waited longest for a request. False: all are busy."""
        mine = [c for c in self.connections if isinstance(c, BoxH11Protocol) and c is not self and c.client
                and c.client[0] == address and not c.transport.is_closing()]  # fmt: skip
        if len(mine) < self.limits.connections_per_address:
            return True
        waiting = [c for c in mine if c._waiting()]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.waiting_since)
        oldest._disarm()
        oldest.transport.close()
        return True

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


def for_box(limits: Limits) -> type[BoxH11Protocol]:
    """The protocol uvicorn makes for each of the box's connections, reading the box's ``limits`` (a bench that
    plays many screens from loopback raises them)."""
    return type("BoxH11Protocol", (BoxH11Protocol,), {"limits": limits})
