import json

import pygame
import pytest

from stb.errors import StbError
from stb.ui.keymap import ACTIONS, load_keymap


def test_default_keymap_loads_and_covers_the_skeleton_actions():
    keymap = load_keymap()
    assert keymap[pygame.K_UP] == "channel_up"
    assert keymap[pygame.K_PAGEDOWN] == "channel_down"
    assert keymap[pygame.K_ESCAPE] == "quit"
    assert keymap[pygame.K_5] == "digit_5"
    assert set(keymap.values()) <= ACTIONS


def test_unknown_action_is_reported_with_its_key(tmp_path):
    path = tmp_path / "keymap.json"
    path.write_text(json.dumps({"global": {"up": "channel_upp"}}))
    with pytest.raises(StbError, match=r"global\.up: unknown action 'channel_upp'"):
        load_keymap(path)


def test_unknown_key_name_is_reported(tmp_path):
    path = tmp_path / "keymap.json"
    path.write_text(json.dumps({"global": {"hyperspace": "quit"}}))
    with pytest.raises(StbError, match=r"global\.hyperspace: unknown key name"):
        load_keymap(path)
