"""What Dana adds to rasa-sdk's action server: GET /metrics and the action metrics.

Through rasa-sdk's own extension point, no change to its code and no command of
Dana's: rasa-sdk 3.6 (rasa_sdk/plugin.py) imports a top-level package named
``rasa_sdk_plugins`` when one is on the path and lets its ``init_hooks`` register
pluggy hook implementations; ``rasa_sdk.endpoint.run`` then calls
``attach_sanic_app_extensions(app)`` on the Sanic app it built with its own
``create_app``, before it serves. Dana's ``rasa_sdk_plugins`` (the repository root;
Rasa's command line puts the working directory on the path, and PYTHONPATH is the
root in scripts/env.sh and the image) registers this module, so every action server
— ``rasa run actions --actions actions --port …`` in scripts/run.sh,
scripts/cluster.sh, deploy/ and the tests — has them.

Each call of ``POST /webhook`` is timed from its arrival to its response (request
and response middleware) and counted by action and outcome (bot/server/metrics.py
``action_done``). The action's name is read from the body Sanic has already parsed
(the handler reads the same parse); a name the server does not have is ``other``.
One process per action server (rasa-sdk's default, SANIC_WORKERS unset), so one
registry holds its counts.
"""

from __future__ import annotations

import json
import time
import zlib
from typing import Any, Optional

import pluggy
from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from bot.server import metrics

hookimpl = pluggy.HookimplMarker("rasa_sdk")
_STARTED = "dana_started"  # request.ctx attribute: when the call arrived


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    app.add_route(scrape, "/metrics", methods=["GET"], name="dana_metrics")
    app.register_middleware(call_arrived, "request")
    app.register_middleware(call_answered, "response")


async def scrape(_: Request) -> HTTPResponse:
    body, content_type = metrics.exposition()
    return HTTPResponse(body, content_type=content_type, headers={"Cache-Control": "no-store"})


async def call_arrived(request: Request) -> None:
    # Sanic runs request middleware again before an exception's response: the first time counts.
    if request.method != "POST" or request.path != "/webhook" or hasattr(request.ctx, _STARTED):
        return None
    request.ctx.dana_action = action_name(request)
    setattr(request.ctx, _STARTED, time.perf_counter())
    return None


async def call_answered(request: Request, response: BaseHTTPResponse) -> None:
    started = getattr(request.ctx, _STARTED, None)
    if started is not None:
        metrics.action_done(request.ctx.dana_action, response.status, time.perf_counter() - started)
    return None


def action_name(request: Request) -> Optional[str]:
    """``next_action`` of an action call, as rasa-sdk's webhook reads the body; None if unreadable
    (the webhook then answers the error itself)."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":  # COMPRESS_ACTION_SERVER_REQUEST
            call: Any = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
    except Exception:
        return None
    name = call.get("next_action") if isinstance(call, dict) else None
    return name if isinstance(name, str) else None
