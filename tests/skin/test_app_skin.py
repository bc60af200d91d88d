"""The running box and skins: a broken skin falls back with a notice; --skin-dev reloads a changed token."""

from __future__ import annotations

import json
import os

import pytest

from stb.config import StateStore
from stb.lineup.model import Channel, Lineup
from stb.skin.theme import Theme
from stb.ui.app import App

LINEUP = Lineup(name="t", channels=[Channel(number=1, id="a", name="A", urls=["http://127.0.0.1:9/a.ts"])])


def write_skin(root, name: str, colours: dict) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "skin.json").write_text(json.dumps({
        "name": name, "version": "1", "author": "t", "licence": "MIT", "api": 1, "resolution": [1280, 720],
        "extends": "default", "colours": colours,
    }))  # fmt: skip


@pytest.fixture
def skins(tmp_path, monkeypatch):
    root = tmp_path / "skins"
    root.mkdir()
    monkeypatch.setenv("STB_SKINS_DIR", str(root))
    return root


def make_app(tmp_path, **kw) -> App:
    app = App(LINEUP, headless=True, store=StateStore(tmp_path), guide_db=tmp_path / "g.db", pretune=0, **kw)
    app.start()
    return app


def test_a_broken_skin_falls_back_to_the_default_with_a_notice_on_the_tv(skins, tmp_path):
    write_skin(skins, "mine", {"accent": "not a colour"})
    app = make_app(tmp_path, skin="mine")
    try:
        assert app.skin.name == "default" and app.screen.theme == Theme(skin="default")
        assert app.screen.notice.startswith("Skin 'mine' could not be used (")
    finally:
        app.close()


def test_skin_dev_reloads_a_changed_token_without_touching_playback(skins, tmp_path):
    write_skin(skins, "mine", {"accent": "#102030"})
    app = make_app(tmp_path, skin="mine", skin_dev=True)
    try:
        app.act("list")
        player = app.player
        assert app.screen.theme.accent == (0x10, 0x20, 0x30) and app.top.theme.accent == (0x10, 0x20, 0x30)
        write_skin(skins, "mine", {"accent": "#405060"})
        manifest = skins / "mine" / "skin.json"
        os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 10**9))
        app.look.look_again()  # the next frame looks at the files (once a second)
        app.step()
        assert app.screen.theme.accent == (0x40, 0x50, 0x60) and app.top.theme.accent == (0x40, 0x50, 0x60)
        assert app.screen.notice == "Skin mine reloaded" and app.player is player  # same player, same channel
        write_skin(skins, "mine", {"accent": "#zzzzzz"})
        os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 2 * 10**9))
        app.look.look_again()
        app.step()
        assert app.screen.theme.accent == (0x40, 0x50, 0x60)  # a broken edit keeps the look it had
        assert app.screen.notice.startswith("Skin not reloaded:") and "colours.accent" in app.screen.notice
    finally:
        app.close()


def test_skin_dev_reloads_a_changed_layout_in_the_open_guide(skins, tmp_path):
    def write(layouts: dict, row_height: int) -> None:
        (skins / "grid").mkdir(exist_ok=True)
        (skins / "grid" / "skin.json").write_text(json.dumps({
            "name": "grid", "version": "1", "author": "t", "licence": "MIT", "api": 1, "resolution": [1280, 720],
            "extends": "default", "widgets": {"grid": {"row_height": row_height}}, "layouts": layouts,
        }))  # fmt: skip

    write({}, 48)
    app = make_app(tmp_path, skin="grid", skin_dev=True)
    try:
        app.act("guide")
        grid = app.top
        assert grid.widgets["preview"].visible and grid.model.rows == 7
        write({"guide": {"widgets": {"preview": {"visible": False}, "details": {"width": 1152}}}}, 96)
        manifest = skins / "grid" / "skin.json"
        os.utime(manifest, ns=(manifest.stat().st_atime_ns, manifest.stat().st_mtime_ns + 10**9))
        app.look.look_again()
        app.step()
        assert app.top is grid and not grid.widgets["preview"].visible and grid.widgets["details"].rect[2] == 1152
        assert grid.model.rows == 3  # the rows follow the new row height in the open guide
        assert app.screen.notice == "Skin grid reloaded"
    finally:
        app.close()


def test_the_skin_chosen_in_settings_is_the_one_used(skins, tmp_path):
    from stb.settings import Settings, SettingsStore

    SettingsStore(tmp_path).save(Settings(skin="highcontrast"))
    app = make_app(tmp_path)
    try:
        assert app.skin.name == "highcontrast" and app.screen.theme.accent == (0xFF, 0xD4, 0x00)
    finally:
        app.close()


def test_settings_switches_the_skin_at_once_and_keeps_it(tmp_path, monkeypatch):
    from stb.settings import SettingsStore

    monkeypatch.delenv("STB_SKINS_DIR", raising=False)
    app = make_app(tmp_path, skin="default")
    try:
        app.act("menu")
        settings = app.top
        settings.focus = next(i for i, item in enumerate(settings.items) if item.label == "Skin")
        app.act("right")
        assert app.skin.name == "highcontrast" and app.box.settings.skin == "highcontrast"
        assert app.screen.theme.accent == settings.theme.accent == (0xFF, 0xD4, 0x00)  # every open screen
        app.step()
        assert SettingsStore(tmp_path).load().skin == "highcontrast"
    finally:
        app.close()


def test_a_skin_may_bring_keys_and_the_users_still_win(skins, tmp_path, monkeypatch):
    import pygame

    write_skin(skins, "mine", {})
    (skins / "mine" / "keymap.json").write_text('{"global": {"f1": "guide", "f2": "list"}}')
    config = tmp_path / "config"
    config.mkdir()
    (config / "keymap.json").write_text('{"global": {"f2": "menu"}}')
    monkeypatch.setenv("STB_CONFIG_DIR", str(config))
    app = make_app(tmp_path, skin="mine")
    try:
        assert app.keymap.action("live", pygame.K_F1) == "guide" and app.keymap.action("live", pygame.K_F2) == "menu"
    finally:
        app.close()
