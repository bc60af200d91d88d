"""How much one client may hold at once: requests in progress (in all, per address, on the public routes) and
open streams per device. One object per box, read at each request, so a bench that plays many screens with
one token from loopback can raise the caps it is not measuring."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_REQUESTS = 128  # in progress at once (event and relay streams included); past it, 503
#: Per client address, in progress at once; past it 429 and the connection closed. A household device holds a few
#: streams and asks one thing at a time; an address that never reads its answers holds its slots (until
#: stb.net.http drops a write that makes no progress), so one address may not hold many.
MAX_PER_ADDRESS = 32
#: The public routes (the page's files, who the box is, pairing) are what anyone can ask for: tighter, per address
#: and in all, so unpaired clients can never take the slots paired ones need.
MAX_PUBLIC_PER_ADDRESS = 8
MAX_PUBLIC = 48
#: Per client address, connections open at once (stb.net.http, on each of the box's ports): past it, a new one is
#: answered 429 and closed before any of its requests is read, unless one of the address's own connections sits idle
#: (that one is closed instead). As many as the requests it may have in progress: HTTP/1.1 asks one at a time.
MAX_CONNECTIONS_PER_ADDRESS = MAX_PER_ADDRESS

EVENT_STREAMS = "event streams"
RELAY_STREAMS = "relay streams"
HLS_CLIENTS = "HLS requests"  # an HLS client holds a slot only while it asks: its requests in progress count
#: Per device, open at once. A household device needs one or two of each (a page, a mirror, a picture-in-picture).
PER_DEVICE = {EVENT_STREAMS: 8, RELAY_STREAMS: 8, HLS_CLIENTS: 8}


@dataclass
class Limits:
    requests: int = MAX_REQUESTS
    per_address: int = MAX_PER_ADDRESS
    public: int = MAX_PUBLIC
    public_per_address: int = MAX_PUBLIC_PER_ADDRESS
    connections_per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    per_device: dict[str, int] = field(default_factory=lambda: dict(PER_DEVICE))

    def raise_for_one_client(self, streams: int) -> None:
        """A bench's many screens on one token from one address: room for ``streams`` of each kind and the rest."""
        for kind in self.per_device:
            self.per_device[kind] = max(self.per_device[kind], streams)
        self.per_address = max(self.per_address, self.requests)
        self.connections_per_address = max(self.connections_per_address, self.requests)
