"""The mDNS side of ``stb bench discovery``: processes that run inside a namespace host, never elsewhere.

    python -m stb.bench.mdns_actors boxes            # Announcers on eth0
    python -m stb.bench.mdns_actors browser product  # stb's discovery (stb.lan.discovery)
    python -m stb.bench.mdns_actors browser bare     # the library floor: AsyncServiceBrowser + async_request
    python -m stb.bench.mdns_actors listen ADDRESS   # notes every mDNS query on the LAN (sends nothing)

Commands come as JSON lines on stdin, events go out as JSON lines on stdout; every time is
``time.monotonic()``, which is one clock for every namespace on the machine. End of stdin (the
benchmark went away, however it ended) stops everything and exits, so nothing is left running.

- boxes: ``{"cmd": "start", "id", "name", "port", "channel"}`` → ``registered`` with ``t_call`` (just
  before ``async_start``), ``t_probed`` (probing done, first announcement going out) and ``t_done``
  (``async_start`` returned, after the repeated announcements); ``{"cmd": "stop", "id"}`` → ``stopped``.
- browser: ``{"cmd": "watch"}`` browses until ``{"cmd": "unwatch"}``, saying ``seen`` (id, t) once per box
  resolved with its TXT; ``{"cmd": "browse", "round", "expect": [ids], "timeout"}`` starts a fresh
  browser (new sockets, empty cache) and says ``browsed`` with ``t0`` and each id's time, stopping as
  soon as every expected id is seen.
- listen: says ``query`` (src, t) for every mDNS query it hears; takes no commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable

from stb import __version__

INTERFACE = "eth0"
_WATCH_LIMIT_S = 3600.0  # a watch ends with "unwatch" or end of input; this only bounds a forgotten one
_RESOLVE_MS = 1500  # as stb.lan.discovery


def say(event: str, **fields) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


async def _commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _serve(handle: Callable[[dict], Awaitable[None]]) -> None:
    """Run ``handle`` for each command line until end of input; a failed command is reported, not fatal."""
    reader = await _commands()
    tasks: set[asyncio.Task] = set()

    async def guarded(command: dict) -> None:
        try:
            await handle(command)
        except Exception as exc:
            say("error", cmd=command.get("cmd"), id=command.get("id"), message=f"{type(exc).__name__}: {exc}")

    while line := await reader.readline():
        task = asyncio.ensure_future(guarded(json.loads(line)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for task in list(tasks):
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- boxes ------------------------------------------------------------------------------------------


async def run_boxes() -> None:
    from stb.net.announce import STB_TYPE, Announcer, LanAddresses

    class TimedAnnouncer(Announcer):
        """The real Announcer, noting when probing ended (the first announcement is sent right after)."""

        probed_at: float | None = None

        def _new_zeroconf(self, addresses: LanAddresses):  # type: ignore[override]
            aiozc = Announcer._new_zeroconf(addresses)
            register = aiozc.async_register_service

            async def timed(info, *args, **kwargs):
                announcing = await register(info, *args, **kwargs)
                if info.type == STB_TYPE:
                    self.probed_at = time.monotonic()
                return announcing

            aiozc.async_register_service = timed  # type: ignore[method-assign]
            return aiozc

    announcers: dict[str, TimedAnnouncer] = {}

    async def handle(command: dict) -> None:
        if command["cmd"] == "start":
            announcer = TimedAnnouncer(
                name=command["name"], box_id=command["id"], port=command["port"], model="BenchBox",
                version=__version__, interfaces=[INTERFACE],
            )  # fmt: skip
            announcers[command["id"]] = announcer
            await announcer.async_update_channel(command.get("channel"))
            t_call = time.monotonic()
            await announcer.async_start()
            say("registered", id=command["id"], instance=announcer.instance_name, t_call=t_call,
                t_probed=announcer.probed_at, t_done=time.monotonic())  # fmt: skip
        elif command["cmd"] == "stop":
            await announcers.pop(command["id"]).async_stop()
            say("stopped", id=command["id"])

    say("ready")
    try:
        await _serve(handle)
    finally:
        await asyncio.gather(*(a.async_stop() for a in announcers.values()), return_exceptions=True)


# -- listener ---------------------------------------------------------------------------------------


async def run_listener(address: str) -> None:
    """Note each mDNS query seen on the LAN (source address and time); it never sends anything.

    It lets the benchmark count from a browser's first query, leaving out the random 20–120 ms a
    browser waits before it (RFC 6762 §5.2) so the cost of each discovery layer shows.
    """
    import socket
    import struct

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("224.0.0.251", 5353))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("224.0.0.251"),
                    socket.inet_aton(address)))  # fmt: skip
    sock.setblocking(False)
    loop = asyncio.get_running_loop()

    def readable() -> None:
        while True:
            try:
                data, (source, _port) = sock.recvfrom(9000)
            except BlockingIOError:
                return
            if len(data) >= 12 and not data[2] & 0x80:  # the QR bit clear: a query
                say("query", src=source, t=time.monotonic())

    loop.add_reader(sock.fileno(), readable)

    async def handle(command: dict) -> None:
        pass

    say("ready")
    try:
        await _serve(handle)
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()


# -- browsers ---------------------------------------------------------------------------------------


async def browse_product(on_seen: Callable[[str], None], stop: asyncio.Event) -> None:
    """stb's own discovery: ``async_discover`` on eth0, stopped early by cancelling it."""
    from stb.lan.discovery import async_discover

    task = asyncio.ensure_future(async_discover(_WATCH_LIMIT_S, [INTERFACE], on_found=lambda box: on_seen(box.box_id)))
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def browse_bare(on_seen: Callable[[str], None], stop: asyncio.Event, bind: list[str], version) -> None:
    """The library floor: python-zeroconf's browser, each new name resolved once; no parsing, no bookkeeping."""
    from zeroconf import ServiceStateChange
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    from stb.net.announce import STB_TYPE

    aiozc = AsyncZeroconf(interfaces=bind, ip_version=version)
    resolving: set[asyncio.Task] = set()

    async def resolve(name: str) -> None:
        info = AsyncServiceInfo(STB_TYPE, name)
        if await info.async_request(aiozc.zeroconf, _RESOLVE_MS) and info.properties.get(b"id"):
            on_seen(info.properties[b"id"].decode())

    def changed(zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Added:
            task = asyncio.ensure_future(resolve(name))
            resolving.add(task)
            task.add_done_callback(resolving.discard)

    browser = AsyncServiceBrowser(aiozc.zeroconf, STB_TYPE, handlers=[changed])
    try:
        await stop.wait()
    finally:
        await browser.async_cancel()
        for task in list(resolving):
            task.cancel()
        await asyncio.gather(*resolving, return_exceptions=True)
        await aiozc.async_close()


def _report_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        say("error", cmd="watch", id=None, message=f"{type(exc).__name__}: {exc}")


async def run_browser(kind: str) -> None:
    from stb.net.announce import lan_addresses

    if kind not in ("product", "bare"):
        raise SystemExit(f"unknown browser {kind!r}")
    addresses = lan_addresses([INTERFACE])  # the bare browser's binding, worked out before any clock starts
    watch: tuple[asyncio.Event, asyncio.Task] | None = None

    def start(on_seen: Callable[[str], None], stop: asyncio.Event) -> asyncio.Task:
        if kind == "product":
            return asyncio.ensure_future(browse_product(on_seen, stop))
        return asyncio.ensure_future(browse_bare(on_seen, stop, list(addresses.bind), addresses.ip_version))

    async def handle(command: dict) -> None:
        nonlocal watch
        if command["cmd"] == "watch" and watch is None:
            seen: set[str] = set()

            def on_seen(box_id: str) -> None:
                if box_id not in seen:
                    seen.add(box_id)
                    say("seen", id=box_id, t=time.monotonic())

            stop = asyncio.Event()
            watch = (stop, start(on_seen, stop))
            watch[1].add_done_callback(_report_failure)
            say("watching")
        elif command["cmd"] == "unwatch" and watch is not None:
            stop, task = watch
            watch = None
            stop.set()
            await task
            say("unwatched")
        elif command["cmd"] == "browse":
            expect = set(command["expect"])
            found: dict[str, float] = {}
            stop = asyncio.Event()

            def on_found(box_id: str) -> None:
                if box_id in expect and box_id not in found:
                    found[box_id] = time.monotonic()
                    if len(found) == len(expect):
                        stop.set()

            t0 = time.monotonic()
            task = start(on_found, stop)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), command["timeout"])
            stop.set()
            await task
            say("browsed", round=command["round"], t0=t0, seen=found, missing=sorted(expect - set(found)))

    say("ready")
    try:
        await _serve(handle)
    finally:
        if watch is not None:
            watch[0].set()
            await asyncio.gather(watch[1], return_exceptions=True)


