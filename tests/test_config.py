import json
import os

import pytest

from stb.config import BoxState, StateStore, atomic_write_bytes


def test_state_round_trip(tmp_path):
    store = StateStore(tmp_path)
    state = BoxState(last_channel="news-24", previous_channel="kids", volume=35, muted=True, favourites=["a", "b"])
    store.save(state)
    assert StateStore(tmp_path).load() == state


def test_missing_file_gives_defaults_without_notice(tmp_path):
    store = StateStore(tmp_path)
    assert store.load() == BoxState()
    assert store.notice is None


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00garbage", b"[]", b'{"volume": 300}', b'{"favourites": "x"}', b'{"muted": 1}'],
)
def test_corrupt_file_is_kept_aside_and_defaults_used(tmp_path, content):
    (tmp_path / "state.json").write_bytes(content)
    store = StateStore(tmp_path)
    assert store.load() == BoxState()
    assert store.notice and "corrupt" in store.notice
    kept = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content  # nothing lost
    assert not (tmp_path / "state.json").exists()


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "f.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["f.json"]


def test_failed_write_keeps_old_content(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    atomic_write_bytes(target, json.dumps({"v": 1}).encode())

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new content")
    assert json.loads(target.read_bytes()) == {"v": 1}
    assert os.listdir(tmp_path) == ["f.json"]


def test_loading_clears_what_killed_saves_left_and_nothing_else(tmp_path):
    store = StateStore(tmp_path)
    store.save(BoxState(volume=12))
    leftovers = [tmp_path / f".state.json.k{i}x_9.tmp" for i in range(3)]  # as mkstemp names them
    for path in leftovers:
        path.write_bytes(b'{"vol')  # a save killed half-way
    others = [tmp_path / ".settings.json.abc.tmp", tmp_path / "state.json.corrupt-20260101-000000"]
    for path in others:
        path.write_bytes(b"keep")
    assert StateStore(tmp_path).load().volume == 12
    assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in others)  # another store's, and a corrupt copy kept for inspection
