"""The HDHomeRun packets and SSDP messages the network tuner reads from the LAN and writes to it, without a
network: libhdhomerun's framing and device-id check, and bytes from anyone never raising unexpectedly."""

from __future__ import annotations

import contextlib
import random
import struct
import zlib

import pytest

from stb.net import hdhr
from stb.net.hdhr_udp import (
    TAG_BASE_URL,
    TAG_DEVICE_ID,
    TAG_DEVICE_TYPE,
    TAG_GETSET_NAME,
    TAG_GETSET_VALUE,
    TAG_LINEUP_URL,
    TAG_MULTI_TYPE,
    TAG_TUNER_COUNT,
    BadPacket,
    Tuner,
    discover_reply,
    frame,
    getset_reply,
    open_frame,
    tlv,
    tlvs,
)
from stb.net.ssdp import Device, answers, parse_msearch

TUNER = Tuner(device_id=hdhr.device_id("abc"), tuners=4, http_port=8600, version="1")
ANY = struct.pack(">I", 0xFFFFFFFF)


def request(*items: bytes) -> bytes:
    return frame(0x0002, b"".join(items))


def test_device_ids_pass_libhdhomeruns_check_and_stay_the_boxs():
    ids = [hdhr.device_id(f"{n:016x}") for n in range(2000)]
    assert all(hdhr.valid_device_id(i) and i >> 28 == 1 for i in ids)
    assert len(set(ids)) > 1990  # distinct boxes, distinct tuners (28 free bits)
    assert hdhr.device_id("00aa11bb22cc33dd") == hdhr.device_id("00aa11bb22cc33dd")
    # the check catches what it is for: one digit changed, two neighbours swapped
    one = ids[0]
    assert not hdhr.valid_device_id(one ^ 0x10)
    text = f"{one:08X}"
    swapped = text[:3] + text[4] + text[3] + text[5:]
    assert swapped == text or not hdhr.valid_device_id(int(swapped, 16))


def _reference_check(device_id: int) -> bool:
    """hdhomerun_discover_validate_device_id, transcribed line by line."""
    table = [0xA, 0x5, 0xF, 0x6, 0x7, 0xC, 0x1, 0xB, 0x9, 0x2, 0x8, 0xD, 0x4, 0x3, 0xE, 0x0]
    c = 0
    c ^= table[(device_id >> 28) & 0x0F]
    c ^= (device_id >> 24) & 0x0F
    c ^= table[(device_id >> 20) & 0x0F]
    c ^= (device_id >> 16) & 0x0F
    c ^= table[(device_id >> 12) & 0x0F]
    c ^= (device_id >> 8) & 0x0F
    c ^= table[(device_id >> 4) & 0x0F]
    c ^= (device_id >> 0) & 0x0F
    return c == 0


def test_valid_device_id_is_libhdhomeruns_check():
    rng = random.Random(7)
    for value in [rng.getrandbits(32) for _ in range(5000)] + [hdhr.device_id(str(n)) for n in range(100)]:
        assert hdhr.valid_device_id(value) == _reference_check(value)


def test_a_discover_request_gets_the_tuners_reply():
    reply = discover_reply(request(tlv(TAG_DEVICE_TYPE, ANY), tlv(TAG_DEVICE_ID, ANY)), TUNER, "10.0.0.5")
    assert reply is not None
    assert struct.unpack("<I", reply[-4:])[0] == zlib.crc32(reply[:-4])  # Ethernet CRC, little-endian
    kind, payload = open_frame(reply)
    items = dict(tlvs(payload))
    assert kind == 0x0003
    assert struct.unpack(">I", items[TAG_DEVICE_TYPE])[0] == 1
    assert struct.unpack(">I", items[TAG_DEVICE_ID])[0] == TUNER.device_id
    assert items[TAG_TUNER_COUNT] == bytes([4])
    assert items[TAG_BASE_URL] == b"http://10.0.0.5:8600"
    assert items[TAG_LINEUP_URL] == b"http://10.0.0.5:8600/lineup.json"


