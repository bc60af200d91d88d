"""Pairing a box that has no screen: its codes on its console, and `stb pairing` on its own machine.

A headless box shows nobody the code, so nobody could pair with it. It prints each code on its console
as the code comes up, and serves the pending requests on a Unix socket in its state directory
(``pairing.sock``, mode 0600: the box's own user, on the box's own machine, never the LAN), which
`stb pairing list|approve|deny` talk to. One JSON line asks, one JSON line answers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import Any

from stb.errors import StbError
from stb.lan.auth import CODE_TTL_S, Auth, PendingPairing

SOCKET = "pairing.sock"
MAX_LINE = 4096
TIMEOUT_S = 5.0

log = logging.getLogger(__name__)


def spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


def announce(pending: PendingPairing) -> None:
    """The console line of a headless box: the same words as its TV would show, and what to run."""
    left = round(CODE_TTL_S)  # told as it comes up: all of its time is left
    print(f"stb: Device named “{pending.client_name}” (from {pending.address}) wants to pair: code "
          f"{spaced(pending.code)}, for {left // 60}:{left % 60:02d}. On this machine: "
          f"stb pairing approve {pending.id}, or stb pairing deny {pending.id}", flush=True)  # fmt: skip


def request_rows(auth: Auth) -> list[dict[str, Any]]:
    """What `stb pairing list` shows: every request, the one whose code is up first."""
    return [{"id": p.id, "name": p.client_name, "address": p.address, "code": p.code if p.shown else None,
             "seconds_left": int(left), "shown": p.shown, "approved": p.approved}
            for p, left in auth.requests()]  # fmt: skip


class _Handler(socketserver.StreamRequestHandler):
    timeout = TIMEOUT_S
    server: _Server

    def handle(self) -> None:
        try:
            line = self.rfile.readline(MAX_LINE + 1)
            answer = self.server.answer(line)
        except (OSError, ValueError) as exc:
            answer = {"ok": False, "error": f"bad request: {exc}"}
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(answer).encode() + b"\n")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, auth: Auth) -> None:
        self.auth = auth
        super().__init__(path, _Handler)

    def server_bind(self) -> None:
        """Bound under a temporary name, made 0600, then renamed: nobody else can connect in between."""
        final = Path(self.server_address)  # type: ignore[arg-type]
        temporary = final.with_name(f".{final.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        self.socket.bind(str(temporary))
        os.chmod(temporary, 0o600)
        os.replace(temporary, final)
        self.server_address = str(final)

    def answer(self, line: bytes) -> dict[str, Any]:
        if len(line) > MAX_LINE:
            return {"ok": False, "error": "request too long"}
        asked = json.loads(line.decode("utf-8"))
        if not isinstance(asked, dict):
            return {"ok": False, "error": "expected a JSON object"}
        op, wanted = asked.get("op"), str(asked.get("id", ""))
        if op == "list":
            return {"ok": True, "requests": request_rows(self.auth)}
        if op in ("approve", "deny"):
            try:
                done = (self.auth.approve if op == "approve" else self.auth.deny)(wanted)
            except KeyError:
                return {"ok": False, "error": f"no pairing request {wanted[:64]!r} (see stb pairing list)"}
            log.warning("pairing request of %r from %s %s on this machine", done.client_name, done.address,
                        "approved" if op == "approve" else "refused")  # fmt: skip
            return {"ok": True, "request": {"id": done.id, "name": done.client_name, "address": done.address}}
        return {"ok": False, "error": f"unknown request {str(op)[:32]!r}"}


class PairingConsole:
    """The socket's server (a service of the box: started after it, stopped before it)."""

    def __init__(self, auth: Auth, directory: Path) -> None:
        self.auth, self.path = auth, directory / SOCKET
        self._server: _Server | None = None

    def start(self) -> None:
        if _answers(self.path):
            log.warning("another box serves %s: `stb pairing` will talk to that one", self.path)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = _Server(str(self.path), self.auth)
        except OSError as exc:
            log.warning("no `stb pairing` for this box: cannot make %s: %s", self.path, exc.strerror)
            return
        threading.Thread(target=self._server.serve_forever, name="pairing-console", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self.path.unlink(missing_ok=True)
            self._server = None


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def ask(directory: Path, request: dict[str, Any]) -> dict[str, Any]:
    """One request to the box whose state directory is ``directory``; StbError when none runs there."""
    path = directory / SOCKET
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT_S)
        try:
            s.connect(str(path))
            s.sendall(json.dumps(request).encode() + b"\n")
            raw = s.makefile("rb").readline(1 << 20)
        except FileNotFoundError:
            raise StbError(f"no box runs with the state directory {directory} (no {SOCKET}); "
                           "start one with `stb run`, or set STB_STATE_DIR to the box's") from None  # fmt: skip
        except PermissionError:
            raise StbError(f"{path} belongs to another user: run this as the box's user") from None
        except OSError as exc:
            raise StbError(f"the box at {path} does not answer: {exc.strerror or exc}") from None
    try:
        answer = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise StbError(f"the box at {path} gave no answer") from None
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise StbError(str(answer.get("error") if isinstance(answer, dict) else "a malformed answer"))
    return answer
