"""Starting, waiting for and stopping the head-end as a child process; clear one-line errors."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stb.errors import StbError
from stb.headend.process import health, start_headend_process, stop_headend_process, wait_until_ready
from tests.headend.conftest import free_port


def test_a_port_in_use_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "stb", "headend", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1
    assert result.stderr == f"stb: 127.0.0.1:{port} is in use; pick another port with --port\n"


def test_a_child_that_exits_is_reported_with_its_stderr(tmp_path):
    child = start_headend_process("127.0.0.1", free_port(), extra=["--interface", "lo"], log_path=tmp_path / "l.log")
    with pytest.raises(StbError, match=r"exited \(1\): stb: --interface only makes sense with --multicast"):
        wait_until_ready(f"http://127.0.0.1:{free_port()}", 20, child=child)
    assert child.poll() == 1


def test_nothing_answering_times_out_with_a_clear_error():
    with pytest.raises(StbError, match=r"did not answer at http://127.0.0.1:\d+ within 1 s"):
        wait_until_ready(f"http://127.0.0.1:{free_port()}", 0.6)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie's parent (init here) has yet to reap it: it runs nothing


@pytest.mark.slow
def test_killing_the_headend_leaves_no_ffmpeg_behind(media_dir):
    port = free_port()
    child = start_headend_process("127.0.0.1", port, media_dir=media_dir)
    try:
        report = wait_until_ready(child, "127.0.0.1", port, 60)  # the spelling `stb run` uses
        pids = [c["pid"] for c in report["channels"].values()]
        assert len(pids) > 10 and all(pids) and all(_alive(p) for p in pids)
        os.kill(child.pid, signal.SIGKILL)  # no chance to clean up: the kernel must do it
        child.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in pids if _alive(p)], "ffmpeg outlived the head-end"
    finally:
        stop_headend_process(child)
    assert health("127.0.0.1", port) is None


@pytest.mark.slow
def test_sigterm_stops_cleanly_even_with_viewers_connected(media_dir):
    port = free_port()
    child = start_headend_process("127.0.0.1", port, media_dir=media_dir)
    try:
        report = wait_until_ready(f"http://127.0.0.1:{port}", 60, child=child)
        pids = [c["pid"] for c in report["channels"].values()]
        viewer = socket.create_connection(("127.0.0.1", port), timeout=10)
        viewer.sendall(b"GET /live/news-24.ts HTTP/1.1\r\nHost: x\r\n\r\n")
        assert viewer.recv(1000)
        started = time.monotonic()
        child.terminate()
        child.wait(timeout=10)
        assert time.monotonic() - started < 6
        viewer.close()
        assert not [p for p in pids if _alive(p)]
    finally:
        stop_headend_process(child)
