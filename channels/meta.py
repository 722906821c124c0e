"""Meta channel: Facebook Messenger, Instagram DMs and the WhatsApp Cloud API
on one webhook, since one Meta app delivers all three with the same signature.

- GET  /webhooks/meta/webhook: Meta's subscription check (hub.verify_token).
- POST /webhooks/meta/webhook: the body must carry a valid
  ``X-Hub-Signature-256`` (HMAC-SHA256 with the app secret), else 403. It is
  answered at once and handled in the background: Meta re-delivers anything
  not acknowledged within 20 s, and a turn with actions can take longer.
  Re-delivered messages (same message id) are dropped.
- Conversations are «messenger:<psid>», «instagram:<igsid>», «whatsapp:<wa_id>»;
  Rasa sees the input channel «messenger», «instagram» or «whatsapp».
- Quick replies, postbacks and WhatsApp reply buttons send their payload.
- Photos and files are receipts (bot/office/receipts.py checks type and size).
- Answers go out through the Graph API (channels/meta_graph.py).

Setting up a page, an Instagram account or a WhatsApp number: docs/channels/meta.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional, Set, Text

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import LIMITS
from bot.office.receipts import ReceiptRejected, keep_receipt
from bot.server.nlg import text_outside_a_turn
from bot.server.operator_desk import Undeliverable
from bot.text.language.reply import UNDECIDED
from channels.base import GuardedInput
from channels.meta_graph import DEFAULT_GRAPH_URL, GraphClient, TooBig, messenger_bodies, tag, whatsapp_bodies

logger = logging.getLogger(__name__)

_PLATFORMS = {"page": "messenger", "instagram": "instagram"}
# Meta's ids are 15–20 digits; a longer one (a forged or broken delivery)
# would not fit the conversation id «<platform>:<id>» and is skipped.
MAX_USER = LIMITS.max_conversation_id_chars - len("instagram:")
# A sticker, a voice note, a location …: said in both languages, the channel does
# not know the customer's (domain/responses/channels.yml).
UNSUPPORTED = "utter_unsupported_message"


@dataclass(frozen=True)
class Incoming:
    """One customer message, whatever the platform."""

    platform: Text  # messenger | instagram | whatsapp
    user: Text  # PSID, Instagram-scoped id or WhatsApp number
    key: Text  # for de-duplication
    text: Optional[Text] = None
    media: Optional[Text] = None  # attachment URL (Messenger, Instagram) or media id (WhatsApp)
    unsupported: bool = False

    @property
    def sender(self) -> Text:
        return f"{self.platform}:{self.user}"


def signature_ok(body: bytes, header: Optional[Text], secret: Text) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").strip().lower().encode())


def _dict(value: Any) -> Dict[Text, Any]:
    """A delivery's object, or {} when a field has another type (a signed body
    from Meta never has one, a replayed or forged-by-a-test one may)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _user(value: Any) -> Text:
    user = str(value or "")
    return user if len(user) <= MAX_USER else ""


def _messaging(platform: Text, event: Dict[Text, Any]) -> List[Incoming]:
    user = _user(_dict(event.get("sender")).get("id"))
    message, postback = event.get("message"), event.get("postback")
    if not user:
        return []
    if isinstance(postback, dict):
        text = str(postback.get("payload") or postback.get("title") or "")
        key = postback.get("mid") or f"{user}:{event.get('timestamp')}:{text}"
        return [Incoming(platform, user, f"{platform}:{key}", text=text)] if text else []
    if not isinstance(message, dict) or message.get("is_echo"):
        return []  # delivery and read receipts, reactions, the page's own messages
    mid = str(message.get("mid") or f"{user}:{event.get('timestamp')}")
    key = f"{platform}:{mid}"
    quick = _dict(message.get("quick_reply")).get("payload")
    if quick or message.get("text"):
        return [Incoming(platform, user, key, text=str(quick or message["text"]))]
    attachments = [a for a in _list(message.get("attachments")) if isinstance(a, dict)]
    files = [
        str(_dict(a.get("payload")).get("url"))
        for a in attachments
        if a.get("type") in ("image", "file")
        and _dict(a.get("payload")).get("url")
        and not _dict(a.get("payload")).get("sticker_id")
    ]  # the «like» thumb is an image too
    if files:  # several photos arrive as one message: each is a receipt
        return [Incoming(platform, user, f"{key}#{i}", media=url) for i, url in enumerate(files)]
    return [Incoming(platform, user, key, unsupported=True)] if attachments else []