LAUNCHER_NETNS = "STB_BENCH_LAUNCHER_NETNS"  # the launcher's network namespace: never the one to run in


def netns_id() -> int:
    """This process's network namespace (the inode of /proc/self/ns/net)."""
    return os.stat("/proc/self/ns/net").st_ino


def in_own_namespace() -> bool:
    """True when the launcher said where it runs and this process runs somewhere else.

    (PID 1's namespace cannot be read in every container, so the launcher's stands in for it.)
    """
    try:
        return netns_id() != int(os.environ[LAUNCHER_NETNS])
    except (KeyError, ValueError, OSError):
        return False  # cannot tell: assume the worst


def main(argv: list[str]) -> int:
    if not in_own_namespace():
        print("stb.bench.mdns_actors multicasts: it only runs inside a namespace host (stb.netns)", file=sys.stderr)
        return 2
    if argv[:1] == ["boxes"]:
        asyncio.run(run_boxes())
    elif argv[:1] == ["browser"] and len(argv) == 2:
        asyncio.run(run_browser(argv[1]))
    elif argv[:1] == ["listen"] and len(argv) == 2:
        asyncio.run(run_listener(argv[1]))
    else:
        print("usage: python -m stb.bench.mdns_actors boxes | browser product|bare | listen ADDRESS", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
