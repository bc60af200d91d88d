"""The composition root: a box with its window, TV core and (optionally) its network side, wired together.

Nothing else imports both the views (``stb.ui``, ``stb.net``) and the core: the window knows the TV core,
the API knows a :class:`~stb.net.ports.BoxPort`, and this module is where the two meet. ``stb run`` and the
tests that need a box on the network build it here.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable
from typing import Any

from stb import __version__
from stb.errors import StbError
from stb.lan.console import PairingConsole
from stb.lan.identity import BoxIdentity
from stb.lan.peers import Peers
from stb.lineup.model import Lineup
from stb.net.announce import Announcer
from stb.net.api import NetContext
from stb.net.guide import NetGuide
from stb.net.server import NetworkSide
from stb.net.signed import StreamSigner
from stb.net.tvevents import tv_event_listener
from stb.relay.relay import Relay
from stb.settings import distinct_name
from stb.tv.relaysource import channel_source
from stb.tv.remote import TvRemote
from stb.ui.app import App

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class NetworkService:
    """Starts the network side after the box and stops it before; a port in use leaves the TV running."""

    def __init__(self, app: App, net: NetworkSide) -> None:
        self.app, self.net = app, net

    def start(self) -> None:
        current = self.app.box.current
        self.net.initial_channel = current.name if current else None
        self.net.initial_channel_id = current.id if current else None
        try:
            self.net.start()
        except StbError as exc:  # the TV matters more than the API: keep playing, say why
            log.warning("%s", exc)
            self.app.box.notify(f"Not reachable from the network: {exc}")
            self.app.net = None
            return
        if self.net.announce_error:
            self.app.box.notify(f"Other screens cannot find this box: {self.net.announce_error}")

    def stop(self) -> None:
        self.net.stop()


def build_app(
    lineup: Lineup,
    *,
    api_port: int | None = None,
    api_host: str = "127.0.0.1",
    interfaces: list[str] | None = None,
    **window: Any,
) -> App:
    """The box: ``App(lineup, **window)``, and with ``api_port`` its HTTP API, relay, announcement and peers."""
    app = App(lineup, **window)
    if api_port is not None:
        attach_network(app, api_port, api_host, interfaces)
        # Pairing without the TV: `stb pairing` on this machine (`stb run --headless` also prints each code).
        app.services.append(PairingConsole(app.auth, app.box.store.path.parent))
    return app


def attach_network(app: App, port: int, host: str, interfaces: list[str] | None) -> NetworkSide:
    box, tv = app.box, app.tv
    settings = box.settings
    if not settings.box_id:  # the box's first start on a network: its id, and a default name of its own
        settings.box_id = secrets.token_hex(8)
        settings.box_name = distinct_name(settings.box_name, settings.box_id)
        box.settings_changed()
    net_guide = NetGuide(app.guide_db, lineup=box.lineup)
    relay = Relay(lambda channel_id: channel_source(tv.snapshot, channel_id), max_upstreams=settings.relay_channels)
    remote = TvRemote(tv, app.act)
    context = NetContext(
        box_info=remote.api_box_info, commands=tv.commands, auth=app.auth, box=remote, guide=net_guide.get,
        open_on_lan=lambda: tv.snapshot.open_on_lan, relay=relay, lineup=lambda: tv.snapshot.lineup,
        theme=lambda: app.theme, signer=StreamSigner(box.store.path.parent),
    )  # fmt: skip
    identity = BoxIdentity.load_or_create(box.store.path.parent, settings.box_id)
    context.fingerprint = app.auth.fingerprint = identity.fingerprint
    app.screen.relay_summary = lambda: dataclasses.astuple(relay.summary)
    on_lan = host not in LOOPBACK
    if on_lan:  # the box looks for the others where it announces itself
        app.peers = Peers(lambda: tv.snapshot.box_id, tv.commands, box.store.path.parent, interfaces)
        peers = app.peers
        tv.peer_boxes = lambda: peers.boxes
    announce = _announcer(app, interfaces) if on_lan else None
    net = NetworkSide(context, host, port, announce, app.peers, identity)
    app.net = net
    app.services.append(NetworkService(app, net))
    tv.subscribe(tv_event_listener(net, on_guide=net_guide.invalidate))
    tv.on_follow = net.follow
    tv.publish_snapshot()
    return net


def _announcer(app: App, interfaces: list[str] | None) -> Callable[[int], Announcer]:
    settings = app.box.settings

    def make(port: int) -> Announcer:
        return Announcer(name=settings.box_name, box_id=settings.box_id, port=port, model="stb",
                         version=__version__, pairing_required=not settings.open_on_lan, interfaces=interfaces,
                         show_channel=settings.show_channel_on_lan)  # fmt: skip

    return make
