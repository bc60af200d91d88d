"""The box's logo cache: a logo server that was slow once is asked again soon; one that said no, much later."""

from __future__ import annotations

import asyncio
import time
import urllib.error

import pytest

from stb.net.api import lineup as logo_routes


@pytest.mark.parametrize(
    ("failure", "wait"),
    [
        (TimeoutError("timed out"), logo_routes.LOGO_RETRY_SOON_S),
        (urllib.error.URLError(ConnectionRefusedError(111, "refused")), logo_routes.LOGO_RETRY_SOON_S),
        (urllib.error.HTTPError("http://h/l.png", 404, "Not Found", None, None), logo_routes.LOGO_RETRY_S),
        (ValueError("larger than 512 KB"), logo_routes.LOGO_RETRY_S),
    ],
)
def test_a_failure_is_kept_as_long_as_it_deserves(monkeypatch, failure, wait):
    calls = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        raise failure

    monkeypatch.setattr(logo_routes, "fetch_logo", fetch)
    cache = logo_routes.Logos()
    before = time.monotonic()
    retry_at, why = asyncio.run(cache.get("http://h/l.png"))
    assert isinstance(retry_at, float) and why
    assert before + wait - 1 <= retry_at <= time.monotonic() + wait
    asyncio.run(cache.get("http://h/l.png"))
    assert len(calls) == 1, "a failure is remembered, not fetched again at once"


def test_a_remembered_failure_is_tried_again_once_due(monkeypatch):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    answers = [TimeoutError("timed out"), png]

    def fetch(url: str) -> bytes:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(logo_routes, "fetch_logo", fetch)
    cache = logo_routes.Logos()
    asyncio.run(cache.get("http://h/l.png"))
    url_state = cache._known["http://h/l.png"]
    cache._known["http://h/l.png"] = (time.monotonic() - 1.0, url_state[1])  # its time has come
    assert asyncio.run(cache.get("http://h/l.png")) == (png, "image/png")
