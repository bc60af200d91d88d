"""The box described as an HDHomeRun tuner, in the shapes Plex, Jellyfin, Emby, Channels and Kodi read.

One description for the token-scoped routes (``/hdhr/{token}/…``) and for the root routes a real HDHomeRun
serves (``/discover.json``…, :mod:`stb.net.api.tuner`), and for the UDP and SSDP answers
(:mod:`stb.net.hdhr_udp`, :mod:`stb.net.ssdp`). The model promises no transcoding: Jellyfin appends
``?transcode=PROFILE`` to the stream URLs of a model whose name contains "HDTC", and the box relays streams
as they come.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from xml.sax.saxutils import escape

from lxml import etree

from stb import __version__
from stb.lineup.model import Channel, Lineup
from stb.tv.answers import BoxInfoDict

MODEL = "HDHR5-4US"  # a model the apps know, without "HDTC": no transcoding promised
FIRMWARE = "stb"
DEVICE_TYPE_TUNER = 0x00000001
UPNP_DEVICE_TYPE = "urn:schemas-upnp-org:device:MediaServer:1"
STATUS = {"ScanInProgress": 0, "ScanPossible": 1, "Source": "Cable", "SourceList": ["Cable"]}
# libhdhomerun's hdhomerun_discover_validate_device_id: the nibbles, every other one through this table,
# XOR to zero, so a mistyped id is caught. The last nibble is the check digit.
_CHECK = (0xA, 0x5, 0xF, 0x6, 0x7, 0xC, 0x1, 0xB, 0x9, 0x2, 0x8, 0xD, 0x4, 0x3, 0xE, 0x0)
_HD = re.compile(r"\b(hd|uhd|4k|fhd)\b", re.IGNORECASE)


def valid_device_id(device_id: int) -> bool:
    """libhdhomerun's check of a device id (single-digit and transposition errors fail it)."""
    checksum = 0
    for shift in range(28, -1, -4):
        nibble = (device_id >> shift) & 0xF
        checksum ^= _CHECK[nibble] if shift % 8 == 4 else nibble
    return checksum == 0


def device_id(box_id: str) -> int:
    """The box's tuner id: stable for the box (from its id), ``1xxxxxxx`` like Silicondust's tuners, with the
    check digit libhdhomerun verifies."""
    digest = hashlib.sha256(f"stb-hdhr:{box_id}".encode()).digest()
    head = 0x1000000 | (int.from_bytes(digest[:4], "big") & 0x0FFFFFF)  # seven nibbles, the first a 1
    check = 0
    for i, shift in enumerate(range(24, -1, -4)):
        nibble = (head >> shift) & 0xF
        check ^= _CHECK[nibble] if i % 2 == 0 else nibble
    return (head << 4) | check


def device_id_text(box_id: str) -> str:
    return f"{device_id(box_id):08X}"


def discover(box: BoxInfoDict, base: str, tuners: int) -> dict:
    """``discover.json``: ``base`` is where the tuner's routes are (the root, or ``…/hdhr/TOKEN``)."""
    return {
        "FriendlyName": box["name"],
        "Manufacturer": "stb",
        "ModelNumber": MODEL,
        "FirmwareName": FIRMWARE,
        "FirmwareVersion": __version__,
        "DeviceID": device_id_text(box["id"]),
        "DeviceAuth": "",
        "BaseURL": base,
        "LineupURL": f"{base}/lineup.json",
        "TunerCount": tuners,
    }


def is_hd(channel: Channel) -> bool:
    return bool(_HD.search(channel.name))


def lineup(channels: Lineup, url: Callable[[Channel], str], favourites: frozenset[str] = frozenset()) -> list[dict]:
    """``lineup.json``: the TV channels (radio has no picture for a tuner app), each with the relay's URL.

    The codecs are what the box relays from IPTV sources, as it comes (H.264 and AAC).
    """
    entries = []
    for c in channels.sorted_channels():
        if c.radio:
            continue
        entry: dict = {"GuideNumber": str(c.number), "GuideName": c.name, "VideoCodec": "H264", "AudioCodec": "AAC",
                       "HD": 1 if is_hd(c) else 0, "URL": url(c)}  # fmt: skip
        if c.id in favourites:
            entry["Favorite"] = 1
        entries.append(entry)
    return entries


def lineup_xml(entries: list[dict]) -> bytes:
    """``lineup.xml``: the same entries as ``lineup.json``, as a real tuner writes them."""
    root = etree.Element("Lineup")
    for entry in entries:
        program = etree.SubElement(root, "Program")
        for key, value in entry.items():
            etree.SubElement(program, key).text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def lineup_m3u(entries: list[dict]) -> str:
    """``lineup.m3u``: number and name of each entry, then its URL."""
    lines = ["#EXTM3U"]
    for e in entries:
        name = e["GuideName"].replace("\n", " ").replace(",", " ")
        lines += [f'#EXTINF:-1 channel-number="{e["GuideNumber"]}",{e["GuideNumber"]} {name}', e["URL"]]
    return "\n".join(lines) + "\n"


def device_xml(box: BoxInfoDict, base: str) -> str:
    """The UPnP device description Plex reads (and SSDP's LOCATION points at)."""
    did = device_id_text(box["id"])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<root xmlns="urn:schemas-upnp-org:device-1-0">\n'
        "  <specVersion><major>1</major><minor>0</minor></specVersion>\n"
        f"  <URLBase>{escape(base)}</URLBase>\n"
        "  <device>\n"
        f"    <deviceType>{UPNP_DEVICE_TYPE}</deviceType>\n"
        f"    <friendlyName>{escape(box['name'])}</friendlyName>\n"
        "    <manufacturer>Silicondust</manufacturer>\n"
        f"    <modelName>{MODEL}</modelName>\n"
        f"    <modelNumber>{MODEL}</modelNumber>\n"
        f"    <serialNumber>{did}</serialNumber>\n"
        f"    <UDN>uuid:{upnp_uuid(box['id'])}</UDN>\n"
        "  </device>\n"
        "</root>\n"
    )


def upnp_uuid(box_id: str) -> str:
    """The box's UPnP UDN, stable for the box."""
    h = hashlib.sha256(f"stb-upnp:{box_id}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
