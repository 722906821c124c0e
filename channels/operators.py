"""The operator API: live operators (or a contact-centre platform acting for
them) take hand-offs and answer customers where they wrote. docs/operator-api.md
describes it; bot/server/operator_desk.py does the work.

Under /webhooks/operators/, every call authenticated by
``Authorization: Bearer <DANA_OPERATOR_API_TOKEN>`` or, for a platform that signs
like Dana's hand-off webhook, ``X-Dana-Signature: sha256=<HMAC-SHA256 of the
body with DANA_HANDOFF_WEBHOOK_SECRET>`` (a GET signs the empty body):

- GET  /queue                       open hand-offs, oldest first, with transcripts
- GET  /handoffs/<id>               one hand-off with its transcript
- POST /handoffs/<id>/claim         {"operator": "<id>"}
- POST /handoffs/<id>/messages      {"operator": "<id>", "text": "<message>"}
- POST /handoffs/<id>/close         {"operator": "<id>"}
- POST /requests/<kind>/<id>/status {"operator": "<id>", "status": "<status>"}: a
  ticket's, refund's, investigation's or callback's; the customer is told of some

Each step is recorded with the operator's id (staff_actions). The registered
server also runs the desk's watch: hand-offs nobody took in time are told so.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import LIMITS
from bot.office import handoff as handoffs
from bot.office import notices
from bot.office.handoff_delivery import signature
from bot.server.operator_desk import Desk, Undeliverable
from channels.base import output_for, registered

logger = logging.getLogger(__name__)

_OPERATOR = re.compile(r"[\w.@+-]{1,64}")
REFUSED_STATUS = {"not_found": 404, "resolved": 409, "taken": 409, "not_claimed": 409}


class OperatorAPI(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "operators"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "OperatorAPI":
        given = credentials or {}
        return cls(str(given.get("token") or ""), str(given.get("secret") or ""))

    def __init__(self, token: Text = "", secret: Text = "") -> None:
        self.token = token or os.environ.get("DANA_OPERATOR_API_TOKEN", "")
        self.secret = secret or os.environ.get("DANA_HANDOFF_WEBHOOK_SECRET", "")
        self._tasks: Set[asyncio.Task] = set()

    def _authorised(self, request: Request) -> bool:
        bearer = request.headers.get("Authorization") or ""
        if self.token and bearer.startswith("Bearer "):
            return hmac.compare_digest(bearer[7:].encode(), self.token.encode())
        signed = request.headers.get("X-Dana-Signature") or ""
        if self.secret and signed:
            return hmac.compare_digest(signed.encode(), signature(request.body or b"", self.secret).encode())
        return False

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        api = Blueprint("operator_api", __name__)
        desk: Dict[str, Desk] = {}

        @api.listener("before_server_start")
        async def start(app: Any, _loop: Any) -> None:
            # Rasa 3.6 never fills this; its own «output_channel=latest» needs it too.
            app.ctx.input_channels = registered()
            desk["desk"] = Desk(app, output_for)

        @api.listener("after_server_start")
        async def watch(app: Any, _loop: Any) -> None:
            task = asyncio.ensure_future(desk["desk"].watch())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        @api.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            for task in list(self._tasks):
                task.cancel()

        @api.middleware("request")
        async def authenticate(request: Request) -> Optional[HTTPResponse]:
            if not (self.token or self.secret):
                return response.json({"error": "operator API not configured (DANA_OPERATOR_API_TOKEN)"}, status=503)
            if not self._authorised(request):
                return response.json({"error": "wrong or missing credentials"}, status=401)
            return None

        async def with_transcript(found: Dict[str, Any]) -> Dict[str, Any]:
            return {**found, "transcript": await desk["desk"].transcript(found["conversation_id"])}

        @api.route("/queue", methods=["GET"])
        async def queue(request: Request) -> HTTPResponse:
            waiting = await asyncio.to_thread(handoffs.waiting)
            return response.json({"handoffs": [await with_transcript(found) for found in waiting]})

        @api.route("/handoffs/<handoff_id:int>", methods=["GET"])
        async def one(request: Request, handoff_id: int) -> HTTPResponse:
            found = await asyncio.to_thread(handoffs.get, handoff_id)
            if found is None:
                return response.json({"error": "no such hand-off"}, status=404)
            return response.json(await with_transcript(found))

        async def step(request: Request, handoff_id: int, service: Any, then: Any) -> HTTPResponse:
            """A claim or a close: the hand-off's row first, then the conversation."""
            operator, _, problem = _body(_json(request), text=False)
            if problem:
                return problem
            try:
                changed = await asyncio.to_thread(service, handoff_id, operator)
            except handoffs.HandoffRefused as refused:
                return _refused(refused)
            await then(changed["conversation_id"])
            return response.json(changed)

        @api.route("/handoffs/<handoff_id:int>/claim", methods=["POST"])
        async def claim(request: Request, handoff_id: int) -> HTTPResponse:
            return await step(request, handoff_id, handoffs.claim, desk["desk"].join)

        @api.route("/handoffs/<handoff_id:int>/messages", methods=["POST"])
        async def message(request: Request, handoff_id: int) -> HTTPResponse:
            operator, text, problem = _body(_json(request), text=True)
            if problem:
                return problem
            try:
                taken = await asyncio.to_thread(handoffs.check_operator, handoff_id, operator, "reply")
                await desk["desk"].send(taken["conversation_id"], text, operator)
            except handoffs.HandoffRefused as refused:
                return _refused(refused)
            except Undeliverable as undeliverable:
                return response.json({"error": undeliverable.reason}, status=409)
            return response.json({"status": "sent"})

        @api.route("/handoffs/<handoff_id:int>/close", methods=["POST"])
        async def close(request: Request, handoff_id: int) -> HTTPResponse:
            return await step(request, handoff_id, handoffs.close, desk["desk"].close)

        @api.route("/requests/<kind:str>/<request_id:int>/status", methods=["POST"])
        async def request_status(request: Request, kind: str, request_id: int) -> HTTPResponse:
            body = _json(request)
            operator, _, problem = _body(body, text=False)
            if problem:
                return problem
            status = body.get("status")
            try:
                told = await asyncio.to_thread(notices.set_request_status, kind, request_id, str(status), operator)
            except notices.StatusRefused as refused:
                return response.json({"error": refused.reason}, status=404 if refused.reason == "not_found" else 400)
            return response.json({"status": status, "customer_told": told})

        return api


def _json(request: Request) -> Any:
    """The request's JSON body (None if it is not JSON), parsed once per call."""
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None


def _body(body: Any, *, text: bool) -> Tuple[Text, Text, Optional[HTTPResponse]]:
    """(operator, text, None) from a parsed JSON body, or the 400 saying what is wrong."""
    if not isinstance(body, dict):
        return "", "", response.json({"error": "body must be a JSON object"}, status=400)
    operator, said = body.get("operator"), body.get("text")
    if not isinstance(operator, str) or not _OPERATOR.fullmatch(operator):
        return "", "", response.json({"error": '"operator": 1–64 letters, digits or ._@+-'}, status=400)
    if text and (not isinstance(said, str) or not said.strip() or len(said) > LIMITS.max_message_chars):
        error = f'"text": a non-empty message of at most {LIMITS.max_message_chars} characters'
        return "", "", response.json({"error": error}, status=400)
    return operator, said.strip() if text and isinstance(said, str) else "", None


def _refused(refused: handoffs.HandoffRefused) -> HTTPResponse:
    return response.json({"error": refused.reason}, status=REFUSED_STATUS.get(refused.reason, 409))
