"""The OpenAPI document's side of errors: every route states each status code it can answer with, errors
as ``application/problem+json``, so a client generated from it (and the schemathesis fuzz in the tests)
can rely on it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from stb.net.api.gate import MAX_BODY
from stb.net.api.problems import Problem

BODY = (400, 413)  # what a route with a body can add: not JSON, too large

PROBLEMS = {
    400: "The body is not JSON",
    413: f"The body is over {MAX_BODY // 1024} KiB",
    401: "Not paired: no token, or a revoked one; or a signed stream URL that is altered, expired or revoked",
    403: "Wrong pairing code, or a channel or recording the parental lock keeps from other screens",
    404: "No such thing (channel, key, pairing, device, recording, HLS segment)",
    409: "Busy: another device is pairing, or too many devices",  # timers: recordings.CONFLICT says more
    410: "The pairing code expired",
    416: "A byte range that starts past the end of the recording (Content-Range says its size)",
    421: "The Host header names someone else's domain (DNS rebinding)",
    422: "The request does not match this document",
    429: "Pairing locked out after wrong codes, or a device's cap of open streams reached (the title names the cap; "
    "see Retry-After)",
    502: "The channel's source sends nothing (the detail says what it last said)",
    503: "The box did not answer in time, every relay slot is taken, or the TV shows nothing to relay (Retry-After)",
}


def problems(*codes: int, ok: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that can fail with ``codes`` (421 and 422 always can; 400 with a body), after
    ``ok``, its 200 answer when the return type does not say it (a stream, an image)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    answers: dict[int | str, dict[str, Any]] = {200: ok} if ok is not None else {}
    return answers | {code: {"description": PROBLEMS[code], "content": {"application/problem+json": {"schema": schema}}}
                      for code in sorted({421, 422, *codes})}  # fmt: skip


def head_problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``problems`` of a HEAD route: the same answers, none with a body (a HEAD answer never has one)."""
    answers: dict[int | str, dict[str, Any]] = {200: {"description": "The headers a GET would get, no body"}}
    return answers | {code: {"description": PROBLEMS[code]} for code in sorted({421, 422, *codes})}


def with_problem_schema(app: FastAPI, extra: tuple[type[BaseModel], ...] = ()) -> None:
    """``app.openapi()`` is FastAPI's document plus the Problem schema every error response refers to (and
    ``extra`` problem models that some routes answer with)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema()
            for model in extra:  # problems with more than the usual four fields (a timer conflict's timers)
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, inner in schema.pop("$defs", {}).items():
                    schemas.setdefault(name, inner)
                schemas[model.__name__] = schema
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
