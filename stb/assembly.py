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
from concurrent.futures import Future
from pathlib import Path
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
from stb.net.lantuner import LanTuner
from stb.net.server import NetworkSide
from stb.net.signed import StreamSigner
from stb.net.tvevents import tv_event_listener
from stb.player.recovery import direct_urls
from stb.pvr.service import Padding, Pvr
from stb.relay.feed import ChannelSource
from stb.relay.local import LocalRelay
from stb.relay.relay import Relay
from stb.settings import distinct_name
from stb.tv.cache import CacheBudget, KeyframeCache
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
    keyframe_cache: bool | None = None,
    network_tuner: bool = False,
    **window: Any,
) -> App:
    """The box: ``App(lineup, **window)``, and with ``api_port`` its HTTP API, relay, announcement and peers.

    ``keyframe_cache``: read likely channels ahead for instant zaps (None: as the box's settings say).
    ``network_tuner``: turn "Offer this box as a network tuner" on (``stb run --network-tuner``), kept on.
    """
    app = App(lineup, **window)
    if network_tuner and not app.box.settings.network_tuner:
        app.box.settings.network_tuner = True
        app.box.settings_changed()
    if keyframe_cache if keyframe_cache is not None else app.box.settings.keyframe_cache:
        attach_cache(app)
    if api_port is not None:
        attach_network(app, api_port, api_host, interfaces)
        # Pairing without the TV: `stb pairing` on this machine (`stb run --headless` also prints each code).
        app.services.append(PairingConsole(app.auth, app.box.store.path.parent))
    return app


class CacheService:
    """Starts the TV's keyframe cache after the box; one that cannot start leaves zaps as they were."""

    def __init__(self, app: App, local: LocalRelay, cache: KeyframeCache) -> None:
        self.app, self.local, self.cache = app, local, cache

    def start(self) -> None:
        try:
            self.local.start()
        except StbError as exc:
            log.warning("%s", exc)
            self.app.box.notify("Zaps are not instant: the keyframe cache could not start")
            return
        self.app.zapper.set_routes(self.local.route)
        self.app.tv.cache = self.cache
        self.app.screen.cache_summary = self.cache.describe
        self.cache.refresh()

    def stop(self) -> None:
        self.app.tv.cache = None
        self.app.zapper.set_routes(direct_urls)
        self.local.stop()


def attach_cache(app: App, budget: CacheBudget | None = None) -> CacheService:
    """The keyframe cache (:mod:`stb.tv.cache`): likely channels read ahead, served to the players on loopback."""
    tv, zapper = app.tv, app.zapper

    def source(channel_id: str) -> ChannelSource | None:  # the TV applies the parental lock itself
        channel = tv.snapshot.lineup.by_id(channel_id)
        return ChannelSource(channel.id, channel.name, tuple(channel.urls), dict(channel.headers)) if channel else None

    def held() -> set[str]:
        return {p.channel.id for p in zapper.players if p.channel is not None}

    settings = app.box.settings
    budget = budget or CacheBudget(channels=settings.cache_channels, bits_per_s=settings.cache_mbit_s * 1e6)
    local = LocalRelay(source, max_clients=1 + len(zapper.players) + budget.channels)
    service = CacheService(app, local, KeyframeCache(local, app.box, held, budget))
    app.services.append(service)
    return service


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
        open_on_lan=lambda: tv.snapshot.open_on_lan, network_tuner=lambda: tv.snapshot.network_tuner,
        favourites=lambda: tv.snapshot.favourites, relay=relay, lineup=lambda: tv.snapshot.lineup,
        theme=lambda: app.theme, signer=StreamSigner(box.store.path.parent),
    )  # fmt: skip
    identity = BoxIdentity.load_or_create(box.store.path.parent, settings.box_id)
    context.fingerprint = app.auth.fingerprint = identity.fingerprint
    app.screen.relay_summary = lambda: dataclasses.astuple(relay.summary)
    context.pvr = _recorder(app, relay, context)
    on_lan = host not in LOOPBACK
    if on_lan:  # the box looks for the others where it announces itself
        app.peers = Peers(lambda: tv.snapshot.box_id, tv.commands, box.store.path.parent, interfaces)
        peers = app.peers
        tv.peer_boxes = lambda: peers.boxes
    announce = _announcer(app, interfaces) if on_lan else None
    lan_tuner = (lambda side: LanTuner(context, interfaces, lambda: side.bound_port)) if on_lan else None
    net = NetworkSide(context, host, port, announce, app.peers, identity, lan_tuner)
    app.net = net
    app.services.append(NetworkService(app, net))
    pvr = context.pvr

    def guide_refreshed() -> None:
        net_guide.invalidate()
        if pvr.loop is not None:  # timers follow moved programmes; series rules look for new episodes
            pvr.submit(pvr.guide_changed).add_done_callback(_log_failure)

    tv.subscribe(tv_event_listener(net, on_guide=guide_refreshed))
    tv.on_follow = net.follow
    tv.publish_snapshot()
    return net


def _log_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("the recorder did not follow the guide refresh: %s", done.exception())


def _recorder(app: App, relay: Relay, context: NetContext) -> Pvr:
    """The box's recorder: it reads channels through the API's relay, on its loop (started by the network side)."""
    settings, state = app.box.settings, app.box.store.path.parent

    def channel_name(channel_id: str) -> str | None:
        channel = app.tv.snapshot.lineup.by_id(channel_id)
        return channel.name if channel is not None else None

    return Pvr(
        state_dir=state,
        recordings_dir=Path(settings.recordings_dir) if settings.recordings_dir else state / "recordings",
        reader=relay,
        guide=context.guide_thread.ask,
        channel_name=channel_name,
        max_channels=lambda: min(settings.recording_channels, settings.relay_channels),
        padding=lambda: Padding(settings.record_pad_before_min * 60, settings.record_pad_after_min * 60),
        events=context.hub.publish,
    )


def _announcer(app: App, interfaces: list[str] | None) -> Callable[[int], Announcer]:
    settings = app.box.settings

    def make(port: int) -> Announcer:
        return Announcer(name=settings.box_name, box_id=settings.box_id, port=port, model="stb",
                         version=__version__, pairing_required=not settings.open_on_lan, interfaces=interfaces,
                         show_channel=settings.show_channel_on_lan)  # fmt: skip

    return make
