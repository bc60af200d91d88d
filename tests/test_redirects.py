"""The box's own redirect following (stb.redirects): which hops it takes, and that libVLC gets the last URL.

A real HTTP server on loopback answers the redirects. Loopback hops are refused by the rule itself, so the
tests that follow a chain to its end move the address rule aside at its seam (``hop_problem``).
"""

from __future__ import annotations

import asyncio
import http.server
import threading

import pytest

from stb import redirects
from stb.redirects import RedirectRefused, fetch_bytes, hop_problem, resolve


@pytest.fixture
def server():
    routes: dict[str, str] = {}
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            asked.append(self.path)
            if self.path in routes:
                self.send_response(302)
                self.send_header("Location", routes[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = b"x" * 100
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", routes, asked
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(("url", "why"), [
    ("file:///etc/passwd", "file scheme"), ("FILE:///etc/passwd", "file scheme"), ("rtsp://10.0.0.5/x", "rtsp"),
    ("http://127.0.0.1:8554/", "loopback"), ("http://[::1]/", "loopback"), ("http://localhost:8554/", "loopback"),
    ("http://169.254.169.254/", "link-local"), ("http://[fe80::1]/", "link-local"), ("http://0.0.0.0/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback"), ("http://224.0.0.251/", "multicast"),
])  # fmt: skip
def test_hops_to_files_loopback_and_link_local_are_refused(url, why):
    assert why in (hop_problem(url) or "")


def test_hops_to_lan_and_internet_addresses_are_taken():
    assert hop_problem("http://10.0.0.5:8000/live.ts") is None and hop_problem("https://93.184.215.14/x") is None


def test_a_redirect_into_the_box_is_refused_and_named(server):
    base, routes, _ = server
    routes["/a"] = "//127.0.0.1:8554/secret?token=abc"
    with pytest.raises(RedirectRefused, match=r"127\.0\.0\.1:8554/secret\?…, which the box does not open: .*loopback"):
        asyncio.run(resolve(f"{base}/a"))
    routes["/b"] = "file:///etc/passwd"
    with pytest.raises(RedirectRefused, match="file scheme"):
        fetch_bytes(f"{base}/b", 1000)


def test_a_chain_is_followed_to_its_end_and_bounded(server, monkeypatch):
    base, routes, asked = server
    monkeypatch.setattr(redirects, "hop_problem", lambda url: None)  # loopback allowed for this test only
    routes.update({"/one": "/two", "/two": f"{base}/three.ts"})
    assert asyncio.run(resolve(f"{base}/one")) == f"{base}/three.ts"  # libVLC gets only this one
    assert fetch_bytes(f"{base}/one", 10) == b"x" * 11  # bounded: limit + 1 bytes
    routes["/loop"] = "/loop"
    with pytest.raises(RedirectRefused, match="more than"):
        asyncio.run(resolve(f"{base}/loop"))
    assert asked.count("/loop") == redirects.MAX_HOPS + 1


def test_a_dead_server_or_another_scheme_is_handed_on_as_it_is():
    assert asyncio.run(resolve("http://127.0.0.1:9/dead.ts")) == "http://127.0.0.1:9/dead.ts"
    assert asyncio.run(resolve("udp://@239.0.0.1:1234")) == "udp://@239.0.0.1:1234"
