"""A real headless box for the reliability cases, and the raw HTTP they attack it with.

``running_box`` starts the box (pygame, libVLC, the API on a free loopback port) with its frame loop on a thread
of its own; ``case`` turns a check of that box into a Case. The raw helpers send requests exactly as written (no
normalising of ``..``, no client of our own in the way) and read the answers, problem JSON included.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stb.reliability.harness import Case, Outcome

HTTP_API = "HTTP API"  # the area of a case that names none
API = "/api/v1"
PROBLEM = "application/problem+json"
START_S = 30.0  # the box's start: pygame, libVLC, the API bound


# -- a running box -------------------------------------------------------------------------------------------
@dataclass
class LiveBox:
    """A box serving its API on loopback; ``app`` lives on the box's own thread (read it, do not drive it)."""

    app: Any
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, timeout: float = 5.0):
        import httpx

        return httpx.Client(base_url=self.base, timeout=timeout)

    def pair(self, name: str = "Sofa laptop") -> str:
        """Pair as a household device would, reading the code off the TV; the token."""
        with self.client() as c:
            started = c.post(f"{API}/pairing", json={"name": name})
            started.raise_for_status()
            code = self.app.auth.pending.code  # what the TV shows
            done = c.post(f"{API}/pairing/{started.json()['pairing_id']}", json={"code": code})
            done.raise_for_status()
            return done.json()["token"]

    def responsive(self, token: str) -> str | None:
        """None when a paired client gets its state (a call the TV's own loop answers); else what went wrong."""
        try:
            with self.client() as c:
                answer = c.get(f"{API}/state", headers={"Authorization": f"Bearer {token}"})
        except Exception as exc:  # the box is gone or stuck: that is the finding
            return f"GET /state failed: {type(exc).__name__}: {exc}"
        return None if answer.status_code == 200 else f"GET /state gave {answer.status_code}"


@contextlib.contextmanager
def running_box(work: Path) -> Iterator[LiveBox]:
    """A headless box on three dead channels, its API on a free loopback port, stepping on its own thread.

    pygame and libVLC stay on the thread that made them, as on the TV; the case is the client.
    """
    started = threading.Event()
    stop = threading.Event()
    made: dict[str, Any] = {}

    def tv() -> None:
        from stb.assembly import build_app
        from stb.config import StateStore
        from stb.lineup.model import Channel, Lineup

        lineup = Lineup(name="reliability", channels=[
            Channel(number=n, id=f"c{n}", name=f"Channel {n}", urls=[f"http://127.0.0.1:9/{n}.ts"]) for n in (1, 2, 3)
        ])  # fmt: skip
        try:
            app = build_app(lineup, headless=True, store=StateStore(work / "state"), guide_db=work / "guide.db",
                      pretune=0, api_port=0)  # fmt: skip
            app.start()
        except BaseException as exc:
            made["error"] = exc
            started.set()
            return
        made["app"] = app
        started.set()
        try:
            while not stop.is_set() and app.running:
                app.step()
                time.sleep(0.01)
        finally:
            app.close()

    thread = threading.Thread(target=tv, name="reliability box", daemon=True)
    thread.start()
    if not started.wait(START_S) or "app" not in made:
        stop.set()
        raise RuntimeError(f"the box did not start: {made.get('error', 'no answer in time')}")
    app = made["app"]
    if app.net is None or app.net.bound_port is None:
        stop.set()
        raise RuntimeError(f"the box does not serve its API: {app.screen.notice}")
    try:
        yield LiveBox(app, app.net.bound_port)
    finally:
        stop.set()
        thread.join(15)


def _with_box(check: Callable[[LiveBox], Outcome]) -> Callable[[Path], Outcome]:
    def run(work: Path) -> Outcome:
        with running_box(work) as box:
            return check(box)

    return run


def case(
    name: str, expect: str, seconds: float = 30.0, area: str = HTTP_API
) -> Callable[[Callable[[LiveBox], Outcome]], Case]:
    """``@case(...)`` turns ``check(box)`` into a Case of ``area`` that runs it against a fresh box."""

    def wrap(check: Callable[[LiveBox], Outcome]) -> Case:
        return Case(area, name, expect, _with_box(check), seconds=seconds)

    return wrap


@dataclass
class Skewed:
    """The box's pairing clock, moved on by hand: a lock-out passes without waiting it out."""

    ahead: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


# -- raw HTTP ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """What came back on a raw connection: None when the box closed it without a word."""

    status: int | None
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict | None:
        """The problem JSON, when that is what it is."""
        if not self.headers.get("content-type", "").startswith(PROBLEM):
            return None
        try:
            found = json.loads(self.body)
        except ValueError:
            return None
        return found if isinstance(found, dict) and found.get("status") == self.status else None

    def __str__(self) -> str:
        if self.status is None:
            return "closed without an answer"
        return f"{self.status} {self.headers.get('content-type', '')} {self.body[:120]!r}"


def read_answer(sock: socket.socket, timeout: float = 5.0) -> Answer:
    """Read one HTTP response (head, then Content-Length bytes or until close) from ``sock``."""
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(ConnectionError, TimeoutError, OSError):
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return Answer(None, {}, data)
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    want = int(headers.get("content-length", "0") or 0)
    with contextlib.suppress(ConnectionError, TimeoutError, OSError):
        while len(body) < want:
            piece = sock.recv(65536)
            if not piece:
                break
            body += piece
    return Answer(int(parts[1]), headers, body[:want] if "content-length" in headers else body)


def exchange(port: int, request: bytes, timeout: float = 5.0) -> Answer:
    """Send raw ``request`` bytes on a new connection and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(ConnectionError):
            sock.sendall(request)
        return read_answer(sock, timeout)


def get(path: str, token: str | None = None, method: str = "GET", extra: str = "") -> bytes:
    """A raw request line and head for ``path`` exactly as given (no normalising of ``..`` or ``%2e``)."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{extra}Connection: close\r\n\r\n".encode()


def closed_by_peer(sock: socket.socket, within: float) -> bool:
    """True when the box closed ``sock`` (EOF or reset) within ``within`` seconds; whatever it sent is read."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            continue
        try:
            if not sock.recv(65536):
                return True
        except (ConnectionError, OSError):
            return True
    return False


def rss_kib() -> tuple[int, int]:
    """This process's resident set and its peak since the last ``reset_peak()`` (KiB, Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def reset_peak() -> None:
    """Start the peak RSS over from now (``5`` to clear_refs: Linux 4.0+)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")


def refusal(answer: Answer, *statuses: int) -> str | None:
    """None when ``answer`` is one of ``statuses`` as problem JSON; else what it was instead."""
    if answer.status not in statuses:
        return f"wanted {'/'.join(map(str, statuses))}, got {answer}"
    if answer.problem() is None:
        return f"{answer.status} but not problem JSON: {answer}"
    return None


def response_refusal(response, *statuses: int) -> str | None:
    """``refusal`` for an httpx response."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    return refusal(Answer(response.status_code, headers, response.content), *statuses)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    began = time.monotonic()
    value = call()
    return value, time.monotonic() - began


def outcome(problems: list[str], saw: str) -> Outcome:
    """Passed when ``problems`` is empty; otherwise the first few say why."""
    if problems:
        return Outcome(False, "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""))
    return Outcome(True, saw)
