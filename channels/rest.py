"""Rasa's REST channel with its body checked: POST /webhooks/rest/webhook.

Rasa 3.6's ``RestInput`` trusts the body: no body or a JSON array answers 500
(``None.get``), a number as the message fails inside ``UserMessage`` and the
client gets ``[]`` as if Dana had nothing to say, and the body may choose the
``input_channel`` Dana believes the customer is on. Here a bad body gets a 400
saying what is expected; the channel name, URL and answers stay Rasa's.

Body: ``{"sender": "<id, 1–128 characters>", "message": "<text>", "metadata": {…},
"message_id": "<id>"}`` (metadata and message_id optional). Text beyond
``LIMITS.max_message_chars`` is cut, as on every other channel.

A message sent again is answered once. The cluster's balancer gives every
request an id (``X-Dana-Message-Id``) and, when the server it chose dies before
answering, sends the same request with the same id to the other server
(deploy/haproxy.cfg); a client may also send its own ``message_id`` and repeat a
request it got no answer to. If the conversation already holds a message with
that id, the answer stored after it is returned and nothing is processed again;
if not, the dead server never finished it (a turn's events are saved together
at its end) and it is processed now.

Messages said outside a turn (an operator's reply, Dana's «no operator yet»)
stay in the conversation: ``GET /webhooks/rest/messages?sender=<id>&after=<unix
time>`` returns what was said to the sender after that moment, oldest first,
each with its ``timestamp`` and who said it (``from``: dana or operator).
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple, Union

from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.config import LIMITS
from bot.server.operator_desk import operator_of
from bot.server.tracker_store import stored_replies
from channels.base import GuardedInput

logger = logging.getLogger(__name__)

MAX_SENDER = LIMITS.max_conversation_id_chars
MESSAGE_ID_HEADER = "X-Dana-Message-Id"
_MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
EXPECTED = 'expected a JSON object {"sender": "<id>", "message": "<text>"}'


class BadBody(ValueError):
    pass


def parse_body(raw: bytes) -> Tuple[Text, Text, Optional[Dict[Text, Any]], Optional[Text]]:
    """(sender, message, metadata, the client's message id) of a REST request, or
    BadBody saying what is wrong."""
    if len(raw or b"") > LIMITS.max_rest_body_bytes:
        raise BadBody(f"body larger than {LIMITS.max_rest_body_bytes} bytes")
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as error:
        raise BadBody(f"body is not valid UTF-8 JSON; {EXPECTED}") from error
    if not isinstance(body, dict):
        raise BadBody(EXPECTED)
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER:
        raise BadBody(f'"sender" must be a non-empty string of at most {MAX_SENDER} characters')
    if not isinstance(message, str) or not message.strip():
        raise BadBody('"message" must be a non-empty string')
    if metadata is not None and not isinstance(metadata, dict):
        raise BadBody('"metadata" must be a JSON object')
    message_id = body.get("message_id")
    if message_id is not None and not (isinstance(message_id, str) and _MESSAGE_ID.fullmatch(message_id)):
        raise BadBody('"message_id" must be 1–64 letters, digits or ._:-')
    return sender, message[: LIMITS.max_message_chars], metadata, message_id


def balancer_message_id(request: Request) -> Optional[Text]:
    """The id the balancer gave the request (deploy/haproxy.cfg), if well-formed."""
    header = request.headers.get(MESSAGE_ID_HEADER)
    return header if isinstance(header, str) and _MESSAGE_ID.fullmatch(header) else None


def _as_sent(sender: Text, bot_event: Dict[Text, Any]) -> Dict[Text, Any]:
    """A stored bot event as the REST channel sends a message."""
    sent: Dict[Text, Any] = {"recipient_id": sender}
    if bot_event.get("text"):
        sent["text"] = bot_event["text"]
    sent.update({key: value for key, value in (bot_event.get("data") or {}).items() if value})
    return sent


class KeptOutput(OutputChannel):
    """Outside a turn the REST client is not listening: what is said is only
    kept in the conversation (the desk and Rasa store it), for ``/messages``."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        pass


def said_after(events: Any, after: float) -> List[Dict[Text, Any]]:
    """The bot messages of ``events`` later than ``after``, as /messages returns them."""
    said = []
    for event in events:
        if isinstance(event, BotUttered) and (event.timestamp or 0) > after:
            who = "operator" if operator_of(event) else "dana"
            message: Dict[Text, Any] = {"timestamp": event.timestamp, "from": who}
            if event.text:
                message["text"] = event.text
            message.update({key: value for key, value in (event.data or {}).items() if value})
            said.append(message)
    return said


class RestInput(GuardedInput, rest.RestInput):
    def get_output_channel(self) -> Optional[OutputChannel]:
        return KeptOutput()

    def routes(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        hook = Blueprint("custom_webhook_RestInput", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                sender, text, metadata, message_id = parse_body(request.body)
            except BadBody as error:
                status = 413 if "larger" in str(error) else 400
                return response.json({"error": str(error)}, status=status)
            if request.args.get("stream", "").lower() == "true":
                return response.stream(
                    self.stream_response(on_new_message, text, sender, self.name(), metadata),
                    content_type="text/event-stream",
                )
            message_id = message_id or balancer_message_id(request)
            if message_id:
                stored = await stored_replies(request.app.ctx.agent.tracker_store, sender, message_id)
                if stored is not None:  # processed before (by a server that then died): not again
                    return response.json([_as_sent(sender, event) for event in stored])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text, collector, sender, input_channel=self.name(), metadata=metadata, message_id=message_id
                    )
                )
            except CancelledError:  # the client hung up
                logger.warning("rest: client gone before the answer")
            except Exception as error:  # bot/server/message_guard.py answers failures; this is its safety net
                logger.error("rest: message failed: %s", type(error).__name__)
            return response.json(collector.messages)

        @hook.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            sender = request.args.get("sender") or ""
            try:
                after = float(request.args.get("after") or 0)
            except ValueError:
                after = -1.0
            if not sender or len(sender) > MAX_SENDER or after < 0:
                return response.json({"error": "expected ?sender=<id>&after=<unix time, optional>"}, status=400)
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
            return response.json({"messages": said_after(tracker.events if tracker else [], after)})

        return hook
