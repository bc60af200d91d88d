"""The window's look: the skin (or a fixed Theme in tests), the Theme per screen, the keymap, live skin reloads."""

from __future__ import annotations

import logging
from pathlib import Path

from stb.errors import StbError
from stb.skin.resolve import ResolvedSkin, SkinError, resolve, resolve_with_fallback
from stb.skin.theme import Theme
from stb.ui.keymap import Keymap, load_keymap, user_keymap_path

log = logging.getLogger(__name__)

Stamp = tuple[tuple[str, int | None], ...]


class Look:
    """What the screens draw with and which keys send which actions; ``notices`` says what was left out."""

    def __init__(self, skin: str, theme: Theme | None = None, skin_dev: bool = False) -> None:
        self.fixed_theme = theme  # tests draw with one Theme; otherwise the skin gives one per screen
        self.skin: ResolvedSkin | None
        self.skin, skin_notice = (None, None) if theme else resolve_with_fallback(skin)
        self.skin_dev = skin_dev
        self._stamp = self._files_stamp()
        self._checked_at = 0.0
        self.keymap, keymap_notice = self._load_keymap()
        self.notices = [n for n in (keymap_notice, skin_notice) if n]

    def theme_for(self, screen: str) -> Theme:
        """What ``screen`` draws with: the skin's values with that screen's overrides."""
        if self.fixed_theme is not None:
            return self.fixed_theme
        return self.skin.theme(screen) if self.skin is not None else Theme()

    def use(self, name: str, failure: str = "Skin not changed") -> str | None:
        """Read skin ``name`` and draw with it from now on. Returns what the TV should say, if anything: why a
        broken skin left the look as it was, or that a keymap of the new skin was left out."""
        try:
            self.skin = resolve(name, self.skin.overrides if self.skin else None)
        except SkinError as exc:
            log.warning("%s", exc)
            return f"{failure}: {exc.problems[0]}"
        self._stamp = self._files_stamp()
        self.keymap, notice = self._load_keymap()
        return notice

    def changed_on_disk(self, now: float) -> bool:
        """--skin-dev: at most every second, whether one of the skin's files changed since it was read."""
        if not self.skin_dev or self.skin is None or now - self._checked_at < 1.0:
            return False
        self._checked_at = now
        stamp = self._files_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        return True

    def look_again(self) -> None:
        """The next ``changed_on_disk`` looks at the files whatever the time (tests, a "reload" key)."""
        self._checked_at = 0.0

    def _files_stamp(self) -> Stamp:
        """Modification times of the skin's files, for --skin-dev only (no stat calls otherwise)."""
        if self.skin is None or not self.skin_dev:
            return ()
        stamp: list[tuple[str, int | None]] = []
        for path in self.skin.files:
            try:
                stamp.append((str(path), path.stat().st_mtime_ns))
            except OSError:
                stamp.append((str(path), None))
        return tuple(stamp)

    def _load_keymap(self) -> tuple[Keymap, str | None]:
        """The packaged keymap, then the skin chain's `keymap.json` files, then the user's; a broken one
        is skipped, and said so."""
        skin_maps = [f.directory / "keymap.json" for f in self.skin.chain] if self.skin else []
        layers: list[Path] = []
        notice = None
        for layer in (p for p in [*skin_maps, user_keymap_path()] if p.is_file()):
            try:
                load_keymap(overrides=[layer])  # each file on its own: a broken one is left out by itself
            except StbError as exc:
                log.warning("%s; leaving it out", exc)
                notice = notice or f"A keymap was not used: {exc}"
                continue
            layers.append(layer)
        return load_keymap(overrides=layers), notice
