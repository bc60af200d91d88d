"""Channel logos: fetched over real HTTP off the UI thread, fitted once, and bad sources refused."""

from __future__ import annotations

import time

import pytest

from stb.lineup.logo import MAX_BYTES, fetch
from stb.ui.logos import Logos


def wait_for(logos: Logos, source: str, size=(120, 84), timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logo = logos.get(source, size)
        if logo is not None:
            return logo
        time.sleep(0.02)
    return None


@pytest.mark.slow
def test_a_logo_from_the_head_end_arrives_fitted_into_its_box(headend):
    host, port = headend
    logos = Logos()
    try:
        source = f"http://{host}:{port}/logo/news-24.png"
        assert logos.get(source, (120, 84)) is None  # asked, not waited for: the frame goes on
        logo = wait_for(logos, source)
        assert logo is not None and logo.get_width() <= 120 and logo.get_height() <= 84
        assert max(logo.get_size()) in (120, 84)  # fitted, aspect kept
        assert logos.get(source, (120, 84)) is logo  # decoded and scaled once
    finally:
        logos.close()


@pytest.mark.slow
def test_a_missing_logo_is_not_asked_for_on_every_frame(headend):
    host, port = headend
    logos = Logos()
    try:
        source = f"http://{host}:{port}/logo/no-such-channel.png"
        for _ in range(50):
            assert logos.get(source, (120, 84)) is None
            time.sleep(0.01)
        assert logos._wanted.qsize() == 0 and source in logos._failed_at  # one fetch, then a pause
    finally:
        logos.close()


@pytest.mark.parametrize("source", ["javascript:alert(1)", "file:///etc/passwd", "relative/logo.png", "/etc/passwd"])
def test_sources_other_than_http_or_an_image_file_are_refused(source):
    with pytest.raises(ValueError, match="not an http"):
        fetch(source)


def test_a_huge_or_broken_image_is_refused(tmp_path):
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG" + b"\0" * MAX_BYTES)
    with pytest.raises(ValueError, match="larger than"):
        fetch(str(huge))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    logos = Logos()
    assert wait_for(logos, str(broken), timeout=1.0) is None
    logos.close()
