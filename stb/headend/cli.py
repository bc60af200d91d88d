"""`stb headend`: the demo head-end on its own, and `stb headend generate` for its media."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stb.cli import add_json_flag, emit
from stb.errors import StbError

#: Kernel send buffer of every connection (inherited from the listening socket). A fixed size turns
#: off autotuning, which on loopback grows to 4 MB: ~35 s of stream queued for a client that stopped
#: reading before the fan-out's own backlog even starts to fill. This is ~2 s at demo bit rates.
SEND_BUFFER = 128 * 1024
GRACEFUL_SHUTDOWN_S = 2  # live responses never end by themselves: cut them after this on shutdown


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "headend",
        help="the demo head-end: live test channels, guide, playlist",
        description="Serve the demo channels live over HTTP (and optionally UDP multicast), "
        "with an XMLTV guide at /xmltv.xml and a playlist at /playlist.m3u. "
        "With --multicast GROUP:PORT, channel N goes to GROUP on port PORT+N-1 (plain UDP, "
        "7 TS packets per datagram, TTL 1), out of --interface only.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8554, help="HTTP port (default: %(default)s)")
    p.add_argument("--multicast", metavar="GROUP:PORT", help="also send channel N to GROUP on PORT+N-1")
    p.add_argument("--interface", metavar="IFNAME", help="the only interface --multicast sends on (required)")
    p.add_argument("--media-dir", type=Path, help="where the generated media lives (default: the cache)")
    p.set_defaults(handler=serve)
    actions = p.add_subparsers(dest="headend_command", metavar="ACTION")
    g = actions.add_parser(
        "generate",
        help="generate the demo media into the cache (idempotent)",
        description="Generate each channel's loop clip and logo with ffmpeg; does nothing when up to date.",
    )
    g.add_argument("--media-dir", type=Path, default=argparse.SUPPRESS, help="where to put it")
    add_json_flag(g)
    g.set_defaults(handler=generate)


def generate(args: argparse.Namespace) -> int:
    from stb.headend.media import ensure_media

    report = ensure_media(args.media_dir)
    data = {
        "directory": str(report.directory),
        "up_to_date": not report.generated,
        "generated": report.generated,
        "seconds": round(report.seconds, 2),
    }

    def text(d: dict) -> str:
        if d["up_to_date"]:
            return f"demo media up to date in {d['directory']} ({d['seconds']:.1f} s to check)"
        return f"generated {len(d['generated'])} files in {d['directory']} in {d['seconds']:.1f} s"

    emit(args, data, text)
    return 0


def serve(args: argparse.Namespace) -> int:
    import asyncio

    from stb.headend.server import MulticastTarget

    if not 1 <= args.port <= 65535:
        raise StbError(f"--port {args.port} is not a TCP port (1..65535)")
    multicast = None
    if args.interface and not args.multicast:
        raise StbError("--interface only makes sense with --multicast GROUP:PORT")
    if args.multicast:
        if not args.interface:
            raise StbError("--multicast needs --interface: multicast goes only where you say")
        from stb.headend.multicast import multicast_socket, parse_target

        group, base_port = parse_target(args.multicast)
        multicast_socket(args.interface).close()  # fail now, in one line, not after start-up
        multicast = MulticastTarget(group, base_port, args.interface)
    sock = _listen(args.host, args.port)
    try:
        asyncio.run(_serve(args, sock, multicast))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a head-end run by hand ends: not an error
    finally:
        sock.close()
    return 0


def _listen(host: str, port: int):
    """Bind the listening socket ourselves: a port in use is a one-line error, and no race with uvicorn."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StbError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StbError(f"{host}:{port} is in use; pick another port with --port") from None
        raise StbError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(False)
    return sock


async def _serve(args: argparse.Namespace, sock, multicast) -> None:
    import asyncio

    import uvicorn

    from stb.headend import media
    from stb.headend.catalog import base_url
    from stb.headend.server import Headend, create_app

    report = await asyncio.to_thread(media.ensure_media, args.media_dir)
    if report.generated:
        print(f"stb headend: generated the demo media in {report.seconds:.1f} s", file=sys.stderr, flush=True)
    headend = Headend(report.directory, multicast)
    config = uvicorn.Config(
        create_app(headend),
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    server = uvicorn.Server(config)

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.05)
        base = base_url(args.host, args.port)
        extra = ""
        if multicast is not None:
            extra = f"  multicast {multicast.group}:{multicast.base_port}+N-1 on {multicast.interface}"
        print(f"stb headend: playlist {base}/playlist.m3u  guide {base}/xmltv.xml{extra}", flush=True)

    announcer = asyncio.create_task(announce())
    try:
        await server.serve(sockets=[sock])
    finally:
        announcer.cancel()
    if not server.started:
        raise StbError("the demo head-end failed to start (see the error above)")
