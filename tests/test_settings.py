import json
import os
import time

import pytest

from stb.config import StateStore
from stb.settings import ParentalSettings, Settings, SettingsStore


def custom_settings() -> Settings:
    return Settings(
        box_name="Kids' Room",
        skin="high-contrast",
        pretune=False,
        guide_refresh_hours=48,
        show_channel_on_lan=False,
        parental=ParentalSettings(
            pin_hash="scrypt$" + "ab" * 16 + "$" + "cd" * 32,
            age_limit=12,
            locked_channels=["cinema-one", "late-night"],
            unlock_minutes=90,
            failed_tries=4,
            locked_out_until=1_700_000_060.5,
        ),
    )


def test_lives_in_the_state_directory_and_round_trips_through_a_real_file(tmp_path):
    store = SettingsStore()  # the autouse fixture points STB_STATE_DIR at tmp_path / "state"
    assert store.path == tmp_path / "state" / "settings.json"
    store.save(custom_settings())
    assert json.loads(store.path.read_text())["parental"]["age_limit"] == 12
    again = SettingsStore()
    assert again.load() == custom_settings()
    assert again.notice is None


def test_missing_file_gives_defaults_without_notice(tmp_path):
    store = SettingsStore(tmp_path)
    assert store.load() == Settings()
    assert store.notice is None
    assert not store.path.exists()


def test_settings_and_state_are_separate_files(tmp_path):
    SettingsStore(tmp_path).save(custom_settings())
    assert StateStore(tmp_path).load() == StateStore(tmp_path).MODEL()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_unknown_keys_are_ignored_and_missing_keys_take_defaults(tmp_path):
    (tmp_path / "settings.json").write_text(
        json.dumps({"box_name": "Den", "from_the_future": [1, 2], "parental": {"age_limit": 16, "new_knob": True}})
    )
    store = SettingsStore(tmp_path)
    settings = store.load()
    assert store.notice is None
    assert settings == Settings(box_name="Den", parental=ParentalSettings(age_limit=16))


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{not json", "Expecting"),
        (b"\xff\xfe\x00garbage", "utf-8"),
        (b"[]", "top level"),
        (b'{"guide_refresh_hours": 0}', "guide_refresh_hours"),
        (b'{"parental": {"unlock_minutes": 5000}}', "parental.unlock_minutes"),
    ],
)
def test_corrupt_file_is_kept_aside_with_a_notice_and_defaults_used(tmp_path, content, field):
    (tmp_path / "settings.json").write_bytes(content)
    store = SettingsStore(tmp_path)
    assert store.load() == Settings()
    assert store.notice is not None
    assert store.notice.startswith("settings file was corrupt") and field in store.notice
    kept = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content  # nothing lost
    assert kept[0].name in store.notice
    assert not (tmp_path / "settings.json").exists()


def test_a_second_corrupt_file_in_the_same_second_does_not_overwrite_the_first(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda *args: "20250101-120000")
    for content in (b"first", b"second"):
        (tmp_path / "settings.json").write_bytes(content)
        assert SettingsStore(tmp_path).load() == Settings()
    kept = {p.name: p.read_bytes() for p in tmp_path.glob("settings.json.corrupt-*")}
    assert kept == {
        "settings.json.corrupt-20250101-120000": b"first",
        "settings.json.corrupt-20250101-120000-1": b"second",
    }


def test_unreadable_file_gives_defaults_and_a_notice(tmp_path):
    (tmp_path / "settings.json").mkdir()  # reading a directory fails even as root
    store = SettingsStore(tmp_path)
    assert store.load() == Settings()
    assert store.notice is not None and store.notice.startswith("cannot read")
    assert (tmp_path / "settings.json").is_dir()  # not moved: it is not corrupt, just unreadable


