"""Call-centre IVR (3131) voice gateway channel, after AudioCodes VoiceAI
Connect's bot API: the gateway does speech recognition and TTS, Dana gets
text and answers with speakable text plus what the call should do next.

POST /webhooks/voice/webhook, ``Authorization: Bearer <token>``:
request ``{"call_id", "caller", "language", "event": start|message|end, "text"}``,
answer ``{"call_id", "messages": [{"text"}], "action": continue|transfer|hangup,
"transfer": {"queue", "context"}}``. The contract is in docs/channels/voice.md.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import LIMITS
from bot.log_privacy import mask  # noqa: F401 — one masking module for every log line
from bot.office import handoff as handoffs
from bot.server import metrics
from bot.server.nlg import text_outside_a_turn
from bot.text.language.reply import UNDECIDED, reply_language, start_text
from channels.base import GuardedInput
from channels.speech import speakable

logger = logging.getLogger(__name__)

CHANNEL = "voice"
LANGUAGES = ("kk", "ru")
EVENTS = ("start", "message", "end")
MAX_TEXT = 5_000
MAX_ID = LIMITS.max_conversation_id_chars - len(CHANNEL) - 1  # the conversation is «voice:<call_id>»
QUEUE_PREFIX = "home_internet_"

# What the channel says by itself (domain/responses/channels.yml, voice variations):
# nothing was recognised, so Dana has nothing to answer;
NOT_HEARD = "utter_voice_not_heard"
# Dana itself failed: the caller goes to an operator rather than hear silence;
FAILED = "utter_voice_failed"
# said instead of Dana's chat hand-off text («an operator will answer here»):
# the caller is already on the line and is being put through.
TRANSFERRING = "utter_voice_transferring"


def say(response: Text, language: Optional[str]) -> str:
    """A response's voice variation; UNDECIDED (None): the Kazakh and the Russian one."""
    return text_outside_a_turn(response, language, channel=CHANNEL)


class BadRequest(ValueError):
    """The body breaks the contract; the message goes back to the gateway."""


