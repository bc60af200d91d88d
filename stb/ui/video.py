"""Drawing a player's latest decoded picture: shared by the TV's live screen and the companion viewer."""

from __future__ import annotations

from typing import Any

from stb.player.ports import PlayerPort


def fit_rect(aspect: float, width: int, height: int):
    """Largest rectangle of ``aspect`` centred in width×height (letterbox or pillarbox)."""
    import pygame

    if width / height > aspect:
        w, h = round(height * aspect), height
    else:
        w, h = width, round(width / aspect)
    return pygame.Rect((width - w) // 2, (height - h) // 2, w, h)


def draw_latest_frame(player: PlayerPort, target: Any, background: Any) -> bool:
    """Scale the player's latest picture into ``target`` (a Surface), letterboxed; False when there is none."""
    import pygame

    if player.frames.frames <= 0:
        return False
    with player.frames.front() as frame:
        if frame is None:
            return False
        pixels, fmt = frame
        surface = pygame.image.frombuffer(pixels[: fmt.pitch * fmt.height], (fmt.width, fmt.height), "BGRA", fmt.pitch)
        rect = fit_rect(player.aspect or fmt.width / fmt.height, *target.get_size())
        target.fill(background)
        pygame.transform.scale(surface, rect.size, target.subsurface(rect))
    return True
