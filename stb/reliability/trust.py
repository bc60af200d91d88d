"""The home network's trust model against a hostile host: a fake box that claims a paired box's id, CSRF from
a web page, garbage in the Host header, control characters in what the LAN sends.

Each case starts a real headless box (``stb.reliability.livebox.running_box``) and attacks it, or a device paired
with it, the way the issue's probe did. The impostor is a real HTTP server (and a TLS one with a certificate
of its own) on loopback that answers ``GET /api/v1/box`` with the real box's id and records every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import http.server
import json
import os
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

from stb.reliability.harness import Outcome, run_cli
from stb.reliability.livebox import API, LiveBox, case, exchange, get, outcome, refusal

AREA = "trust"


def _trust_case(name: str, expect: str, seconds: float = 60.0):
    """A case of this area (its own default time limit) against a fresh box."""
    return case(name, expect, seconds, area=AREA)


# -- an impostor: the real box's id, its own server ----------------------------------------------------------
class _Impostor:
    """Answers like a box that claims ``info``'s id; records the headers and paths of every request it gets."""

    def __init__(self, info: dict, work: Path) -> None:
        self.info, self.seen = dict(info), []
        impostor = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                impostor.seen.append((self.command, self.path, dict(self.headers), body))
                if self.path == f"{API}/box":
                    status, data = 200, impostor.info
                elif self.path == f"{API}/stream-urls":
                    status, data = 404, {"detail": "no such route"}  # an "old" box: the client used to fall back
                else:
                    status, data = 200, {"channel": {"number": 1, "name": "x"}}
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_DELETE = _answer

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        key, cert = _self_signed(work)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.tls.socket = context.wrap_socket(self.tls.socket, server_side=True)
        self.port, self.tls_port = self.http.server_address[1], self.tls.server_address[1]
        self.info["tls_port"] = self.tls_port
        for server in (self.http, self.tls):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in (self.http, self.tls):
            server.shutdown()
            server.server_close()

    def leaked(self, token: str) -> list[str]:
        """Every request that carried ``token`` (a header, the path, the body)."""
        return [f"{m} {p}" for m, p, h, b in self.seen if token in p or token in json.dumps(h) or token.encode() in b]


def _self_signed(work: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "impostor")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))  # fmt: skip
    key_path, cert_path = work / "impostor-key.pem", work / "impostor-cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


@contextlib.contextmanager
def _impostor_of(box: LiveBox, work: Path) -> Iterator[_Impostor]:
    with box.client() as c:
        info = c.get(f"{API}/box").json()
    fake = _Impostor(info, work)
    try:
        yield fake
    finally:
        fake.close()


def _pinned_entry(box: LiveBox, token: str) -> dict:
    """What `stb pair` (and a box pairing another) keeps: the token with the certificate the box proved."""
    import hashlib

    identity = getattr(box.app.net, "identity", None)
    cert = identity.cert_pem if identity is not None else ""
    sha = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert)).hexdigest() if cert else ""
    return {"token": token, "name": "Living room", "cert": cert, "cert_sha256": sha}


@_trust_case("an impostor with a paired box's id: `stb remote`",
             "exit 1 saying the box does not prove its key; the impostor gets no token")  # fmt: skip
