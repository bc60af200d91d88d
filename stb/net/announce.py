"""Announce the box on the LAN with mDNS/DNS-SD (python-zeroconf, asyncio API).

Two services share one instance name and port: ``_stb._tcp`` (TXT: ``id``, ``name``, ``model``,
``ver``, ``api``, ``pair`` and, when shown, ``ch`` the current channel's name and ``cid`` its id) for companions, and
``_http._tcp`` (TXT ``path=/``) so phones and browsers list the web page. A name already taken on
the LAN becomes "Name (2)", "Name (3)"…; the final one is ``Announcer.instance_name``.

Announcements go only where they are told: ``interfaces`` names the links (``["eth0"]``), and
only those links' addresses are bound and advertised. Methods prefixed ``async_`` run on the
event loop that owns the announcer.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re

from zeroconf import NonUniqueNameException
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from stb.errors import StbError
from stb.lan.addresses import LanAddresses, lan_addresses

__all__ = ["HTTP_TYPE", "STB_TYPE", "Announcer", "LanAddresses", "lan_addresses"]

log = logging.getLogger(__name__)

STB_TYPE = "_stb._tcp.local."
HTTP_TYPE = "_http._tcp.local."

_MAX_LABEL = 63  # bytes in one DNS label: the instance name, suffix included
_MAX_TXT_ENTRY = 255  # bytes in one TXT string: key=value
_MAX_RENAMES = 99
_LINK_ERRORS = {errno.ENETUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL, errno.EHOSTUNREACH}


class _LinkDownWithoutTraceback(logging.Filter):
    """python-zeroconf logs a send on a link that is down, or that lost its address, with a traceback; a Wi-Fi
    drop or a DHCP renewal is not a bug, so it stays one warning line (the announcement resumes by itself)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, OSError) and exc.errno in _LINK_ERRORS:
            record.exc_info, record.exc_text = None, None
        return True


def quiet_link_errors() -> None:
    """Install the filter above on python-zeroconf's logger (once)."""
    logger = logging.getLogger("zeroconf")
    if not any(isinstance(f, _LinkDownWithoutTraceback) for f in logger.filters):
        logger.addFilter(_LinkDownWithoutTraceback())


def _fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[:limit].decode(errors="ignore")


