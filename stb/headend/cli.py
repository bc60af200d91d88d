"""`stb headend`: the demo head-end on its own, and `stb headend generate` for its media."""

from __future__ import annotations

import argparse
import asyncio
import errno
import socket
import sys

from stb.cli import add_json_flag, emit
from stb.errors import StbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "headend",
        help="the demo head-end: live test channels, guide, playlist",
        description="Serve the demo channels live over HTTP (and optionally UDP multicast), "
        "with an XMLTV guide at /xmltv.xml and a playlist at /playlist.m3u.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8554, help="HTTP port (default: %(default)s)")
    p.add_argument("--multicast", metavar="GROUP:PORT", help="also send channel N to GROUP on PORT+N-1")
    p.add_argument("--interface", metavar="IFNAME", help="interface for --multicast (required with it)")
    p.set_defaults(handler=serve)
    actions = p.add_subparsers(dest="headend_command", metavar="ACTION")
    g = actions.add_parser("generate", help="generate the demo media into the cache (idempotent)")
    add_json_flag(g)
    g.set_defaults(handler=generate)


def generate(args: argparse.Namespace) -> int:
    from stb.headend.media import ensure_media

    report = ensure_media()
    data = {"directory": str(report.directory), "generated": report.generated, "seconds": round(report.seconds, 2)}

    def text(d: dict) -> str:
        if not d["generated"]:
            return f"demo media up to date in {d['directory']}"
        return f"generated {len(d['generated'])} files in {d['directory']} in {d['seconds']:.1f} s"

    emit(args, data, text)
    return 0


def serve(args: argparse.Namespace) -> int:
    if args.multicast and not args.interface:
        raise StbError("--multicast needs --interface: multicast goes only where you say")
    _check_port_free(args.host, args.port)
    asyncio.run(_serve(args))
    return 0


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
            raise StbError(f"{host}:{port} {reason}; pick another with --port") from None


async def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from stb.headend import media
    from stb.headend.server import Headend, create_app

    report = await asyncio.to_thread(media.ensure_media)
    headend = Headend(report.directory)
    app = create_app(headend)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    senders: list[asyncio.Task] = []

    async def after_start() -> None:
        while not server.started:
            await asyncio.sleep(0.05)
        base = f"http://{args.host}:{args.port}"
        print(f"stb headend: playlist {base}/playlist.m3u  guide {base}/xmltv.xml", file=sys.stderr, flush=True)
        if args.multicast:
            senders.extend(_start_multicast(headend, args.multicast, args.interface))

    waiter = asyncio.create_task(after_start())
    await server.serve()
    waiter.cancel()
    for task in senders:
        task.cancel()


def _start_multicast(headend, target: str, interface: str) -> list[asyncio.Task]:
    from stb.headend import catalog
    from stb.headend.multicast import multicast_socket, parse_target, send_channel

    group, base_port = parse_target(target)
    sock = multicast_socket(interface)
    tasks = []
    for channel in catalog.CHANNELS:
        port = base_port + channel.number - 1
        tasks.append(asyncio.create_task(send_channel(headend.live[channel.id], sock, group, port)))
    print(f"stb headend: multicast {group}:{base_port}+ on {interface}", file=sys.stderr, flush=True)
    return tasks
