"""`stb`: one command, with subcommands contributed by the packages that own them.

Each subcommand module exposes ``register(subparsers)`` and keeps its heavy imports (pygame, libVLC,
the HTTP stack) inside its handler, so `stb --help` is instant and import has no side effects.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from stb import __version__
from stb.errors import StbError

#: Modules that add subcommands, in the order `stb --help` lists them.
COMMAND_MODULES = (
    "stb.ui.cli",  # run
    "stb.headend.cli",  # headend
    "stb.lineup.cli",  # lineup check|import|export|schema
    "stb.guide.cli",  # guide import|now|search
    "stb.skin.cli",  # skin list|check|preview|schema
    "stb.companion.cli",  # discover
    "stb.companion.remote_cli",  # pair, remote
    "stb.companion.watch_cli",  # mirror, watch, fling
    "stb.companion.take_cli",  # take
    "stb.companion.recordings_cli",  # recordings list|play|delete|schedule
    "stb.lan.pairing_cli",  # pairing list|approve|deny
    "stb.bench.cli",  # bench guide|zap|soak|ui|discovery|relay|web|reliability
)


def emit(args: argparse.Namespace, data: Any, render_text: Callable[[Any], str]) -> None:
    """Print a listing or report: JSON with ``--json``, human text otherwise."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        text = render_text(data)
        if text:
            print(text)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stb", description="Set-top box for home multi-screen IPTV.")
    parser.add_argument("--version", action="version", version=f"stb {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import os

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # our output is ours: no pygame banner
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return int(args.handler(args) or 0)
    except StbError as exc:
        print(f"stb: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


def _setup_logging(verbose: bool) -> None:
    import logging

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
