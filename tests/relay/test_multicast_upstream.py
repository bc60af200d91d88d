"""The relay's multicast upstream: a head-end multicasting in one namespace host, read in another."""

import json
import sys
import time

import pytest

from tests.headend.tune import multicast_headend
from tests.netns import netns_lan

GROUP, BASE_PORT = "239.255.42.2", 5100

# Runs inside the receiving host: reads the group through the relay's upstream, writes what it got.
READER = """
import asyncio, json, sys
from stb.relay.upstream import read_ts, UpstreamError

async def main():
    got = bytearray()
    try:
        async for chunk in read_ts(sys.argv[1], stall_s=3):
            got += chunk
            if len(got) > 300_000:
                break
    except UpstreamError as exc:
        print(json.dumps({"error": str(exc)}))
        return
    sync = all(got[at] == 0x47 for at in range(0, len(got), 188))
    print(json.dumps({"bytes": len(got), "aligned": len(got) % 188 == 0, "sync": sync}))

asyncio.run(main())
"""


@pytest.mark.slow
@pytest.mark.netns
def test_a_multicast_channel_is_read_as_aligned_ts(media_dir):
    with netns_lan(2) as (server, client):
        headend = multicast_headend(server, media_dir, GROUP, BASE_PORT)
        url = f"udp://@{GROUP}:{BASE_PORT + 2}"  # channel 3
        deadline, outcome = time.monotonic() + 40, {}
        while time.monotonic() < deadline and "bytes" not in outcome:  # the first tries may predate start-up
            assert headend.poll() is None, headend.stderr.read()
            result = client.run([sys.executable, "-c", READER, url], timeout=30)
            outcome = json.loads(result.stdout or "{}") if result.returncode == 0 else {"error": result.stderr}
        assert outcome.get("bytes", 0) > 300_000, outcome
        assert outcome["aligned"] and outcome["sync"]
        silent = json.loads(client.run([sys.executable, "-c", READER, f"udp://@{GROUP}:{BASE_PORT + 200}"],
                                       timeout=30).stdout)  # fmt: skip
        assert "no multicast" in silent["error"]
        headend.terminate()
        headend.wait(timeout=15)
