"""mDNS actors for the netns tests: run inside a namespace host, talk JSON lines on stdout.

    python tests/net/mdns_hosts.py box NAME ID PORT [--channel C]   # Announcer on eth0; stdin commands:
        ch TEXT | burst N PREFIX SECONDS | readdress | rename NAME | stop
    python tests/net/mdns_hosts.py app STATE_DIR                     # a real App serving on eth0; stdin:
        key ACTION… (pressed on the TV, e.g. "key menu right") | stop
    python tests/net/mdns_hosts.py tv STATE_DIR LINEUP.json          # a real App on eth0:8600 playing LINEUP;
        stdin: press KEY… (pygame key names, real KEYDOWNs) | zap N | peek | stop
    python tests/net/mdns_hosts.py watch                             # browser on eth0: added/updated/removed
    python tests/net/mdns_hosts.py discover SECONDS                  # async_discover on eth0: found…, done
    python tests/net/mdns_hosts.py cli ARGS…                         # the `stb discover` handler

Each line printed is one JSON object with an ``event`` and ``t`` (wall clock, shared by every namespace).
The test side uses ``Actor`` to start one and wait for events with time-outs. These scripts are only
ever started through ``tests.netns.Host.popen``: they multicast.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve()


def say(event: str, **fields) -> None:
    print(json.dumps({"event": event, "t": time.time(), **fields}), flush=True)


# -- inside the namespace ----------------------------------------------------------------------------


async def run_box(name: str, box_id: str, port: int, channel: str | None) -> None:
    from stb.net.announce import Announcer

    announcer = Announcer(name=name, box_id=box_id, port=port, model="TestBox 1", version="0.1.0", interfaces=["eth0"])
    await announcer.async_update_channel(channel)
    await announcer.async_start()
    say("registered", instance=announcer.instance_name)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        command, _, rest = line.strip().partition(" ")
        if command == "ch":
            await announcer.async_update_channel(rest or None)
            say("ch", channel=rest)
        elif command == "burst":
            count, prefix, seconds = rest.split(" ")
            for i in range(int(count)):
                await announcer.async_update_channel(f"{prefix} {i}")
                await asyncio.sleep(float(seconds) / int(count))
            say("burst", last=f"{prefix} {int(count) - 1}")
        elif command == "readdress":
            say("readdress", changed=await announcer.async_readdress())
        elif command == "rename":
            await announcer.async_rename(rest)
            say("renamed", instance=announcer.instance_name)
        elif command in ("stop", ""):  # "" is EOF
            await announcer.async_stop()
            say("stopped")
            return


async def run_watch() -> None:
    from zeroconf import ServiceStateChange
    from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

    from stb.net.announce import STB_TYPE, lan_addresses

    addresses = lan_addresses(["eth0"])
    aiozc = AsyncZeroconf(interfaces=list(addresses.bind), ip_version=addresses.ip_version)

    def report(event: str, name: str, info: AsyncServiceInfo | None) -> None:
        props = info.decoded_properties if info is not None else {}
        addresses = info.parsed_addresses() if info is not None else []
        say(event, name=name, ch=props.get("ch"), txt=props, addresses=addresses)

    async def resolve(name: str) -> None:
        info = AsyncServiceInfo(STB_TYPE, name)
        report("added", name, info if await info.async_request(aiozc.zeroconf, 3000) else None)

    resolving: set[asyncio.Future] = set()

    def changed(zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Added:
            task = asyncio.ensure_future(resolve(name))
            resolving.add(task)
            task.add_done_callback(resolving.discard)
        elif state_change is ServiceStateChange.Updated:
            info = AsyncServiceInfo(STB_TYPE, name)
            report("updated", name, info if info.load_from_cache(zeroconf) else None)
        else:
            report("removed", name, None)

    browser = AsyncServiceBrowser(aiozc.zeroconf, STB_TYPE, handlers=[changed])
    say("watching")
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # until told or EOF
    await browser.async_cancel()
    await aiozc.async_close()


async def run_discover(seconds: float) -> None:
    from dataclasses import asdict

    from stb.lan.discovery import async_discover

    boxes = await async_discover(seconds, ["eth0"], on_found=lambda box: say("found", box=asdict(box)))
    say("done", boxes=[asdict(box) for box in boxes])


def run_cli(argv: list[str]) -> int:
    import argparse

    from stb.companion.cli import register
    from stb.errors import StbError

    parser = argparse.ArgumentParser(prog="stb")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except StbError as exc:
        print(f"stb: {exc}", file=sys.stderr)
        return exc.exit_code


def run_app(state_dir: str) -> None:
    """The whole box (pygame, libVLC, API, announcer) on eth0; keys from stdin are pressed on its TV."""
    from stb.assembly import build_app
    from stb.config import StateStore
    from stb.lineup.model import Channel, Lineup

    lineup = Lineup(name="t", channels=[Channel(number=1, id="c1", name="Channel 1", urls=["http://127.0.0.1:9/1.ts"])])
    store = StateStore(Path(state_dir))
    app = build_app(lineup, headless=True, store=store, guide_db=Path(state_dir) / "g.db", pretune=0, api_port=0,
              api_host="0.0.0.0", interfaces=["eth0"])  # fmt: skip
    app.start()
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line)
        lines.put("")  # EOF: stop

    threading.Thread(target=read, daemon=True).start()
    announced = None
    try:
        while True:
            app.step()
            instance = app.net.announcer.instance_name if app.net and app.net.announcer else None
            if instance != announced:
                announced = instance
                say("announced", instance=instance, name=app.box.settings.box_name)
            try:
                command, *args = lines.get(timeout=1 / 30).split()
            except queue.Empty:
                continue
            except ValueError:  # an empty line, or EOF
                command, args = "stop", []
            if command == "key":
                for action in args:
                    app.act(action)
                say("pressed", keys=args, name=app.box.settings.box_name)
            elif command == "stop":
                return
    finally:
        app.close()
        say("stopped")


def relay_live(app) -> str | None:
    """The channel the box's own /stream/live shows (None: nothing)."""
    relay = app.net.ctx.relay if app.net is not None else None
    return relay.live.id if relay is not None and relay.live is not None else None


