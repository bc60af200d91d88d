"""Keys → named actions, from a data file (as Enigma2's keymap.xml and Kodi's remote.xml do).

Screens only ever see action names; which key sends them is the keymap's business.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from stb.errors import StbError

ACTIONS = frozenset(
    {"channel_up", "channel_down", "last_channel", "ok", "info", "quit", "mute", "volume_up", "volume_down"}
    | {"audio_track", "subtitles"}
    | {f"digit_{d}" for d in range(10)}
)


def load_keymap(path: Path | None = None) -> dict[int, str]:
    """Read the keymap (the packaged default when ``path`` is None) into pygame key code → action.

    Unknown key names and unknown actions are errors naming the entry, so a typo in an
    integrator's keymap is caught at start, not discovered as a dead button.
    """
    import pygame

    source = path or resources.files("stb.ui").joinpath("keymap.json")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StbError(f"cannot read keymap {source}: {exc}") from exc
    keymap: dict[int, str] = {}
    for key_name, action in data.get("global", {}).items():
        if action not in ACTIONS:
            raise StbError(f"keymap {source}: global.{key_name}: unknown action {action!r}")
        try:
            keymap[pygame.key.key_code(key_name)] = action
        except ValueError:
            raise StbError(f"keymap {source}: global.{key_name}: unknown key name") from None
    return keymap