def parse_body(raw: bytes) -> Dict[str, Any]:
    """The request as a checked dict, or BadRequest with a clear message."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("body is not valid JSON") from error
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    call_id = body.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        raise BadRequest("call_id is required and must be a non-empty string")
    if len(call_id) > MAX_ID:
        raise BadRequest(f"call_id is longer than {MAX_ID} characters")
    event = body.get("event", "message")
    if event not in EVENTS:
        raise BadRequest(f"event must be one of {', '.join(EVENTS)}")
    language = body.get("language")
    if language is not None and language not in LANGUAGES:
        raise BadRequest('language must be "kk", "ru" or null')
    caller = body.get("caller")
    if caller is not None and (not isinstance(caller, str) or len(caller) > 32):
        raise BadRequest("caller must be a string (a phone number) or null")
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise BadRequest("text must be a string or null")
    if text and len(text) > MAX_TEXT:
        raise BadRequest(f"text is longer than {MAX_TEXT} characters")
    return {
        "call_id": call_id.strip(),
        "event": event,
        "language": language,
        "caller": caller or None,
        "text": text or "",
    }


def login_for_caller(caller: Optional[str]) -> Optional[str]:
    """The subscriber whose contact phone is calling, if exactly one matches (blocking:
    the back office's query; called in a thread)."""
    from bot.office.subscribers import login_for_phone
    from bot.text.parsing.phone import normalise_phone

    phone = normalise_phone(caller or "")
    return login_for_phone(phone) if phone else None


def build_reply(call_id: str, collected: List[Dict[str, Any]], language: Optional[str]) -> Dict[str, Any]:
    """Dana's collected messages → the gateway's answer (transfer on hand-off)."""
    messages, handoff = [], None
    for message in collected:
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
            handoff = custom["handoff"]
            continue
        said = speakable(message.get("text"), message.get("buttons") or message.get("quick_replies"))
        if said:
            messages.append({"text": said})
    reply: Dict[str, Any] = {"call_id": call_id, "messages": messages, "action": "continue"}
    if handoff is not None:
        # The conversation's language (the hand-off context), else the IVR's, else Kazakh.
        queue_language = reply_language(conversation=handoff.get("language"), hints=[language])
        reply["action"] = "transfer"
        reply["transfer"] = {"queue": QUEUE_PREFIX + queue_language, "context": handoff}
        reply["messages"] = [{"text": say(TRANSFERRING, queue_language)}]
    return reply


class VoiceOutput(CollectingOutputChannel):
    """Collects Dana's answers for the gateway. Its name picks the responses'
    ``channel: voice`` variations: short, spoken, numbers in words (bot/server/nlg.py)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL


class VoiceGatewayInput(GuardedInput):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "VoiceGatewayInput":
        return cls((credentials or {}).get("token") or "")

    def __init__(self, token: Text) -> None:
        self.token = token

    def authorised(self, header: Text) -> bool:
        scheme, _, given = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode())

    async def answer(self, authorization: Text, body: bytes, on_new_message) -> Tuple[int, Dict[str, Any]]:
        """(HTTP status, JSON) for one gateway request; kept apart from Sanic to be testable."""
        if not self.token:
            return 503, {"error": "voice channel not configured"}
        if not self.authorised(authorization):
            return 401, {"error": "wrong or missing bearer token"}
        try:
            call = parse_body(body)
        except BadRequest as error:
            return 400, {"error": str(error)}
        return 200, await self.handle(call, on_new_message)

    def routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("voice_webhook", __name__)
        say(NOT_HEARD, UNDECIDED)  # reads domain/ now, not during a caller's first turn

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.token else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status, body = await self.answer(request.headers.get("Authorization", ""), request.body, on_new_message)
            return response.json(body, status=status)

        return hook

    async def handle(self, call: Dict[str, Any], on_new_message) -> Dict[str, Any]:
        call_id, language = call["call_id"], call["language"]
        if call["event"] == "end":
            # A caller who hung up (after a transfer, too) is no one's to answer.
            try:
                await asyncio.to_thread(handoffs.close_conversation, f"{CHANNEL}:{call_id}", "ivr")
            except Exception as error:  # the call is over either way
                logger.warning("hand-offs of call %s not closed: %s", call_id, type(error).__name__)
            return {"call_id": call_id, "action": "hangup", "messages": []}
        metadata: Dict[str, Any] = {"call_id": call_id, "ivr_language": language}
        if call["event"] == "start":
            # The IVR menu choice sets only this turn's language (as the Telegram
            # channel does); Dana still detects the language of every utterance.
            text = start_text(language)
            metadata["caller"] = call["caller"]
            login = await self._lookup(call["caller"])
            if login:
                metadata["caller_login"] = login
        else:
            text = call["text"].strip()
            if not text:
                said_in = reply_language(hints=[language], default=UNDECIDED)
                return {"call_id": call_id, "messages": [{"text": say(NOT_HEARD, said_in)}], "action": "continue"}
        collector = VoiceOutput()
        try:
            await on_new_message(
                UserMessage(text, collector, f"{CHANNEL}:{call_id}", input_channel=CHANNEL, metadata=metadata)
            )
        except Exception:  # the caller must never hear silence: hand over instead
            logger.exception("voice turn failed (call %s)", call_id)
            metrics.handed_off(CHANNEL, "bot_error")  # the call goes to an operator
            lang = reply_language(hints=[language])
            return {
                "call_id": call_id,
                "messages": [{"text": say(FAILED, lang)}],
                "action": "transfer",
                "transfer": {
                    "queue": QUEUE_PREFIX + lang,
                    "context": {"language": lang, "reason": "bot_error", "intent": None},
                },
            }
        return build_reply(call_id, collector.messages, language)

    @staticmethod
    async def _lookup(caller: Optional[str]) -> Optional[str]:
        if not caller:
            return None
        try:
            # SQLAlchemy is blocking; keep the server's event loop free.
            login = await asyncio.to_thread(login_for_caller, caller)
        except Exception:  # no lookup just means Dana asks for the login
            logger.exception("caller lookup failed for %s", mask(caller))
            return None
        logger.debug("caller %s → login %s", mask(caller), mask(login))
        return login
