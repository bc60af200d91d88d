"""How far a TS file reaches in time, read from its own PCRs: the demo clip's length, a file being written
(cut mid-packet), and a file with no PCR yet."""

from __future__ import annotations

import pytest

from stb.headend.catalog import CHANNELS
from stb.headend.media import clip_path, ensure_media
from stb.ts.span import first_pcr, pcr_span


def test_the_span_of_a_clip_and_of_its_growing_copy(tmp_path):
    ensure_media()
    clip = clip_path(CHANNELS[0]).read_bytes()
    assert pcr_span(clip_path(CHANNELS[0])) == pytest.approx(19.9, abs=0.2)
    growing = tmp_path / "part-1.ts"
    growing.write_bytes(clip[: len(clip) // 4 + 77])  # a writer half-way through a packet
    first = first_pcr(growing)
    quarter = pcr_span(growing, first)
    assert first is not None and quarter is not None and 3.0 < quarter < 7.0
    growing.write_bytes(clip[: len(clip) // 2])
    assert pcr_span(growing, first) > quarter + 3.0  # type: ignore[operator]


def test_no_pcr_yet_is_none(tmp_path):
    empty, header_only = tmp_path / "empty.ts", tmp_path / "nopcr.ts"
    empty.write_bytes(b"")
    header_only.write_bytes((bytes([0x47, 0x01, 0x00, 0x10]) + bytes(184)) * 50)
    assert pcr_span(empty) is None and pcr_span(header_only) is None and first_pcr(empty) is None
