"""Routes: who the box is (public), pairing a device with the code on the TV, and the paired devices."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stb.errors import NotFound
from stb.net.api.access import authed
from stb.net.api.context import API, Ctx
from stb.net.api.document import BODY, problems
from stb.net.api.models import BoxInfo, PairCode, Paired, PairedDevice, PairingStarted, PairRequest

router = APIRouter(prefix=API)


@router.get("/box", summary="Who this box is (public)", responses=problems())
async def box(ctx: Ctx) -> BoxInfo:
    return BoxInfo(**ctx.box_info(), tls_port=ctx.tls_port, fingerprint=ctx.fingerprint)


def client_address(request: Request) -> str:
    """Who sent it, as the socket says (never a header: ``X-Forwarded-For`` is anyone's to write)."""
    return request.client.host if request.client is not None else "unknown"


@router.post("/pairing", status_code=202, summary="Ask to pair: the TV shows a 6-digit code (in turn)",
             responses=problems(*BODY, 429, 503))  # fmt: skip
async def pair_begin(body: PairRequest, request: Request, ctx: Ctx) -> PairingStarted:
    pending = ctx.auth.begin(body.name, client_address(request))
    return PairingStarted(pairing_id=pending.id, expires_in=round(ctx.auth.expires_in(pending)),
                          shown=pending.shown, fingerprint=ctx.fingerprint)  # fmt: skip


@router.post("/pairing/{pairing_id}", summary="Send the code from the TV; returns the token once",
             responses=problems(*BODY, 403, 404, 409, 410, 429))  # fmt: skip
async def pair_complete(pairing_id: str, body: PairCode, request: Request, ctx: Ctx) -> Paired:
    device, secret = ctx.auth.complete(pairing_id[:64], body.code, client_address(request))
    ctx.hub.publish("devices", {"paired": device.name})
    return Paired(token=secret, device_id=device.id, name=device.name)


@router.get("/devices", dependencies=authed, summary="Paired devices", responses=problems(401))
async def devices(ctx: Ctx) -> list[PairedDevice]:
    return [PairedDevice(id=d.id, name=d.name, paired_at=d.paired_at, last_seen=d.last_seen)
            for d in ctx.auth.devices()]  # fmt: skip


@router.delete("/devices/{device_id}", dependencies=authed, status_code=204, response_class=Response,
               summary="Revoke a device", responses=problems(401, 404))  # fmt: skip
async def revoke(device_id: str, ctx: Ctx) -> Response:
    if not ctx.auth.revoke(device_id[:64]):
        raise NotFound(f"no paired device {device_id[:64]!r}")
    ctx.sessions.revoked(device_id[:64])  # its open streams end now (a revocation on the TV: within a moment)
    return Response(status_code=204)