def _whatsapp(message: Dict[Text, Any]) -> Optional[Incoming]:
    user, kind = _user(message.get("from")), message.get("type")
    if not user:
        return None
    key = f"whatsapp:{message.get('id') or user + ':' + str(message.get('timestamp'))}"
    if kind == "text":
        return Incoming("whatsapp", user, key, text=str(_dict(message.get("text")).get("body") or ""))
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        reply = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        return Incoming("whatsapp", user, key, text=str(reply.get("id") or reply.get("title") or ""))
    if kind == "button":  # a quick-reply button of a template message
        button = _dict(message.get("button"))
        return Incoming("whatsapp", user, key, text=str(button.get("payload") or button.get("text") or ""))
    if kind in ("image", "document") and _dict(message.get(kind)).get("id"):
        return Incoming("whatsapp", user, key, media=str(message[kind]["id"]))
    return Incoming("whatsapp", user, key, unsupported=True)


def parse_events(data: Dict[Text, Any], phone_number_id: Text = "") -> List[Incoming]:
    """The customer messages in one webhook delivery; everything else is skipped."""
    found: List[Incoming] = []
    kind = data.get("object")
    for entry in _list(data.get("entry")):
        if not isinstance(entry, dict):
            continue
        if kind in _PLATFORMS:
            for event in _list(entry.get("messaging")):
                if isinstance(event, dict):
                    found += _messaging(_PLATFORMS[kind], event)
        elif kind == "whatsapp_business_account":
            for change in _list(entry.get("changes")):
                value = _dict(_dict(change).get("value"))
                number = str(_dict(value.get("metadata")).get("phone_number_id") or "")
                if phone_number_id and number and number != phone_number_id:
                    continue  # another number of the same app: we could only answer from ours
                for message in _list(value.get("messages")):  # «statuses» (sent, read) carry none
                    incoming = _whatsapp(message) if isinstance(message, dict) else None
                    if incoming and (incoming.text or incoming.media or incoming.unsupported):
                        found.append(incoming)
    return found


class RecentIds:
    """Message ids seen lately (bounded): Meta re-delivers when unsure."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.ids: OrderedDict[Text, None] = OrderedDict()

    def seen(self, key: Text) -> bool:
        if key in self.ids:
            self.ids.move_to_end(key)
            return True
        self.ids[key] = None
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return False


class Turns:
    """One turn at a time per conversation, in arrival order, so a photo sent
    right after a text is answered after it. Locks are dropped when idle."""

    def __init__(self) -> None:
        self._locks: Dict[Text, List[Any]] = {}  # sender → [lock, users]

    @asynccontextmanager
    async def turn(self, sender: Text) -> AsyncIterator[None]:
        entry = self._locks.setdefault(sender, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(sender, None)


class Collector(CollectingOutputChannel):
    """Keeps each answer whole (Rasa's collector splits paragraphs into separate
    messages); the Graph side splits only at the platform's length limit."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


async def send_all(graph: GraphClient, platform: Text, user: Text, messages: List[Dict[Text, Any]]) -> bool:
    """True if every part was accepted by the Graph API."""
    for message in messages:
        if platform == "whatsapp":
            bodies = whatsapp_bodies(user, message)
        else:
            bodies = messenger_bodies(platform, user, message)
        for body in bodies:
            if not await graph.send(platform, user, body):
                return False  # later parts would make no sense without this one
    return True


class MetaOutput(OutputChannel):
    """A message outside a turn (an operator's), to the conversation
    «<platform>:<user>»; within Meta's 24-hour window (the desk checks it)."""

    @classmethod
    def name(cls) -> Text:
        return "meta"

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        platform, _, user = recipient_id.partition(":")
        if not await send_all(self.graph, platform, user, [message]):
            raise Undeliverable("refused_by_platform")


