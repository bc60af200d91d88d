"""`stb pairing list|approve|deny`: the pending pairing requests of the box on this machine.

The box is the one whose state directory is ``STB_STATE_DIR`` (or the default); the command talks to it
over its Unix socket (:mod:`stb.lan.console`), never over the network.
"""

from __future__ import annotations

import argparse

from stb.cli import add_json_flag, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pairing", help="the box's pending pairing requests (on the box's own machine)",
                       description="Pair devices with a box that has no screen: list the requests with their "
                       "codes, approve one (the device pairs without typing the code) or refuse it. Talks to "
                       "the box whose state directory is STB_STATE_DIR.")  # fmt: skip
    actions = p.add_subparsers(dest="pairing_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the requests: id, device name, address, code, seconds left")
    add_json_flag(listing)
    listing.set_defaults(handler=list_requests)
    for name, help_text in (("approve", "let this device pair (as if its person typed the code)"),
                            ("deny", "refuse this device (as Back on the TV)")):  # fmt: skip
        act = actions.add_parser(name, help=help_text)
        act.add_argument("id", help="the request's id, from `stb pairing list`")
        add_json_flag(act)
        act.set_defaults(handler=decide, decision=name)


def list_requests(args: argparse.Namespace) -> int:
    from stb.config import state_dir
    from stb.lan.console import ask

    rows = ask(state_dir(), {"op": "list"})["requests"]
    emit(args, rows, _render)
    return 0


def decide(args: argparse.Namespace) -> int:
    from stb.config import state_dir
    from stb.lan.console import ask

    done = ask(state_dir(), {"op": args.decision, "id": args.id})["request"]
    verb = "approved: it pairs on its next try" if args.decision == "approve" else "refused"
    emit(args, done, lambda d: f"“{d['name']}” ({d['address']}) {verb}")
    return 0


def _render(rows: list[dict]) -> str:
    if not rows:
        return "no device is asking to pair"
    lines = []
    for r in rows:
        code = f"{r['code'][:3]} {r['code'][3:]}" if r["code"] else "(waiting its turn)"
        mark = "  approved" if r["approved"] else ""
        lines.append(f"{r['id']}  “{r['name']}”  from {r['address']}  code {code}  {r['seconds_left']} s left{mark}")
    return "\n".join(lines)
