"""Every program the product and the tests start comes from a Debian package the Makefile installs.

A green run on a machine that happens to have `curl` or `libatomic1` hid two missing install steps; a pristine
Debian root (``../shared/tools/fresh-debian . 'make test'``) found them. This test finds the next one here:
it reads the programs started in ``stb/`` and ``tests/`` from the source (argv[0] of subprocess calls and of
argv lists, names given to ``shutil.which``), asks dpkg which package ships each, and checks that package is
one the Makefile installs, one the README names as a prerequisite, or one every Debian root has (priority
"required"). Playwright's own node driver is checked with ``ldd``, since it needs shared libraries no program
of ours names.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Calls whose first argument is a program (a name, or an argv list): subprocess and its wrappers here.
STARTERS = {
    "run",
    "Popen",
    "popen",
    "check_output",
    "check_call",
    "call",
    "create_subprocess_exec",
    "which",
    "_require",
}
# Our own helpers around subprocess (``_spawn``, ``host.run``, ``popen``…), when given an argv list.
WRAPPERS = re.compile(r"spawn|popen|run|exec|call", re.IGNORECASE)
OUR_CLI = {"main", "run_cli", "stb", "run_stb"}  # they take argv lists of `stb` itself
ARGV_NAMES = re.compile(r"(command|cmd)$", re.IGNORECASE)  # argv lists of our own CLI are not programs
# Code that only tests and benchmarks run: its programs may come from the test packages.
TEST_ONLY = ("tests/", "stb/bench/", "stb/reliability/", "stb/netns.py")


def _programs(node: ast.expr) -> list[str]:
    """The programs a call argument or an assigned argv names, when the source says it literally: a name, an argv
    list (after any ``*prefix``), or every value of a ``{…}[key]`` table of names."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        first = next((e for e in node.elts if not isinstance(e, ast.Starred)), None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [first.value]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Dict):
        return [v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def programs_started() -> dict[str, list[str]]:
    """program name → the places (file:line) that start it."""
    found: dict[str, list[str]] = {}
    for path in sorted([*ROOT.joinpath("stb").rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")]):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            programs: list[str] = []
            if isinstance(node, ast.Call) and node.args:
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                first = node.args[0]
                wrapper = isinstance(first, ast.List) and WRAPPERS.search(name or "") and name not in OUR_CLI
                if name in STARTERS or wrapper:
                    programs = _programs(first)
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.List)
                and any(isinstance(t, ast.Name) and ARGV_NAMES.search(t.id) for t in node.targets)
            ):
                programs = _programs(node.value)
            for program in programs:
                if "/" not in program and " " not in program:
                    found.setdefault(program, []).append(f"{where}:{node.lineno}")
    return found


@cache
def makefile_packages() -> tuple[set[str], set[str]]:
    """(product packages, test-only packages) as the Makefile lists them."""
    text = ROOT.joinpath("Makefile").read_text()

    def listed(variable: str) -> set[str]:
        match = re.search(rf"^{variable}\s*:=\s*(.*)$", text, re.MULTILINE)
        assert match, f"the Makefile no longer defines {variable}"
        return set(match.group(1).split())

    return listed("DEB_PACKAGES"), listed("DEB_TEST_PACKAGES")


@cache
def readme_prerequisites() -> set[str]:
    """The packages the README's "Prerequisites:" line asks a machine to have before `make`."""
    match = re.search(r"^Prerequisites:.*?`([^`]+)`", ROOT.joinpath("README.md").read_text(), re.MULTILINE)
    assert match, "the README has no 'Prerequisites:' line naming the packages in backticks"
    return set(match.group(1).split())


@cache
def package_of(path: str) -> str | None:
    """The Debian package that ships ``path`` (tried as given and resolved: /bin is /usr/bin on Debian 12)."""
    for candidate in dict.fromkeys([path, str(Path(path).resolve())]):
        for variant in dict.fromkeys([candidate, candidate.removeprefix("/usr")]):
            done = subprocess.run(["dpkg", "-S", variant], capture_output=True, text=True)
            if done.returncode == 0:
                return done.stdout.split(":", 1)[0].strip()
    return None


@cache
def required_priority(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Priority}", package], capture_output=True, text=True)
    return done.stdout.strip() == "required"


def test_the_scan_finds_the_programs_we_know_we_start():
    """The scan itself can fail: it must see programs known to be started, from both trees."""
    found = programs_started()
    for program in ("ffmpeg", "ffprobe", "ip", "chromium", "mpv", "cvlc"):
        assert program in found, f"the scan no longer sees {program}: {sorted(found)}"


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="not a Debian machine")
def test_every_program_started_comes_from_a_package_the_makefile_installs():
    product, test_only = makefile_packages()
    problems = []
    for program, places in sorted(programs_started().items()):
        path = shutil.which(program)
        if path is None:
            problems.append(f"{program} (started at {places[0]}) is not installed: add its package to the Makefile")
            continue
        if Path(path).resolve().is_relative_to(Path(sys.prefix).resolve()):
            continue  # installed into the venv by pip, from pyproject.toml
        package = package_of(path)
        if package is None:
            problems.append(f"{program} ({path}, started at {places[0]}) belongs to no Debian package")
            continue
        allowed = product | readme_prerequisites()
        if all(place.startswith(TEST_ONLY) for place in places):
            allowed = allowed | test_only
        if package not in allowed and not required_priority(package):
            problems.append(f"{program} (package {package}, started at {', '.join(places[:3])}) is not installed "
                            "by the Makefile")  # fmt: skip
    assert not problems, "\n".join(problems)


def _playwright_driver_node() -> Path | None:
    try:
        import playwright
    except ImportError:
        return None
    node = Path(playwright.__file__).parent / "driver" / "node"
    return node if node.exists() else None


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd")
def test_playwrights_driver_finds_its_shared_libraries():
    """Playwright drives chromium through its own node binary, which links libraries (libatomic) that no
    program of ours names."""
    node = _playwright_driver_node()
    assert node is not None, "playwright's driver is missing (pip install -e '.[dev]')"
    linked = subprocess.run(["ldd", str(node)], capture_output=True, text=True, check=True).stdout
    missing = [line.strip() for line in linked.splitlines() if "not found" in line]
    assert not missing, f"{node} cannot start: {missing} (add the package to the Makefile's DEB_TEST_PACKAGES)"