class MetaInput(GuardedInput):
    input_channels = ("messenger", "instagram", "whatsapp")

    @classmethod
    def name(cls) -> Text:
        return "meta"

    def get_output_channel(self) -> Optional[OutputChannel]:
        return MetaOutput(self.graph)

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "MetaInput":
        c = {k: str(v or "") for k, v in (credentials or {}).items()}
        return cls(
            c.get("app_secret", ""),
            c.get("verify_token", ""),
            c.get("page_access_token", ""),
            c.get("whatsapp_access_token", ""),
            c.get("whatsapp_phone_number_id", ""),
            c.get("graph_api_url") or DEFAULT_GRAPH_URL,
        )

    def __init__(
        self,
        app_secret: Text,
        verify_token: Text,
        page_access_token: Text = "",
        whatsapp_access_token: Text = "",
        whatsapp_phone_number_id: Text = "",
        graph_api_url: Text = DEFAULT_GRAPH_URL,
    ) -> None:
        self.app_secret, self.verify_token = app_secret, verify_token
        self.graph = GraphClient(graph_api_url, page_access_token, whatsapp_access_token, whatsapp_phone_number_id)
        self.recent, self.turns = RecentIds(), Turns()
        self._tasks: Set[asyncio.Task] = set()  # the loop keeps only weak references

    def routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("meta_webhook", __name__)
        text_outside_a_turn(UNSUPPORTED, UNDECIDED)  # reads domain/ now, not in the first chat's turn

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.app_secret else "not configured"})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            given = request.args.get("hub.verify_token") or ""
            if (
                self.verify_token
                and request.args.get("hub.mode") == "subscribe"
                and hmac.compare_digest(given.encode(), self.verify_token.encode())
            ):
                return response.text(request.args.get("hub.challenge") or "")
            return response.json({"error": "wrong verify token"}, status=403)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.app_secret:
                return response.json({"error": "Meta channel is not configured"}, status=503)
            body = request.body or b""
            if not signature_ok(body, request.headers.get("X-Hub-Signature-256"), self.app_secret):
                return response.json({"error": "wrong or missing X-Hub-Signature-256"}, status=403)
            try:
                data = json.loads(body)
                if not isinstance(data, dict):
                    raise ValueError("not an object")
            except ValueError:
                return response.json({"error": "body is not JSON"}, status=400)
            for incoming in parse_events(data, self.graph.phone_number_id):
                if not self.recent.seen(incoming.key):
                    task = asyncio.create_task(self._handle(incoming, on_new_message))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            return response.text("EVENT_RECEIVED")

        @hook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.graph.close()

        return hook

    async def _handle(self, incoming: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        async with self.turns.turn(incoming.sender):
            try:
                if incoming.unsupported:
                    await self._reply(incoming, [{"text": text_outside_a_turn(UNSUPPORTED, UNDECIDED)}])
                    return
                text, metadata = (incoming.text or "")[: LIMITS.max_message_chars], None
                if incoming.media:
                    text, receipt = "/send_receipt", await self._receipt(incoming)
                    metadata = {"receipt": receipt} if receipt else None
                collector = Collector()
                await on_new_message(
                    UserMessage(text, collector, incoming.sender, input_channel=incoming.platform, metadata=metadata)
                )
                await self._reply(incoming, collector.messages)
            except Exception as error:  # one bad message must not stop the channel
                # Type only: messages of Rasa's or aiohttp's errors can quote the text or a token.
                logger.error(
                    "%s message for %s failed: %s", incoming.platform, tag(incoming.sender), type(error).__name__
                )
                logger.debug("traceback", exc_info=True)

    async def _reply(self, incoming: Incoming, messages: List[Dict[Text, Any]]) -> None:
        await send_all(self.graph, incoming.platform, incoming.user, messages)

    async def _receipt(self, incoming: Incoming) -> Optional[Dict[Text, Any]]:
        """Download, check and store the file; None when it could not be fetched
        (Dana then asks for it again)."""
        limit = LIMITS.max_receipt_bytes
        try:
            if incoming.platform == "whatsapp":
                data = await self.graph.whatsapp_media(incoming.media or "", limit)
            else:  # Meta's CDN link from a signed delivery; it needs no token
                data = await self.graph.download(incoming.media or "", limit)
        except TooBig:
            return {"status": "rejected", "reason": "too_big"}
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError) as error:
            logger.warning(
                "%s attachment for %s not downloaded: %s", incoming.platform, tag(incoming.sender), type(error).__name__
            )
            return None
        try:
            # Blocking SQL and file I/O: in a thread, the event loop serves other chats.
            stored = await asyncio.to_thread(
                keep_receipt, conversation_id=incoming.sender, channel=incoming.platform, data=data
            )
        except ReceiptRejected as rejected:
            return {"status": "rejected", "reason": rejected.reason}
        return {"status": "stored", "request_kind": stored.request_kind, "request_id": stored.request_id}