def _impostor_remote(box: LiveBox) -> Outcome:
    work = Path(os.environ["STB_CONFIG_DIR"]).parent
    token = box.pair()
    box_id = box.app.box.settings.box_id
    config = Path(os.environ["STB_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "companion-tokens.json").write_text(json.dumps({box_id: _pinned_entry(box, token)}))
    with _impostor_of(box, work) as fake:
        cli = run_cli(["remote", f"127.0.0.1:{fake.port}", "zap", "2"], timeout=30,
                      env={"STB_CONFIG_DIR": str(config)})  # fmt: skip
        leaked = fake.leaked(token)
    problems = [f"the token went to the impostor in {leaked}"] if leaked else []
    if cli.code in (0, None) or "Traceback" in cli.err:
        problems.append(f"the command did not refuse clearly: exit {cli.code}, {cli.err.strip()[-160:]!r}")
    real = _remote_real(box, config)
    if real:
        problems.append(real)
    return outcome(problems, f"exit {cli.code}: {cli.err.strip().splitlines()[-1] if cli.err.strip() else ''}")


def _remote_real(box: LiveBox, config: Path) -> str | None:
    """The same command against the real box works: the pin is not a refusal of everything."""
    cli = run_cli(["remote", f"127.0.0.1:{box.port}", "zap", "2"], timeout=30, env={"STB_CONFIG_DIR": str(config)})
    return None if cli.code == 0 else f"the real box was refused too: {cli.err.strip()[-160:]!r}"


@_trust_case("an impostor with a paired box's id: box to box",
             "\"Watch here\" fails saying the box does not prove its key; no token in a header or a URL")  # fmt: skip
def _impostor_peer(box: LiveBox) -> Outcome:
    from stb.commands import CommandQueue
    from stb.lan.discovery import FoundBox
    from stb.lan.peers import Peers

    work = Path(os.environ["STB_CONFIG_DIR"]).parent
    token = box.pair("Bedroom box")
    box_id = box.app.box.settings.box_id
    state = work / "peer-state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "box-tokens.json").write_text(json.dumps({box_id: _pinned_entry(box, token)}))
    commands = CommandQueue()
    peers = Peers(lambda: "this-box", commands, state)
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    peers._loop = loop  # as the network side sets it when it starts browsing
    outcomes: list = []
    try:
        with _impostor_of(box, work) as fake:
            found = FoundBox(name="Living room", box_id=box_id, addresses=["127.0.0.1"], port=fake.port, model="stb",
                             version="", api_path=API, pairing_required=True, channel=None, host="")  # fmt: skip
            peers.open_live(found, outcomes.append)
            for _ in range(300):
                commands.run_pending()
                if outcomes:
                    break
                threading.Event().wait(0.05)
            leaked = fake.leaked(token)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join(5)
    if not outcomes:
        return Outcome(False, "no answer from open_live within 15 s")
    got = outcomes[0]
    problems = [f"the token went to the impostor in {leaked}"] if leaked else []
    if got.ok:
        problems.append(f"the impostor's stream was opened: {got.value}")
    return outcome(problems, f"refused: {got.error}" if not got.ok else f"opened {got.value}")


@_trust_case(
    "garbage after the Host's last colon", "421 problem JSON for 10.94.0.1:evil.com, x.local:evil and the like"
)
def _host_garbage(box: LiveBox) -> Outcome:
    token = box.pair()
    problems = []
    for host in ("10.94.0.1:evil.com", "x.local:evil", "127.0.0.1:8600:evil", "[::1]evil", "box.local:"):
        request = get(f"{API}/state", token).replace(b"Host: 127.0.0.1", f"Host: {host}".encode())
        why = refusal(exchange(box.port, request), 421)
        if why:
            problems.append(f"Host {host}: {why}")
    return outcome(problems, "421 for each")


@_trust_case("a hostile page's no-cors Blob body", "415 for a body that is not application/json, 403 for a "
             "foreign Origin; the volume unchanged")  # fmt: skip
def _csrf(box: LiveBox) -> Outcome:
    token = box.pair()
    problems = []
    body = b'{"volume": 7}'
    attacks = {"text/plain body, no Origin": ("text/plain", None, 415), "Blob with no type": (None, None, 415),
               "JSON from a foreign page": ("application/json", "http://evil.example", 403),
               "JSON from an opaque origin": ("application/json", "null", 403)}  # fmt: skip
    for what, (kind, origin, status) in attacks.items():
        extra = (f"Content-Type: {kind}\r\n" if kind else "") + (f"Origin: {origin}\r\n" if origin else "")
        extra += f"Content-Length: {len(body)}\r\n"
        answer = exchange(box.port, get(f"{API}/actions/volume", token, "POST", extra) + body)
        why = refusal(answer, status)
        if why:
            problems.append(f"{what}: {why}")
    with box.client() as c:
        volume = c.get(f"{API}/state", headers={"Authorization": f"Bearer {token}"}).json().get("volume")
    if volume == 7:
        problems.append("the volume was set to 7 by a forged request")
    return outcome(problems, "refused each")


CASES = [_impostor_remote, _impostor_peer, _host_garbage, _csrf]

__all__ = ["CASES", "exchange", "get", "refusal"]
