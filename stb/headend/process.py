"""Run the head-end as a child process: what `stb run` and the tests use.

The child's stderr goes to a log file (``cache_dir()/headend/headend-PORT.log``), not a pipe (a
pipe nobody reads fills up and blocks the head-end); its tail is quoted when the child fails to
come up. The child gets SIGTERM when its parent dies, so a crashed box leaves no head-end (and no
ffmpeg) behind.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from stb.config import cache_dir
from stb.errors import StbError
from stb.headend.catalog import base_url

READY_TIMEOUT_S = 120.0  # the first start generates the demo media (about 15 s on two cores)
POLL_S = 0.2


class HeadendProcess(subprocess.Popen):
    """A head-end child: a Popen that also knows its log file and the URL it serves."""

    log_path: Path
    url: str

    def stderr_tail(self, lines: int = 5) -> str:
        """The last lines the child wrote to stderr, joined with ' | ' for a one-line message."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


def health(host: str, port: int, timeout: float = 1.0) -> dict | None:
    """The head-end's /health report, or None when nothing (or something else) answers there."""
    return _health_at(f"{base_url(host, port)}/health", timeout)


def _health_at(url: str, timeout: float) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            data = json.load(reply)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and "channels" in data else None


def headend_running(host: str, port: int) -> bool:
    return health(host, port) is not None


def start_headend_process(
    host: str = "127.0.0.1",
    port: int = 8554,
    extra: list[str] | None = None,
    media_dir: Path | None = None,
    log_path: Path | None = None,
) -> HeadendProcess:
    """Start `stb headend` as a child (`python -m stb headend ...`); pair with :func:`wait_until_ready`.

    Start it from a long-lived thread: the child is signalled when the starting thread exits.
    """
    from stb.children import die_with_parent_hook

    command = [sys.executable, "-m", "stb", "headend", "--host", host, "--port", str(port)]
    if media_dir is not None:
        command += ["--media-dir", str(media_dir)]
    command += extra or []
    if log_path is None:  # one per port, overwritten by the next start: nothing piles up
        log_path = cache_dir() / "headend" / f"headend-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - handed to the child, closed right after
    try:
        child = HeadendProcess(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            preexec_fn=die_with_parent_hook(),
        )
    finally:
        log.close()
    child.log_path = log_path
    child.url = base_url(host, port)
    return child


def wait_until_ready(
    target: str | subprocess.Popen,
    *args: object,
    timeout: float = READY_TIMEOUT_S,
    child: subprocess.Popen | None = None,
) -> dict:
    """Wait until the head-end answers /health; return its report.

    Two spellings: ``wait_until_ready(url, timeout, child=p)`` with the head-end's base URL, or
    ``wait_until_ready(child, host, port[, timeout])`` as `stb run` calls it. A child that exits,
    or no answer within the timeout, is a StbError quoting the end of the child's stderr.
    """
    if isinstance(target, subprocess.Popen):
        if len(args) not in (2, 3):
            raise TypeError("wait_until_ready(child, host, port[, timeout])")
        child, url = target, base_url(str(args[0]), int(args[1]))  # type: ignore[call-overload]
        args = args[2:]
    else:
        url = target.rstrip("/")
    if args:
        timeout = float(args[0])  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout
    while True:
        if child is not None and child.poll() is not None:
            raise StbError(f"the demo head-end exited ({child.returncode}): {_tail(child) or 'no output'}")
        report = _health_at(f"{url}/health", timeout=1.0)
        if report is not None:
            return report
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    tail = _tail(child) if child is not None else ""
    if child is not None:
        child.kill()
        child.wait()
    raise StbError(f"the demo head-end did not answer at {url} within {timeout:.0f} s" + (f": {tail}" if tail else ""))


def stop_headend_process(child: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it lingers; always reaps the child (no zombie)."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextlib.contextmanager
def headend_on_free_port(host: str = "127.0.0.1") -> Iterator[tuple[subprocess.Popen, int]]:
    """A demo head-end child on a free port of ``host``, ready: (child, port); stopped and reaped on exit."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    child = start_headend_process(host, port)
    try:
        wait_until_ready(child, host, port)
        yield child, port
    finally:
        stop_headend_process(child)


def _tail(child: subprocess.Popen) -> str:
    return child.stderr_tail() if isinstance(child, HeadendProcess) else ""
