"""Channel logos for the banner: fetched off the UI thread, decoded and scaled once, kept.

Logos are URLs (M3U tvg-logo) or local files. A worker thread fetches the bytes with a time-out and
a size cap; the UI thread decodes them the first time it draws the logo (pygame surfaces belong to
it). A logo that cannot be had is tried again after a while, never on every frame.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time

from stb.lineup.logo import FETCH_TIMEOUT_S, RETRY_AFTER_S, fetch
from stb.ui.widgets import fit_image

log = logging.getLogger(__name__)
MAX_LOGO_SIDE = 4096  # pixels: logos are drawn at most a few hundred wide


class Logos:
    def __init__(self) -> None:
        self._wanted: queue.Queue[str | None] = queue.Queue()
        self._fetched: dict[str, bytes | None] = {}  # written by the worker, read by the UI thread
        self._failed_at: dict[str, float] = {}
        self._asked: set[str] = set()
        self._scaled: dict[tuple[str, int, int], object] = {}
        self._thread: threading.Thread | None = None

    def get(self, source: str | None, size: tuple[int, int]):
        """The logo scaled to fit ``size``, or None while it is being fetched (or if there is none)."""
        if not source:
            return None
        key = (source, *size)
        if key in self._scaled:
            return self._scaled[key]
        if source not in self._fetched:
            self._ask(source)
            return None
        data = self._fetched[source]
        surface = self._decode(source, data, size) if data is not None else None
        if surface is None:
            self._failed(source)
            return None
        self._scaled[key] = surface
        return surface

    def close(self) -> None:
        if self._thread is not None:
            self._wanted.put(None)
            self._thread.join(timeout=FETCH_TIMEOUT_S + 1)

    def _ask(self, source: str) -> None:
        failed = self._failed_at.get(source)
        if source in self._asked and (failed is None or time.monotonic() - failed < RETRY_AFTER_S):
            return  # on its way, or failed a moment ago
        self._asked.add(source)
        self._failed_at.pop(source, None)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="stb-logos", daemon=True)
            self._thread.start()
        self._wanted.put(source)

    def _failed(self, source: str) -> None:
        self._fetched.pop(source, None)
        self._failed_at[source] = time.monotonic()

    def _work(self) -> None:
        while (source := self._wanted.get()) is not None:
            try:
                self._fetched[source] = fetch(source)
            except (OSError, ValueError) as exc:
                log.info("no logo from %s: %s", source, exc)
                self._failed_at[source] = time.monotonic()

    @staticmethod
    def _decode(source: str, data: bytes, size: tuple[int, int]):
        import pygame

        from stb.images import decode_problem

        problem = decode_problem(data, MAX_LOGO_SIDE)  # a bomb would kill the TV before any exception
        if problem:
            log.info("logo %s not drawn: %s", source, problem)
            return None
        try:
            image = pygame.image.load(io.BytesIO(data))
        except (pygame.error, ValueError) as exc:
            log.info("logo %s is not an image: %s", source, exc)
            return None
        if pygame.display.get_surface() is not None and min(image.get_size()) > 0:  # faster to blit
            image = image.convert_alpha()
        return fit_image(image, size)
