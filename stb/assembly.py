"""The composition root: a box with its window, TV core and (optionally) its network side, wired together.

Nothing else imports both the views (``stb.ui``, ``stb.net``) and the core: the window knows the TV core,
the API knows a :class:`~stb.net.ports.BoxPort`, and this module is where the two meet. ``stb run`` and the
tests that need a box on the network build it here.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from stb import __version__
from stb.box import Event as BoxEvent
from stb.box import SettingsChanged
from stb.config import cache_dir
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
from stb.relay.local import LocalRelay, relayable
from stb.relay.relay import Relay
from stb.settings import distinct_name
from stb.timeshift.buffer import Limits
from stb.tv.cache import CacheBudget, KeyframeCache
from stb.tv.relaysource import channel_source, recording_hidden
from stb.tv.remote import TvRemote
from stb.tv.timeshift import Timeshift
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
    timeshift: bool | None = None,
    network_tuner: bool = False,
    **window: Any,
) -> App:
    """The box: ``App(lineup, **window)``, and with ``api_port`` its HTTP API, relay, announcement and peers.

    ``keyframe_cache``: read likely channels ahead for instant zaps; ``timeshift``: keep the channel on screen on
    disk, to pause and rewind it. Each turns its Settings switch on (or off) and keeps it so; None: as it is.
    ``network_tuner``: turn "Offer this box as a network tuner" on (``stb run --network-tuner``), kept on.
    """
    app = App(lineup, **window)
    if network_tuner and not app.box.settings.network_tuner:
        app.box.settings.network_tuner = True
        app.box.settings_changed()
    settings = app.box.settings
    for name, value in (("keyframe_cache", keyframe_cache), ("timeshift", timeshift)):
        if value is not None and getattr(settings, name) != value:  # `stb run --timeshift`: the switch, kept on
            setattr(settings, name, value)
            app.box.settings_changed()
    local = attach_local_relay(app)
    if api_port is not None:
        attach_network(app, api_port, api_host, interfaces, local)
        # Pairing without the TV: `stb pairing` on this machine (`stb run --headless` also prints each code).
        app.services.append(PairingConsole(app.auth, app.box.store.path.parent))
    return app


class LocalRelayService:
    """The TV's own relay on loopback (:mod:`stb.relay.local`), always: libVLC reads every http(s) channel through
    it, so no server's redirect or HLS playlist leads libVLC into the box's files or loopback (:mod:`stb.relay.guard`).
    The Settings switches only choose what it does besides: the keyframe cache (:mod:`stb.tv.cache`, likely
    channels read ahead) and timeshift (:mod:`stb.tv.timeshift`, the channel on screen kept on disk); it restarts
    when they change. One that cannot start leaves the TV playing straight from the providers, and says so."""

    before_box = True  # started before the box tunes its first channel (App.start)

    def __init__(self, app: App, budget: CacheBudget | None = None) -> None:
        self.app, self.budget = app, budget
        self.local: LocalRelay | None = None
        self.cache: KeyframeCache | None = None
        self.running: tuple[bool, bool] | None = None  # (keyframe cache, timeshift) of the relay running
        self._started = False
        self._told: dict[str, float] = {}  # refusals said on screen, and when (each once a minute at most)
        app.box.subscribe(self._on_box_event)

    def _on_box_event(self, event: BoxEvent) -> None:
        if isinstance(event, SettingsChanged) and self._started:
            self.apply()

    def start(self) -> None:
        self._started = True
        self.apply()

    def stop(self) -> None:
        self._started = False
        self._stop_relay()

    def apply(self) -> None:
        """Bring the relay in line with the settings (nothing to do when it already is)."""
        settings = self.app.box.settings
        wanted = (settings.keyframe_cache, settings.timeshift)
        if wanted == self.running:
            return
        self._stop_relay()
        self.running = wanted
        self._start_relay(*wanted)

    def _start_relay(self, cache_on: bool, shift_on: bool) -> None:
        app, tv, zapper = self.app, self.app.tv, self.app.zapper
        settings = app.box.settings

        def source(channel_id: str) -> ChannelSource | None:  # the TV applies the parental lock itself
            channel = tv.snapshot.lineup.by_id(channel_id)
            return (
                ChannelSource(channel.id, channel.name, tuple(channel.urls), dict(channel.headers)) if channel else None
            )

        def held() -> set[str]:
            return {p.channel.id for p in zapper.players if p.channel is not None}

        budget = self.budget or CacheBudget(channels=settings.cache_channels, bits_per_s=settings.cache_mbit_s * 1e6)
        local = LocalRelay(source, max_clients=2 + len(zapper.players) + budget.channels + settings.relay_channels,
                           shift_root=_timeshift_root(settings.timeshift_dir) if shift_on else None,
                           shift_limits=Limits(max_seconds=settings.timeshift_minutes * 60.0),
                           on_refused=lambda why: void(tv.commands.submit(self._refused, why)))  # fmt: skip
        try:
            local.start()
        except StbError as exc:  # the TV plays on, straight from the providers: said on screen and in the log
            log.warning("%s; channels are read without the box's redirect checks", exc)
            lost = "live TV cannot be paused, " if shift_on else "zaps are not instant, " if cache_on else ""
            app.box.notify(f"The TV's relay could not start: {lost}streams are read without redirect checks")
            for player in zapper.players:  # straight from the providers (a paused picture goes live)
                player.reroute()
            return
        self.local = local
        zapper.set_routes(local.route)
        for player in zapper.players:  # tuned before the relay started: through it now, like every later tune
            player.reroute()
        if shift_on:
            tv.timeshift = Timeshift(local, lambda: zapper.active)
            tv.timeshift.watch(app.box.current if not app.box.standby else None)
        if cache_on:
            self.cache = tv.cache = KeyframeCache(local, app.box, held, budget)
            app.screen.cache_summary = self.cache.describe
            self.cache.refresh()

    def _refused(self, why: str) -> None:
        """The guard refused a redirect or a playlist's URI (the UI thread): say it, once a minute at most."""
        now = time.monotonic()
        if now - self._told.get(why, -60.0) >= 60.0:
            self._told = {text: at for text, at in self._told.items() if now - at < 60.0} | {why: now}
            self.app.box.notify(f"Not played: {why}")

    def _stop_relay(self) -> None:
        local, self.local = self.local, None  # the network thread reads ``local``: gone before it stops
        if local is None:
            return
        app = self.app
        app.tv.cache = self.cache = None
        app.tv.timeshift = None
        app.screen.cache_summary = list
        app.zapper.set_routes(direct_urls)  # not rerouted: a restart reroutes them to the new relay at once
        local.stop()


