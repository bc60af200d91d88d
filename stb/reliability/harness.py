"""What a reliability case is, and the few checks every case needs.

A case passes when the user gets a *clear* outcome: a message naming the problem and a non-zero
exit for the CLI, a 4xx for the API, a notice on the TV; never a traceback, a hang or a
half-written file. ``lost`` counts what a case found lost or corrupt (files, records, settings):
it must be zero even when ``ok`` is true.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

TRACEBACK = "Traceback (most recent call last)"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    saw: str  # what the user got: the message, the status and body, the notice on the TV
    lost: int = 0  # files, records or settings lost or left corrupt


@dataclass(frozen=True)
class Case:
    area: str  # "channels.json", "M3U", "XMLTV", "skins", "HTTP API", "mDNS", "streams", "faults"
    name: str  # short, unique within its area: it is the test id
    expect: str  # the clear outcome wanted, in words, for the report
    check: Callable[[Path], Outcome]  # given an empty scratch folder; STB_STATE_DIR etc. already point into it
    needs_root: bool = False  # network namespaces, tmpfs mounts
    seconds: float = 60.0  # past this the case counts as hung
    long: bool = False  # a big input or a long run: `stb bench reliability` runs it, the test suite does not

    @property
    def id(self) -> str:
        return f"{self.area}: {self.name}"


@dataclass(frozen=True)
class Cli:
    code: int | None  # None: killed after the time-out
    out: str
    err: str
    peak_rss_mb: float | None = None  # the child's own peak, when run_cli(measure=True)

    @property
    def hung(self) -> bool:
        return self.code is None


# The child prints its own peak RSS as it exits: the parent's RUSAGE_CHILDREN is a maximum over every
# child it ever had, and ru_maxrss counts the forked copy of the parent before exec; VmHWM does not.
_MEASURED = ("import atexit, sys\n"
             "def peak():\n"
             "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
             "    print('\\nstb-peak-rss-kb', hwm[0].split()[1] if hwm else 0, file=sys.stderr)\n"
             "atexit.register(peak)\n"
             "from stb.cli import main\nsys.exit(main(sys.argv[1:]))\n")  # fmt: skip
_PEAK = "\nstb-peak-rss-kb "


def run_cli(args: Sequence[str], *, timeout: float = 60.0, stdin: bytes | None = None,
            env: dict[str, str] | None = None, measure: bool = False) -> Cli:  # fmt: skip
    """``stb ARGS`` in a child process (this interpreter), killed after ``timeout`` seconds.

    ``measure``: also report the child's peak RSS (``Cli.peak_rss_mb``).
    """
    full_env = {**os.environ, "PYGAME_HIDE_SUPPORT_PROMPT": "1", "SDL_VIDEODRIVER": "dummy",
                "SDL_AUDIODRIVER": "dummy", **(env or {})}  # fmt: skip
    command = [sys.executable, "-c", _MEASURED] if measure else [sys.executable, "-m", "stb"]
    child = subprocess.Popen([*command, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)  # fmt: skip
    try:
        out, err = child.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        return Cli(None, out.decode(errors="replace"), err.decode(errors="replace"))
    text, _, peak = err.decode(errors="replace").partition(_PEAK)
    peak_mb = int(peak.split()[0]) / 1024 if peak.strip() and peak.split()[0] != "0" else None
    return Cli(child.returncode, out.decode(errors="replace"), text, peak_mb)


def refused(cli: Cli, *words: str) -> Outcome:
    """The CLI said no clearly: exited non-zero, no traceback, and its message names the problem.

    ``words`` must all appear (case-insensitive) in what it printed.
    """
    text = (cli.err + cli.out).strip()
    last = text.splitlines()[-1] if text else "(nothing printed)"
    if cli.hung:
        return Outcome(False, f"hung: killed after the time-out; last said {last!r}")
    if TRACEBACK in text:
        return Outcome(False, f"traceback: {last}")
    if cli.code == 0:
        return Outcome(False, f"exit 0 (accepted the input): {last}")
    missing = [w for w in words if w.lower() not in text.lower()]
    if missing:
        return Outcome(False, f"exit {cli.code}, the message does not name {missing}: {last}")
    return Outcome(True, f"exit {cli.code}: {_first_error_line(text)}")


def _first_error_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    picked = next((line for line in lines if line.startswith("stb:")), lines[0] if lines else "")
    return picked if len(picked) <= 160 else picked[:157] + "..."


def digest(path: Path) -> str | None:
    """SHA-256 of a file (None if it does not exist): to show that a refused input changed nothing."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def run_case(case: Case, work: Path) -> Outcome:
    """Run one case with its own scratch folder and state directories; a hang or a crash is a failed case.

    The case runs on a daemon thread so that a hung one cannot stop the report; the thread is left
    behind (its resources too) and the outcome says so.
    """
    work.mkdir(parents=True, exist_ok=True)
    result: list[Outcome] = []

    def body() -> None:
        try:
            result.append(case.check(work))
        except Exception as exc:  # a crashing case is a failed case, reported as such
            result.append(Outcome(False, f"the case itself raised {type(exc).__name__}: {exc}"))

    saved = {k: os.environ.get(k) for k in ("STB_STATE_DIR", "STB_CONFIG_DIR")}
    os.environ["STB_STATE_DIR"] = str(work / "state")
    os.environ["STB_CONFIG_DIR"] = str(work / "config")
    try:
        thread = threading.Thread(target=body, name=f"case {case.id}", daemon=True)
        thread.start()
        thread.join(case.seconds)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not result:
        return Outcome(False, f"hung: no answer within {case.seconds:.0f} s")
    return result[0]


@contextlib.contextmanager
def small_disk(directory: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``directory`` (root only): a disk that fills up for real."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)], check=True)
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)
