"""Keys → named actions, from a data file (as Enigma2's keymap.xml and Kodi's remote.xml do).

Screens only ever see action names; which key sends them is the keymap's business. Each screen
names a context ("live", "list"); a key is looked up in the screen's context first, then in
"global", so the arrows zap on the live screen and move the focus in a list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from stb.actions import ACTIONS
from stb.errors import StbError

# What still reaches live TV while a dialog (PIN, pairing code, devices) keeps every other key.
THROUGH_DIALOGS = frozenset({"quit", "mute", "volume_up", "volume_down"})


@dataclass
class Keymap:
    contexts: dict[str, dict[int, str]] = field(default_factory=dict)

    def action(self, context: str, key: int) -> str | None:
        """The action of ``key`` in ``context``, else its global one, else None."""
        return self.contexts.get(context, {}).get(key) or self.contexts.get("global", {}).get(key)


def load_keymap(path: Path | None = None, overrides: list[Path] | None = None) -> Keymap:
    """Read the keymap (the packaged default when ``path`` is None), then each override over it.

    An override (the user's keymap, later a skin's) only states differences: its entries replace the
    default's for the same key in the same context, and ``null`` unbinds a key. Unknown key names and
    unknown actions are errors naming the file and entry, so a typo is caught at start, not
    discovered as a dead button.
    """
    import pygame

    keymap = Keymap()
    for source in [path or resources.files("stb.ui").joinpath("keymap.json"), *(overrides or [])]:
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StbError(f"cannot read keymap {source}: {exc}") from exc
        if not isinstance(data, dict):
            raise StbError(f"keymap {source}: expected an object of contexts ('global', 'live', …)")
        for context, entries in data.items():
            if context.startswith("$"):
                continue
            if not isinstance(entries, dict):
                raise StbError(f"keymap {source}: {context}: expected an object of key names")
            keys = keymap.contexts.setdefault(context, {})
            for key_name, action in entries.items():
                if action is not None and action not in ACTIONS:
                    raise StbError(f"keymap {source}: {context}.{key_name}: unknown action {action!r}")
                try:
                    code = pygame.key.key_code(key_name)
                except ValueError:
                    raise StbError(f"keymap {source}: {context}.{key_name}: unknown key name") from None
                if action is None:
                    keys.pop(code, None)
                else:
                    keys[code] = action
    return keymap


def user_keymap_path() -> Path:
    from stb.config import config_dir

    return config_dir() / "keymap.json"
