"""Calls from the network thread, run on the UI thread that owns the Box and libVLC.

The HTTP handlers never touch the Box directly: they submit a function and await its result; the UI
loop runs what is pending once per frame (`run_pending`). libVLC and pygame stay single-threaded, and
a request sees the Box between two frames, never halfway through one.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

CALL_TIMEOUT_S = 5.0  # a UI thread that does not answer in this long is stuck, not slow


class CommandQueue:
    def __init__(self) -> None:
        self._pending: queue.SimpleQueue[tuple[Callable[..., Any], tuple, Future]] = queue.SimpleQueue()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        self._pending.put((fn, args, future))
        return future

    async def call(self, fn: Callable[..., Any], *args: Any, timeout: float = CALL_TIMEOUT_S) -> Any:
        """Run ``fn(*args)`` on the UI thread and return its result (or raise its exception)."""
        return await asyncio.wait_for(asyncio.wrap_future(self.submit(fn, *args)), timeout)

    def run_pending(self, limit: int = 64) -> int:
        """On the UI thread, once per frame: run what the network side asked for (at most ``limit``)."""
        done = 0
        while done < limit:
            try:
                fn, args, future = self._pending.get_nowait()
            except queue.Empty:
                break
            done += 1
            if not future.set_running_or_notify_cancel():
                continue  # the request gave up (timed out) before its turn
            try:
                future.set_result(fn(*args))
            except Exception as exc:  # handed to the request, which turns it into a problem response
                future.set_exception(exc)
        return done
