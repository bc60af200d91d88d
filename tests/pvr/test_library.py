"""The library rebuilt from disk: what a killed box was writing is kept, a damaged meta.json rebuilt."""

from __future__ import annotations

import json

from stb.pvr.library import Library, Meta, Part
from stb.pvr.timers import new_id
from tests.pvr.rig import packets


def test_a_recording_killed_mid_write_is_kept_as_interrupted_without_its_half_packet(tmp_path):
    library = Library(tmp_path)
    meta = Meta(new_id(), "ch", "Channel", "Film", 1000, 2000, parts=[Part("part-1.ts", 1000)])
    library.create(meta)
    folder = tmp_path / meta.id
    (folder / "part-1.ts").write_bytes(packets(20) + b"\x47half")

    again = Library(tmp_path)
    again.rebuild()

    kept = again.recordings[meta.id]
    assert kept.state == "interrupted" and kept.parts[0].bytes == 20 * 188 and kept.parts[0].end is not None
    assert (folder / "part-1.ts").stat().st_size == 20 * 188
    assert json.loads((folder / "meta.json").read_text())["state"] == "interrupted"
    assert not (folder / ".reserve").exists()


def test_a_damaged_meta_is_kept_aside_and_the_recording_rebuilt_from_its_parts(tmp_path):
    folder = tmp_path / new_id()
    folder.mkdir()
    (folder / "part-1.ts").write_bytes(packets(3))
    (folder / "part-2.ts").write_bytes(packets(4))
    (folder / "meta.json").write_text("{not json")
    (tmp_path / "not-an-id").mkdir()

    library = Library(tmp_path)
    library.rebuild()

    assert list(library.recordings) == [folder.name], "only folders named by an id are recordings"
    meta = library.recordings[folder.name]
    assert [p.bytes for p in meta.parts] == [3 * 188, 4 * 188] and meta.state == "interrupted"
    assert len(library.problems) == 1 and "meta.json is corrupt" in library.problems[0]
    assert list(folder.glob("meta.json.corrupt-*")) and (folder / "meta.json").exists()


def test_position_and_watched(tmp_path):
    library = Library(tmp_path)
    meta = Meta(new_id(), "ch", "Channel", "Film", 0, 100, parts=[Part("part-1.ts", 1000, 1100)])
    library.create(meta)
    assert library.set_position(meta.id, 50, None).watched is False
    assert library.set_position(meta.id, 95, None).watched is True
    assert library.set_position(meta.id, 500, False).position == 100, "not past the end"
    library.delete(meta.id)
    assert not (tmp_path / meta.id).exists() and meta.id not in library.recordings
