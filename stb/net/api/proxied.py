"""An upstream HTTP answer a route passes on to its client as it arrives (the provider's archive, the TV's
own timeshift buffer on loopback): opened with the TLS set-up made once, closed with its client however the
route or its player ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from stb.redirects import tls_context

CONNECT_S = 10.0


@dataclass
class Proxied:
    response: httpx.Response
    client: httpx.AsyncClient

    async def body(self) -> AsyncIterator[bytes]:
        """The answer's bytes as they come; the connection and its client closed at the end, or when the
        player leaves."""
        try:
            async for chunk in self.response.aiter_raw():
                yield chunk
        finally:
            await self.close()

    async def close(self) -> None:
        await self.response.aclose()
        await self.client.aclose()


async def open_upstream(url: str, headers: dict[str, str] | None = None) -> Proxied:
    """GET ``url`` (redirects not followed: the caller resolved and checked them), its body not read yet;
    httpx.HTTPError when it does not answer (nothing is left open then)."""
    client = httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(CONNECT_S, read=None),
                               verify=tls_context())  # fmt: skip
    try:
        response = await client.send(client.build_request("GET", url, headers=headers), stream=True)
    except httpx.HTTPError:
        await client.aclose()
        raise
    return Proxied(response, client)
