"""Run the head-end as a child process: what `stb run` and the tests use."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

from stb.errors import StbError

READY_TIMEOUT_S = 120.0  # the first start generates the demo media (about 20 s on two cores)


def health(host: str, port: int, timeout: float = 1.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=timeout) as reply:
            return json.load(reply)
    except (OSError, ValueError, urllib.error.URLError):
        return None


def headend_running(host: str, port: int) -> bool:
    return health(host, port) is not None


def start_headend_process(host: str, port: int, extra: list[str] | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "stb", "headend", "--host", host, "--port", str(port), *(extra or [])]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_until_ready(child: subprocess.Popen, host: str, port: int, timeout: float = READY_TIMEOUT_S) -> None:
    """Wait for /health to answer; a child that exits or takes too long is an error with its stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            err = (child.stderr.read() if child.stderr else "").strip().splitlines()
            raise StbError(f"the demo head-end exited: {err[-1] if err else f'code {child.returncode}'}")
        if headend_running(
            host,
            port,
        ):
            return
        time.sleep(0.2)
    child.kill()
    raise StbError(f"the demo head-end did not answer on {host}:{port} within {timeout:.0f} s")