class Announcer:
    """Announces one box (``_stb._tcp`` + ``_http._tcp``) on the chosen interfaces."""

    def __init__(
        self,
        *,
        name: str,
        box_id: str,
        port: int,
        model: str,
        version: str,
        api_path: str = "/api/v1",
        pairing_required: bool = True,
        interfaces: list[str] | None = None,
        show_channel: bool = True,
        min_interval_s: float = 1.0,
    ) -> None:
        if not name.strip():
            raise StbError("the box needs a name to announce")
        if not box_id.strip():
            raise StbError("the box needs an id to announce")
        if not 0 < port < 65536:
            raise StbError(f"port {port} is out of range")
        self.name = " ".join(name.split())
        self.box_id = box_id
        self.port = port
        self.model = model
        self.version = version
        self.api_path = api_path
        self.pairing_required = pairing_required
        self.interfaces = list(interfaces) if interfaces is not None else None
        #: False: no ``ch`` key at all (privacy); takes effect at the next ``async_update_channel``.
        self.show_channel = show_channel
        self.min_interval_s = min_interval_s
        #: The instance name finally registered ("Name" or "Name (2)"…); None until started.
        self.instance_name: str | None = None
        self._channel: str | None = None
        self._channel_id: str | None = None
        self._number = 1
        self._host = f"stb-{re.sub(r'[^a-z0-9-]+', '-', box_id.lower()).strip('-')[:40] or 'box'}.local."
        self._addresses: LanAddresses | None = None
        self._aiozc: AsyncZeroconf | None = None
        self._infos: dict[str, AsyncServiceInfo] = {}
        self._registered_as: str | None = None  # the name (before any " (2)") the registration is for
        self._sent_txt: dict[str, str] | None = None
        self._last_sent = float("-inf")
        self._flush_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Future] = set()
        self._lock = asyncio.Lock()
        self._stopped = False

    # -- public, loop-only -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Bind the interfaces, probe for a free name and announce both services."""
        if self._aiozc is not None or self._stopped:
            raise RuntimeError("an Announcer starts once")
        async with self._lock:
            self._addresses = lan_addresses(self.interfaces)
            self._aiozc = self._new_zeroconf(self._addresses)
            try:
                await self._async_register()
            except BaseException:
                aiozc, self._aiozc = self._aiozc, None
                await aiozc.async_close()
                raise

    async def async_update_channel(self, channel: str | None, channel_id: str | None = None) -> None:
        """Set the ``ch`` (and ``cid``) TXT keys; sent at most once per ``min_interval_s``, the last value winning."""
        self._channel, self._channel_id = channel, channel_id
        if self._aiozc is None or self._flush_handle is not None:
            return  # not announced yet (sent at registration), or a delayed update will carry it
        loop = asyncio.get_running_loop()
        wait = self._last_sent + self.min_interval_s - loop.time()
        if wait > 0:
            self._flush_handle = loop.call_later(wait, self._flush)
            return
        await self._async_push_txt()

    async def async_rename(self, name: str) -> None:
        """Announce under ``name`` from now on (the household renamed the box in Settings), without a restart.

        Goodbyes go out for the old instance of both services, then the new name is probed and
        registered like at start ("Name (2)" when taken), with the TXT ``name`` following. Renames
        that pile up while one is probing (Left/Right held in Settings) end on the last name, not
        on each one in turn.
        """
        name = " ".join(name.split())
        if not name:
            raise StbError("the box needs a name to announce")
        self.name = name
        if self._aiozc is None or self._stopped:
            return  # not announced yet: async_start announces the new name
        async with self._lock:
            if self._aiozc is None or self._registered_as == self.name:
                return  # stopped meanwhile, or a rename queued after this one already did it
            for info in self._infos.values():
                await (await self._aiozc.async_unregister_service(info))  # goodbyes for the old name
            self._infos, self.instance_name, self._number = {}, None, 1
            await self._async_register()

    async def async_update_settings(self, *, pairing_required: bool, show_channel: bool) -> None:
        """The TXT ``pair`` and whether ``ch`` is shown follow Settings ("open on this LAN", privacy)."""
        self.pairing_required, self.show_channel = pairing_required, show_channel
        if self._aiozc is not None:
            await self._async_push_txt()

    async def async_readdress(self) -> bool:
        """Re-read the interfaces' addresses; when they changed, re-bind and re-announce. True if changed."""
        if self._aiozc is None or self._stopped or self.instance_name is None:
            return False  # not registered (a rename found no free name): nothing to re-announce
        async with self._lock:
            try:
                fresh = lan_addresses(self.interfaces)
            except StbError as exc:
                log.info("keeping the announcement as it is: %s", exc)  # link down: wait for it to return
                return False
            if self._aiozc is None or fresh == self._addresses:
                return False
            log.info("addresses changed to %s: announcing again", ", ".join(fresh.advertised))
            self._addresses = fresh
            update_interfaces = getattr(self._aiozc, "async_update_interfaces", None)
            if update_interfaces is not None:  # newer zeroconf: re-bind in place, no goodbye
                await update_interfaces(list(fresh.bind), fresh.ip_version)
                assert self.instance_name is not None and self._sent_txt is not None
                self._infos = self._build_infos(self.instance_name, self._sent_txt)
                for info in self._infos.values():  # A/AAAA carry cache-flush: old addresses are dropped
                    self._track(await self._aiozc.async_update_service(info))
            else:  # older zeroconf: say goodbye, then start over on the new addresses
                old, self._aiozc = self._aiozc, self._new_zeroconf(fresh)
                await old.async_close()
                await self._async_register()
            return True

    async def async_watch_addresses(self, every_s: float = 5.0) -> None:
        """Call ``async_readdress`` every ``every_s`` seconds until stopped (run it as a task)."""
        while not self._stopped:
            await asyncio.sleep(every_s)
            try:
                await self.async_readdress()
            except Exception:  # one bad rescan must not end the watch
                log.warning("re-reading the interface addresses failed", exc_info=True)

    async def async_stop(self) -> None:
        """Send goodbyes for both services and close; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        for task in list(self._tasks):
            task.cancel()
        async with self._lock:
            aiozc, self._aiozc = self._aiozc, None
            if aiozc is not None:
                await aiozc.async_close()  # unregisters all services: goodbyes (TTL 0) go out first
            self._infos.clear()

    @property
    def addresses(self) -> LanAddresses | None:
        """What the box is announced on now (None before it starts)."""
        return self._addresses

    # -- private -----------------------------------------------------------------------------------

    @staticmethod
    def _new_zeroconf(addresses: LanAddresses) -> AsyncZeroconf:
        quiet_link_errors()
        return AsyncZeroconf(interfaces=list(addresses.bind), ip_version=addresses.ip_version)

    def _instance(self, number: int, name: str | None = None) -> str:
        suffix = "" if number == 1 else f" ({number})"
        return _fit(name or self.name, _MAX_LABEL - len(suffix.encode())).rstrip() + suffix

    def _txt(self) -> dict[str, str]:
        values = {
            "id": self.box_id,
            "name": self.name,
            "model": self.model,
            "ver": self.version,
            "api": self.api_path,
            "pair": "1" if self.pairing_required else "0",
        }
        if self.show_channel and self._channel is not None:
            values["ch"] = self._channel
            if self._channel_id is not None:  # another box tunes "the same channel" by id first
                values["cid"] = self._channel_id
        return {key: _fit(value, _MAX_TXT_ENTRY - len(key) - 1) for key, value in values.items()}

    def _build_infos(self, instance: str, txt: dict[str, str]) -> dict[str, AsyncServiceInfo]:
        assert self._addresses is not None
        return {
            type_: AsyncServiceInfo(
                type_,
                f"{instance}.{type_}",
                port=self.port,
                properties=properties,
                server=self._host,
                parsed_addresses=self._addresses.advertised,
            )
            for type_, properties in ((STB_TYPE, txt), (HTTP_TYPE, {"path": "/"}))
        }

    async def _async_register(self) -> None:
        """Probe and register both services under the first free "Name (n)", from the current n."""
        assert self._aiozc is not None
        name = self.name  # a rename arriving meanwhile waits for the lock and registers again after this
        while True:
            if self._number > _MAX_RENAMES:
                raise StbError(f"could not find a free name for {name!r} on the LAN")
            instance, txt = self._instance(self._number, name), self._txt()
            infos = self._build_infos(instance, txt)
            results = await asyncio.gather(
                *(self._aiozc.async_register_service(info) for info in infos.values()), return_exceptions=True
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            if not failures:
                await asyncio.gather(*(r for r in results if not isinstance(r, BaseException)))  # the announcements
                break
            for info, result in zip(infos.values(), results, strict=True):
                if not isinstance(result, BaseException):
                    await (await self._aiozc.async_unregister_service(info))  # half-registered: take it back
            if not all(isinstance(r, NonUniqueNameException) for r in failures):
                raise next(r for r in failures if not isinstance(r, NonUniqueNameException))
            log.info("%r is taken on the LAN; trying the next name", instance)
            self._number += 1
        self._infos = infos
        self._registered_as = name
        self.instance_name = instance
        self._sent_txt = txt
        self._last_sent = asyncio.get_running_loop().time()

    def _flush(self) -> None:
        self._flush_handle = None
        if not self._stopped:
            self._track(asyncio.ensure_future(self._async_push_txt()))

    def _track(self, awaitable) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _async_push_txt(self) -> None:
        async with self._lock:
            if self._aiozc is None or STB_TYPE not in self._infos:
                return
            txt = self._txt()
            if txt == self._sent_txt:
                return
            self._last_sent = asyncio.get_running_loop().time()
            self._sent_txt = txt
            assert self.instance_name is not None
            info = self._build_infos(self.instance_name, txt)[STB_TYPE]
            self._infos[STB_TYPE] = info
            self._track(await self._aiozc.async_update_service(info))