def run_tv(state_dir: str, lineup_file: str) -> None:
    """A whole box that plays: keys pressed as on its remote, and ``peek`` says what it shows and lists."""
    import pygame

    from stb.assembly import build_app
    from stb.bench.zap import channel_on_screen
    from stb.config import StateStore
    from stb.lineup.load import load_lineup
    from tests.ui.keys import press

    app = build_app(load_lineup(Path(lineup_file)), headless=True, store=StateStore(Path(state_dir)),
              guide_db=Path(state_dir) / "g.db", pretune=0, api_port=8600, api_host="0.0.0.0",
              interfaces=["eth0"])  # fmt: skip
    app.start()
    say("ready")
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            app.step()
            try:
                command, *args = lines.get(timeout=1 / 30).split()
            except queue.Empty:
                continue
            except ValueError:
                command, args = "stop", []
            if command == "press":
                for name in args:
                    press(app, pygame.key.key_code(name))
                say("pressed", keys=args)
            elif command == "zap":
                app.box.zap_number(int(args[0]))
                say("zapped", number=int(args[0]))
            elif command == "peek":
                top = app.top
                pending = app.auth.code_to_show()
                say("peek", channel=app.box.current.id if app.box.current else None,
                    marker=channel_on_screen(app.player), state=app.player.state.value,
                    mirroring=app.mirroring.name if app.mirroring else None,
                    boxes=[[b.name, b.box_id, b.channel] for b in (app.peers.boxes if app.peers else ())],
                    screen=getattr(top, "state", top.context), message=getattr(top, "message", ""),
                    code=pending.code if pending else None,
                    relay_live=relay_live(app), recording=playing.meta.id if (playing := app.tv.recordings.playing)
                    else None, position=app.player.position())  # fmt: skip
            elif command == "stop":
                return
    finally:
        app.close()
        say("stopped")


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    if mode == "box":
        channel = rest[rest.index("--channel") + 1] if "--channel" in rest else None
        asyncio.run(run_box(rest[0], rest[1], int(rest[2]), channel))
    elif mode == "watch":
        asyncio.run(run_watch())
    elif mode == "app":
        run_app(rest[0])
    elif mode == "tv":
        run_tv(rest[0], rest[1])
    elif mode == "discover":
        asyncio.run(run_discover(float(rest[0])))
    elif mode == "cli":
        return run_cli(rest)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


# -- on the test side --------------------------------------------------------------------------------


class Actor:
    """One of the scripts above running in a namespace host, with its events read in the background."""

    def __init__(self, host, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = host.popen(
            [sys.executable, str(SCRIPT), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.events: list[dict] = []
        self.lines: list[str] = []
        self._queue: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self._queue.put(event)
        self._queue.put(None)

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def expect(self, timeout: float, what: str, match=lambda event: True, **fields) -> dict:
        """The next event called ``what`` with these fields (and ``match``); fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if event is None:
                break
            self.events.append(event)
            if event["event"] == what and all(event.get(k) == v for k, v in fields.items()) and match(event):
                return event
        raise AssertionError(f"no {what!r} event with {fields} within {timeout} s; {self.describe()}")

    def describe(self) -> str:
        stderr = ""
        if self.process.poll() is not None and self.process.stderr is not None:
            stderr = self.process.stderr.read()[-2000:]
        return f"saw {[e['event'] for e in self.events]}; output {''.join(self.lines)[-1500:]!r}; stderr {stderr!r}"

    def finish(self, timeout: float = 10.0) -> tuple[int, str]:
        """Close stdin (the scripts stop on EOF) and wait: (exit code, stderr)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        return code, self.process.stderr.read() if self.process.stderr is not None else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
