"""A client reading one stream on a thread, for the cases that end streams under it (revocation, deletion):
when its first bytes came, how much it read, and when and how the stream ended."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StreamReader:
    """``pause_s`` between reads of ``chunk`` bytes: a player at its own pace (0: as fast as the box sends)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    pause_s: float = 0.0
    chunk: int | None = None
    status: int | None = None
    received: int = 0
    first_at: float | None = None
    ended_at: float | None = None
    how: str = ""  # "left" (we did), "ended" (the box closed it cleanly), or the error that ended it
    _leave: threading.Event = field(default_factory=threading.Event)

    def start(self) -> StreamReader:
        threading.Thread(target=self._run, name="stream reader", daemon=True).start()
        return self

    def leave(self) -> None:
        self._leave.set()

    def _run(self) -> None:
        import httpx

        try:
            with httpx.Client(timeout=httpx.Timeout(5.0, read=20.0)) as client, \
                    client.stream("GET", self.url, headers=self.headers) as response:  # fmt: skip
                self.status = response.status_code
                for chunk in response.iter_raw(self.chunk):
                    self.received += len(chunk)
                    self.first_at = self.first_at or time.monotonic()
                    if self._leave.wait(self.pause_s):
                        self.how = "left"
                        return
                self.how = "ended"
        except httpx.HTTPError as exc:
            self.how = type(exc).__name__  # e.g. the body ended before its Content-Length: the box closed it
        finally:
            self.ended_at = time.monotonic()


def pair_in_process(app: Any, name: str) -> tuple[str, str]:
    """Pair ``name`` in-process (the code read off the TV); (its device id, its token)."""
    pending = app.auth.begin(name)
    device, token = app.auth.complete(pending.id, pending.code)
    return device.id, token