@pytest.mark.parametrize(
    ("items", "answered"),
    [
        ((tlv(TAG_DEVICE_TYPE, struct.pack(">I", 1)),), True),  # a tuner
        ((tlv(TAG_DEVICE_TYPE, struct.pack(">I", 5)),), False),  # a storage device: not us
        ((tlv(TAG_MULTI_TYPE, struct.pack(">II", 5, 1)),), True),  # newer libhdhomerun: several types
        ((tlv(TAG_DEVICE_TYPE, ANY), tlv(TAG_DEVICE_ID, struct.pack(">I", TUNER.device_id))), True),
        ((tlv(TAG_DEVICE_TYPE, ANY), tlv(TAG_DEVICE_ID, struct.pack(">I", TUNER.device_id ^ 1))), False),
        ((), True),
    ],
)
def test_discover_answers_only_what_is_asked_for(items, answered):
    assert (discover_reply(request(*items), TUNER, "10.0.0.5") is not None) == answered


def test_long_values_use_the_two_byte_length():
    value = b"x" * 300
    encoded = tlv(0x2A, value)
    assert encoded[1] == (300 & 0x7F) | 0x80 and encoded[2] == 300 >> 7
    assert list(tlvs(encoded)) == [(0x2A, value)]


def test_control_get_answers_the_model_and_refuses_a_set():
    get = frame(0x0004, tlv(TAG_GETSET_NAME, b"/sys/model\0"))
    items = dict(tlvs(open_frame(getset_reply(get, TUNER) or b"")[1]))
    assert items[TAG_GETSET_VALUE] == b"hdhomerun5_atsc\0"
    lockkey = frame(0x0004, tlv(TAG_GETSET_NAME, b"/tuner3/lockkey\0"))  # TUNER has 4 tuners: 0..3, all free
    assert dict(tlvs(open_frame(getset_reply(lockkey, TUNER) or b"")[1]))[TAG_GETSET_VALUE] == b"none\0"
    beyond = frame(0x0004, tlv(TAG_GETSET_NAME, b"/tuner4/lockkey\0"))
    assert TAG_GETSET_VALUE not in dict(tlvs(open_frame(getset_reply(beyond, TUNER) or b"")[1]))
    setting = frame(0x0004, tlv(TAG_GETSET_NAME, b"/tuner0/channel\0") + tlv(TAG_GETSET_VALUE, b"auto:5\0"))
    items = dict(tlvs(open_frame(getset_reply(setting, TUNER) or b"")[1]))
    assert TAG_GETSET_VALUE not in items and items[0x05].startswith(b"ERROR")


def test_any_bytes_are_answered_or_rejected_never_raised_on():
    """Every truncation and random corruption of a request: a reply, silence or BadPacket, nothing else."""
    good = request(tlv(TAG_DEVICE_TYPE, ANY), tlv(TAG_DEVICE_ID, ANY))
    rng = random.Random(1)
    samples = [good[:n] for n in range(len(good) + 1)]
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        samples.append(bytes(data))
        samples.append(frame(2, bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))))  # good CRC, any TLVs
    for data in samples:
        for parse in (lambda d: discover_reply(d, TUNER, "10.0.0.5"), lambda d: getset_reply(d, TUNER)):
            with contextlib.suppress(BadPacket):
                parse(data)


def test_ssdp_answers_a_mediaserver_search_with_the_device_description():
    search = (b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n'
              b"ST: urn:schemas-upnp-org:device:MediaServer:1\r\n\r\n")  # fmt: skip
    st = parse_msearch(search)
    assert st == "urn:schemas-upnp-org:device:MediaServer:1"
    device = Device("0000-1", 8600)
    (reply,) = answers(st, device, "10.0.0.5")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nLOCATION: http://10.0.0.5:8600/device.xml\r\n" in reply and reply.endswith(b"\r\n\r\n")
    assert len(answers("ssdp:all", device, "10.0.0.5")) == 3
    assert answers("urn:schemas-upnp-org:device:Printer:1", device, "10.0.0.5") == []
    assert parse_msearch(search.replace(b"ssdp:discover", b"other")) is None
    assert parse_msearch(b"NOTIFY * HTTP/1.1\r\n\r\n") is None
    assert parse_msearch(b"\xff" * 40) is None
