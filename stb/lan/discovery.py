"""Find boxes on the LAN: browse ``_stb._tcp`` and turn each record into a ``FoundBox``.

Records come from anyone on the LAN, so parsing is bounded and forgiving: a malformed TXT
record, an over-long or non-UTF-8 value, or a flood of services never raises; what cannot be
read is left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from zeroconf import BadTypeInNameException, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from stb.errors import StbError
from stb.lan.addresses import lan_addresses
from stb.lan.printable import printable

__all__ = [
    "MAX_BOXES",
    "MAX_BOXES_PER_ADDRESS",
    "BoxBrowser",
    "FoundBox",
    "async_discover",
    "box_from_txt",
    "discover",
    "match_box",
    "parse_txt",
]

log = logging.getLogger(__name__)

STB_TYPE = "_stb._tcp.local."
MAX_BOXES = 256
# A host announcing hundreds of boxes is a flood, not a household: each address gets this many entries at
# most, so one device cannot fill MAX_BOXES and push the real boxes out (several stb on one machine still fit).
MAX_BOXES_PER_ADDRESS = 16
_MAX_TXT_BYTES = 9000  # RFC 6763 §6.2: keep a TXT record under this; read no further
_MAX_VALUE = 255
_RESOLVE_MS = 1500
_DEFAULT_API = "/api/v1"


@dataclass(frozen=True)
class FoundBox:
    """One box as announced on the LAN."""

    name: str  # instance name, e.g. "Living Room (2)"
    box_id: str
    addresses: list[str] = field(hash=False)  # IPv4 first; link-local IPv6 carry a %scope
    port: int
    model: str
    version: str
    api_path: str
    pairing_required: bool
    channel: str | None
    host: str  # the SRV target, e.g. "stb-abc123.local."
    channel_id: str | None = None  # TXT ``cid``: the channel's id in that box's line-up, shown with ``ch``
    # Another host announces the same id: an id is a claim, so neither displaces the other; both are listed,
    # marked, and only the one that proves the certificate pinned at pairing gets a token (stb.lan.identity).
    unverified: bool = False


def parse_txt(raw: bytes) -> dict[str, str | None]:
    """TXT wire format (length-prefixed strings) to ``{key: value}``; never raises.

    Keys are lower-cased and the first occurrence wins (RFC 6763 §6.4); an entry without ``=``
    has the value None; entries that are not UTF-8, have an empty key or a value over 255 bytes
    are skipped; a truncated last entry ends the parse.
    """
    result: dict[str, str | None] = {}
    data = bytes(raw[:_MAX_TXT_BYTES])
    offset = 0
    while offset < len(data):
        length = data[offset]
        entry = data[offset + 1 : offset + 1 + length]
        offset += 1 + length
        if len(entry) < length:
            break
        key_bytes, eq, value_bytes = entry.partition(b"=")
        try:
            key = key_bytes.decode("ascii").lower()
            value = value_bytes.decode("utf-8") if eq else None
        except UnicodeDecodeError:
            continue
        if not key or not key.isprintable() or key in result or len(value_bytes) > _MAX_VALUE:
            continue
        result[key] = value
    return result


def box_from_txt(
    service_name: str, txt: bytes, *, addresses: Iterable[str], port: int | None, host: str | None
) -> FoundBox | None:
    """A ``FoundBox`` from one resolved ``_stb._tcp`` service, or None when it is not usable."""
    values = parse_txt(txt)
    box_id = values.get("id")
    if not box_id or not port or not 0 < port < 65536:
        return None
    name = service_name[: -len(STB_TYPE) - 1] if service_name.lower().endswith("." + STB_TYPE) else service_name
    api = values.get("api") or _DEFAULT_API
    return FoundBox(
        name=printable(name),
        box_id=printable(box_id),
        addresses=sorted(dict.fromkeys(addresses), key=lambda a: ":" in a),
        port=port,
        model=printable(values.get("model") or ""),
        version=printable(values.get("ver") or ""),
        api_path=api if api.startswith("/") else _DEFAULT_API,
        pairing_required=values.get("pair") != "0",  # absent or odd: assume it is required
        channel=printable(values.get("ch") or "") or None,
        host=printable(host or ""),
        channel_id=printable(values.get("cid") or "") or None if values.get("ch") else None,
    )


class BoxBrowser:
    """Browses ``_stb._tcp`` on a running loop and keeps the boxes present, by service name, with their latest
    TXT. Two services that claim one id from different hosts are both kept and marked ``unverified``.

    Used once by ``async_discover`` (the companion's `stb discover`) and for as long as the network side
    runs by the box itself (its "Other screens" menu). Methods and callbacks run on the loop that owns
    ``aiozc``; ``on_change`` is called after every box added, updated or removed.
    """

    def __init__(
        self,
        aiozc: AsyncZeroconf,
        on_found: Callable[[FoundBox], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.aiozc = aiozc
        self.on_found, self.on_change = on_found, on_change
        self.errors: list[Exception] = []  # raised by on_found: the caller decides what to do with them
        self._by_name: dict[str, FoundBox] = {}  # service name (lower case) -> the box it announces
        self._announced: set[str] = set()
        self._pending: dict[str, asyncio.Task] = {}
        self._stale: set[str] = set()  # changed again while being resolved: resolve once more
        self._closing = False
        self._browser: AsyncServiceBrowser | None = None

    def start(self) -> None:
        self._browser = AsyncServiceBrowser(self.aiozc.zeroconf, STB_TYPE, handlers=[self._changed])

    def boxes(self) -> list[FoundBox]:
        """The boxes present now, sorted by name; one id claimed from different hosts: each marked unverified."""
        hosts: dict[str, set[tuple[str, ...]]] = {}
        for box in self._by_name.values():
            hosts.setdefault(box.box_id, set()).add(tuple(box.addresses))
        found = [dataclasses.replace(b, unverified=True) if len(hosts[b.box_id]) > 1 else b
                 for b in self._by_name.values()]  # fmt: skip
        return sorted(found, key=lambda b: (b.name.casefold(), b.box_id, b.addresses))

    async def async_cancel(self) -> None:
        self._closing = True
        if self._browser is not None:
            await self._browser.async_cancel()
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _resolve(self, name: str) -> None:
        key = name.lower()
        try:
            try:
                info = AsyncServiceInfo(STB_TYPE, name)
            except BadTypeInNameException:  # control characters in the instance name: not a box to list
                log.debug("ignoring a service named %s", printable(name))
                return
            if await info.async_request(self.aiozc.zeroconf, _RESOLVE_MS) and key in self._pending:
                self._found(name, info)
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]
                if key in self._stale and not self._closing:
                    self._stale.discard(key)
                    self._pending[key] = asyncio.ensure_future(self._resolve(name))

    def _found(self, name: str, info: AsyncServiceInfo) -> None:
        box = box_from_txt(
            name, info.text or b"", addresses=info.parsed_scoped_addresses(), port=info.port, host=info.server
        )
        if box is None:
            log.debug("ignoring unusable record %s", printable(name))
            return
        key = name.lower()
        if key not in self._by_name and (len(self._by_name) >= MAX_BOXES or self._crowded(box)):
            return
        self._by_name[key] = box
        seen = f"{box.box_id}\n{' '.join(box.addresses)}"  # once per id and host: an impostor is shown too
        if self.on_found is not None and seen not in self._announced:
            self._announced.add(seen)
            try:
                self.on_found(box)
            except Exception as exc:  # raised to the caller once browsing is over (e.g. a closed pipe)
                self.errors.append(exc)
        self._tell()

    def _crowded(self, box: FoundBox) -> bool:
        """True when one of ``box``'s addresses already has MAX_BOXES_PER_ADDRESS boxes listed."""
        wanted = set(box.addresses)
        listed = self._by_name.values()
        return any(sum(1 for b in listed if a in b.addresses) >= MAX_BOXES_PER_ADDRESS for a in wanted)

    def _tell(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # a listener's bug must not stop the browsing
                log.warning("a discovery listener failed", exc_info=True)

    def _changed(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        key = name.lower()
        if state_change is ServiceStateChange.Removed:
            self._stale.discard(key)
            task = self._pending.pop(key, None)
            if task is not None:
                task.cancel()
            if self._by_name.pop(key, None) is not None:
                self._tell()
        elif key in self._pending:
            self._stale.add(key)
        elif len(self._pending) < MAX_BOXES and not self._closing:
            self._pending[key] = asyncio.ensure_future(self._resolve(name))


async def async_discover(
    timeout_s: float,
    interfaces: list[str] | None = None,
    on_found: Callable[[FoundBox], None] | None = None,
) -> list[FoundBox]:
    """Browse for ``timeout_s`` seconds; ``on_found`` is called once per box id and host as it appears.

    Returns the boxes still present at the end (latest TXT values), sorted by name.
    """
    addresses = lan_addresses(interfaces)
    aiozc = AsyncZeroconf(interfaces=list(addresses.bind), ip_version=addresses.ip_version)
    browser = BoxBrowser(aiozc, on_found=on_found)
    browser.start()
    try:
        await asyncio.sleep(timeout_s)
    finally:
        await browser.async_cancel()
        await aiozc.async_close()
    if browser.errors:
        raise browser.errors[0]
    return browser.boxes()


def discover(timeout_s: float, interfaces: list[str] | None = None) -> list[FoundBox]:
    """``async_discover`` for callers without an event loop."""
    return asyncio.run(async_discover(timeout_s, interfaces))


def match_box(boxes: list[FoundBox], wanted: str) -> FoundBox:
    """The box meant by ``wanted``: its name, id, or address (``IP``, ``IP:PORT``, ``[IPv6]:PORT``).

    Tried in order: exact name (any case), id, address, then a unique name prefix.
    Raises StbError naming the candidates when nothing or more than one box matches.
    """
    text = wanted.strip()
    if not text:
        raise StbError("which box? give a name, an id or an address")
    if not boxes:
        raise StbError(f"no box matches {text!r}: no boxes were found on the network")
    folded = text.casefold()
    for rule in (
        lambda b: b.name.casefold() == folded,
        lambda b: b.box_id.casefold() == folded,
        _address_rule(text),
        lambda b: b.name.casefold().startswith(folded),
    ):
        if rule is None:
            continue
        hits = [box for box in boxes if rule(box)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise StbError(f"{text!r} matches several boxes: {_listing(hits)}; give more of the name or an id")
    raise StbError(f"no box matches {text!r}; found: {_listing(boxes)}")


def _listing(boxes: list[FoundBox]) -> str:
    return ", ".join(f"{box.name} (id {box.box_id})" for box in boxes)


def _address_rule(text: str) -> Callable[[FoundBox], bool] | None:
    """A matcher for an address literal with an optional port, or None when ``text`` is not one."""
    port: int | None = None
    host = text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                return None
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, digits = text.partition(":")
        if not digits.isdigit():
            return None
        port = int(digits)
    address = _parse_ip(host)
    if address is None:
        return None
    return lambda box: (port is None or box.port == port) and any(_parse_ip(a) == address for a in box.addresses)


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
