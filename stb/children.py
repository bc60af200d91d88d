"""Child processes that never outlive the head-end: no zombies, no orphans, even after kill -9.

Linux's ``prctl(PR_SET_PDEATHSIG)`` makes the kernel send the child SIGTERM when its parent dies.
It fires when the *thread* that started the child exits, so start children from a long-lived
thread (the event loop's, or the main thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import os
import signal
import sys

STOP_GRACE_S = 5.0  # SIGTERM, then SIGKILL after this long

PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl():
    """libc's prctl, looked up once in the parent (a preexec_fn should do as little as possible)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent_hook():
    """A ``preexec_fn`` that ties the child's life to this process (None where prctl is missing)."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody would signal us
            os._exit(1)

    return hook


async def stop_supervised(task: asyncio.Task | None, process: asyncio.subprocess.Process | None) -> None:
    """Cancel the task that restarts ``process``, then stop the process and reap it (no zombie)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_GRACE_S)
    except TimeoutError:
        process.kill()
        await process.wait()
