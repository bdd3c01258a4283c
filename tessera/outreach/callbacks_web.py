"""The providers' callback endpoints: ``POST /hooks/outreach/{channel_id}/{token}/receipts``
and ``…/inbound`` (public paths: the unguessable per-channel token is the credential, plus
the signature for the generic webhook format; see receipts.py). Answers are the provider's
expected JSON; refusals are 400 (malformed), 401 (signature), 404 (unknown address) and 413
(over 1 MB), each with an English and a Chinese message."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tessera.outreach.errors import CallbackRefused
from tessera.outreach.receipts import handle_callback

__all__ = ["CALLBACK_ROUTES", "MAX_BODY"]

MAX_BODY = 1 << 20
NO_STORE = {"cache-control": "no-store"}


def _refusal(exc: CallbackRefused) -> Response:
    return JSONResponse({"error": {"code": exc.code, "message": exc.message("en"),
                                   "message_zh": exc.message("zh")}},
                        status_code=exc.http_status, headers=NO_STORE)


async def provider_callback(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refusal(CallbackRefused(413, "The callback body is over 1 MB; send fewer reports "
                                        "per call.", "回调内容超过 1 MB，请分批发送。"))
    p = request.path_params
    try:
        answer = await run_in_threadpool(handle_callback, request.app.state.engine,
                                         p["channel_id"], p["token"], p["what"], body,
                                         {k.lower(): v for k, v in request.headers.items()})
    except CallbackRefused as exc:
        return _refusal(exc)
    return JSONResponse(answer, headers=NO_STORE)


CALLBACK_ROUTES = [
    Route("/hooks/outreach/{channel_id:int}/{token}/{what}", provider_callback,
          methods=["POST"], name="outreach_callback"),
]