def void(_: object) -> None:
    """Drops what a call returns (a future nobody waits for)."""


def attach_local_relay(app: App, budget: CacheBudget | None = None) -> LocalRelayService:
    """The TV's own relay: always running, doing what the keyframe cache and timeshift switches ask besides."""
    service = LocalRelayService(app, budget)
    app.services.append(service)
    return service


def _timeshift_root(folder: str) -> Path:
    """Where timeshift buffers go: the setting's folder (a USB disk, say), else the user's cache."""
    return Path(folder) if folder else cache_dir() / "timeshift"


def attach_network(
    app: App, port: int, host: str, interfaces: list[str] | None, local: LocalRelayService | None = None
) -> NetworkSide:
    """The API, the relay for other screens, the announcement and the peers. With ``local`` (the TV's own relay,
    while it runs), the relay reads channels through it: one upstream read per channel for the TV and every other
    screen, and a channel another screen watches is one the TV's keyframe cache holds. An HLS channel is read
    through the TV's guard (ffmpeg would follow its playlist's redirects and segments into loopback)."""
    box, tv = app.box, app.tv
    settings = box.settings
    if not settings.box_id:  # the box's first start on a network: its id, and a default name of its own
        settings.box_id = secrets.token_hex(8)
        settings.box_name = distinct_name(settings.box_name, settings.box_id)
        box.settings_changed()
    net_guide = NetGuide(app.guide_db, lineup=box.lineup)

    def source(channel_id: str) -> ChannelSource | None:  # the network thread: the snapshot, and a URL read whole
        found = channel_source(tv.snapshot, channel_id)
        relay_here = local.local if local is not None else None
        channel = tv.snapshot.lineup.by_id(channel_id)
        if found is None or relay_here is None or channel is None:
            return found
        if not relayable(channel):  # HLS: ffmpeg reads the playlist and its segments through the TV's guard
            return dataclasses.replace(found, urls=tuple(relay_here.guarded(u, found.headers) for u in found.urls))
        return dataclasses.replace(found, urls=(relay_here.url(channel_id), *found.urls))

    relay = Relay(source, max_upstreams=settings.relay_channels)
    remote = TvRemote(tv, app.act)
    context = NetContext(
        box_info=remote.api_box_info, commands=tv.commands, auth=app.auth, box=remote, guide=net_guide.get,
        open_on_lan=lambda: tv.snapshot.open_on_lan, network_tuner=lambda: tv.snapshot.network_tuner,
        favourites=lambda: tv.snapshot.favourites, relay=relay, lineup=lambda: tv.snapshot.lineup,
        theme=lambda: app.theme, signer=StreamSigner(box.store.path.parent),
        recording_hidden=lambda meta: recording_hidden(tv.snapshot, meta),
    )  # fmt: skip

    def timeshift_url(channel_id: str, behind: float) -> str | None:  # the network thread: `stb take` behind live
        relay_here = local.local if local is not None else None
        return relay_here.taken_url(channel_id, behind) if relay_here is not None else None

    context.timeshift_url = timeshift_url
    identity = BoxIdentity.load_or_create(box.store.path.parent, settings.box_id)
    context.fingerprint = app.auth.fingerprint = identity.fingerprint
    app.screen.relay_summary = lambda: dataclasses.astuple(relay.summary)
    context.pvr = _recorder(app, relay, context, local)
    tv.recordings.pvr = context.pvr  # the TV records through it (record, the guide's details, the banner's REC)
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


def _recorder(app: App, relay: Relay, context: NetContext, local: LocalRelayService | None) -> Pvr:
    """The box's recorder: it reads channels through the API's relay, on its loop (started by the network side)."""
    settings, state = app.box.settings, app.box.store.path.parent

    def channel_name(channel_id: str) -> str | None:
        channel = app.tv.snapshot.lineup.by_id(channel_id)
        return channel.name if channel is not None else None

    class TvBuffer:  # "record now" keeps what the TV's timeshift buffer holds (while the TV's relay runs)
        def copy_since(self, channel_id: str, since: float, into: Path) -> float | None:
            relay_here = local.local if local is not None else None
            return relay_here.copy_since(channel_id, since, into) if relay_here is not None else None

    return Pvr(
        state_dir=state,
        timeshift=TvBuffer(),
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