def test_a_half_written_file_is_never_visible(tmp_path, monkeypatch):
    store = SettingsStore(tmp_path)
    store.save(Settings(box_name="Old"))
    before = store.path.read_bytes()

    def power_cut(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError):
        store.save(custom_settings())
    monkeypatch.undo()
    assert store.path.read_bytes() == before
    assert os.listdir(tmp_path) == ["settings.json"]  # no temporary file left behind
    assert SettingsStore(tmp_path).load() == Settings(box_name="Old")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"box_name": ""}, "box_name"),
        ({"box_name": "   "}, "box_name"),
        ({"box_name": "x" * 41}, "box_name"),
        ({"box_name": 7}, "box_name"),
        ({"skin": "../../etc"}, "skin"),
        ({"skin": ""}, "skin"),
        ({"pretune": "yes"}, "pretune"),
        ({"show_channel_on_lan": 1}, "show_channel_on_lan"),
        ({"standby_when_taken": "no"}, "standby_when_taken"),
        ({"standby_when_taken": None}, "standby_when_taken"),
        ({"guide_refresh_hours": 169}, "guide_refresh_hours"),
        ({"guide_refresh_hours": True}, "guide_refresh_hours"),
        ({"guide_refresh_hours": 12.5}, "guide_refresh_hours"),
        ({"parental": []}, "parental"),
        ({"parental": {"pin_hash": "1234"}}, "parental.pin_hash"),
        ({"parental": {"age_limit": 22}}, "parental.age_limit"),
        ({"parental": {"age_limit": -1}}, "parental.age_limit"),
        ({"parental": {"age_limit": "16"}}, "parental.age_limit"),
        ({"parental": {"locked_channels": "cinema-one"}}, "parental.locked_channels"),
        ({"parental": {"locked_channels": [""]}}, "parental.locked_channels"),
        ({"parental": {"unlock_minutes": 0}}, "parental.unlock_minutes"),
        ({"parental": {"unlock_minutes": 1441}}, "parental.unlock_minutes"),
        ({"parental": {"failed_tries": -1}}, "parental.failed_tries"),
        ({"parental": {"locked_out_until": "soon"}}, "parental.locked_out_until"),
        ({"parental": {"locked_out_until": -5}}, "parental.locked_out_until"),
    ],
)
def test_validation_names_the_field(data, field):
    with pytest.raises(ValueError, match=rf"^{field} "):
        Settings.from_json(data)


@pytest.mark.parametrize(
    "data",
    [
        {"box_name": "x" * 40, "guide_refresh_hours": 1},
        {"guide_refresh_hours": 168, "parental": {"age_limit": 0, "unlock_minutes": 1}},
        {"parental": {"age_limit": 21, "unlock_minutes": 1440, "locked_out_until": 5}},
        {"parental": {"age_limit": None}},
    ],
)
def test_range_ends_are_accepted(data):
    Settings.from_json(data)  # does not raise


def test_duplicate_locked_channels_are_dropped_in_order():
    settings = Settings.from_json({"parental": {"locked_channels": ["b", "a", "b"]}})
    assert settings.parental.locked_channels == ["b", "a"]


def test_a_corrupt_file_that_cannot_be_moved_aside_still_gives_defaults(tmp_path, monkeypatch):
    (tmp_path / "settings.json").write_bytes(b"{not json")

    def read_only(src, dst):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    store = SettingsStore(tmp_path)
    assert store.load() == Settings()
    assert store.notice is not None and "could not be moved aside (Read-only file system)" in store.notice
    assert (tmp_path / "settings.json").read_bytes() == b"{not json"


def test_standby_when_taken_is_on_unless_the_viewer_turned_it_off():
    assert Settings.from_json({}).standby_when_taken is True
    assert Settings.from_json({"standby_when_taken": False}).standby_when_taken is False
    assert Settings.from_json(Settings(standby_when_taken=False).to_json()) == Settings(standby_when_taken=False)


def test_a_new_box_gets_a_default_name_of_its_own_and_a_chosen_name_stays():
    from stb.settings import DEFAULT_BOX_NAME, distinct_name

    assert distinct_name(DEFAULT_BOX_NAME, "0123456789abcdef") == "Living Room CDEF"
    assert distinct_name(DEFAULT_BOX_NAME, "00000000000051a2") != distinct_name(DEFAULT_BOX_NAME, "0123456789abcdef")
    assert distinct_name("Den", "0123456789abcdef") == "Den"  # the user named it
    assert distinct_name(DEFAULT_BOX_NAME, "") == DEFAULT_BOX_NAME
    assert Settings.from_json({"box_name": distinct_name(DEFAULT_BOX_NAME, "ff" * 8)}).box_name == "Living Room FFFF"
