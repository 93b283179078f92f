"""The baseline the load runner compares against: bare Starlette + msgspec, the same PATCH and GET
on an in-memory dict, no auth, no negotiation, no database."""

from __future__ import annotations

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Patch(msgspec.Struct, rename="camel", omit_defaults=True):
    purpose: str | None = None


class Info(msgspec.Struct, rename="camel", omit_defaults=True):
    account_id: str | None = None
    account_name: str | None = None
    purpose: str | None = None
    id: str | None = None


SESSIONS: dict[str, Info] = {}
_decoder = msgspec.json.Decoder(Patch)
_encoder = msgspec.json.Encoder()


def _info(session_id: str) -> Info:
    return SESSIONS.setdefault(session_id, Info(account_id="a", account_name="Acme", id=session_id))


async def patch_session(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    patch = _decoder.decode(await request.body())
    info = _info(session_id)
    if patch.purpose is not None:
        info.purpose = patch.purpose
    return Response(_encoder.encode(info), media_type="application/json")


async def get_session(request: Request) -> Response:
    return Response(_encoder.encode(_info(request.path_params["session_id"])), media_type="application/json")


app = Starlette(
    routes=[
        Route("/ai/sessions/{session_id}", patch_session, methods=["PATCH"]),
        Route("/ai/sessions/{session_id}", get_session, methods=["GET"]),
    ]
)
