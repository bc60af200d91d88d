import json

import pygame
import pytest

from stb.actions import ACTIONS
from stb.errors import StbError
from stb.ui.keymap import load_keymap


@pytest.fixture(autouse=True)
def _display():
    """Key names resolve through SDL: earlier app tests may have quit pygame."""
    pygame.display.init()


def test_default_keymap_has_contexts_with_global_as_fallback():
    keymap = load_keymap()
    assert keymap.action("live", pygame.K_UP) == "channel_up"  # arrows zap on live TV…
    assert keymap.action("list", pygame.K_UP) == "up"  # …and move the focus in a list
    assert keymap.action("live", pygame.K_PAGEDOWN) == keymap.action("list", pygame.K_PAGEDOWN) == "channel_down"
    assert keymap.action("live", pygame.K_ESCAPE) == "back" and keymap.action("live", pygame.K_q) == "quit"
    assert keymap.action("live", pygame.K_5) == "digit_5" and keymap.action("live", pygame.K_F12) is None
    assert {a for keys in keymap.contexts.values() for a in keys.values()} <= ACTIONS


def test_every_default_key_is_in_the_readme():
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    actions = {a for keys in load_keymap().contexts.values() for a in keys.values()}
    for action in {"digit_0" if a.startswith("digit_") else a for a in actions}:  # digits: one row
        assert re.search(rf"`{action}`", table), f"README's key table does not mention {action}"


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


def test_a_context_entry_is_checked_too(tmp_path):
    path = tmp_path / "keymap.json"
    path.write_text(json.dumps({"global": {}, "list": {"up": "fly"}}))
    with pytest.raises(StbError, match=r"list\.up: unknown action 'fly'"):
        load_keymap(path)


def test_every_action_has_a_default_key():
    bound = {a for keys in load_keymap().contexts.values() for a in keys.values()}
    assert bound == ACTIONS, f"actions nobody can press: {sorted(ACTIONS - bound)}"


def test_a_user_keymap_states_only_differences_and_null_unbinds(tmp_path):
    user = tmp_path / "keymap.json"
    user.write_text(json.dumps({"global": {"f1": "guide", "q": None}, "guide": {"page up": "yellow"}}))
    keymap = load_keymap(overrides=[user])
    assert keymap.action("live", pygame.K_F1) == "guide" and keymap.action("live", pygame.K_g) == "guide"
    assert keymap.action("live", pygame.K_q) is None  # unbound: no quitting by accident
    assert keymap.action("guide", pygame.K_PAGEUP) == "yellow"
    assert keymap.action("live", pygame.K_PAGEUP) == "channel_up"


def test_a_broken_user_keymap_names_its_file_and_entry(tmp_path):
    user = tmp_path / "keymap.json"
    user.write_text(json.dumps({"live": {"f2": "teleport"}}))
    with pytest.raises(StbError, match=r"keymap .*keymap.json: live.f2: unknown action 'teleport'"):
        load_keymap(overrides=[user])
