"""Chatwoot as Dana's contact centre: the operator API's first user (issue 19).

Dana → Chatwoot, ``POST /webhooks/chatwoot/dana`` (DANA_HANDOFF_WEBHOOK_URL points
here): Dana's hand-off webhook, checked against ``X-Dana-Signature``; a repeated
``X-Dana-Delivery`` is answered without doing anything again.

- ``handoff``: the customer is found (or created) as a contact whose
  ``identifier`` is Dana's conversation id, so an agent sees their earlier
  hand-offs; a conversation is created in the API inbox with status ``open`` and
  ``custom_attributes.dana_handoff_id``; Dana's summary and transcript go in as
  one private note. A note, not the conversation's messages: Dana's past answers
  posted as outgoing messages would be sent to the customer again (Chatwoot
  delivers every outgoing message of an inbox) and counted as the agents' replies
  in Chatwoot's reports, and the customer's as new unread messages.
- ``customer_message``: an incoming message of that conversation.

The link hand-off ↔ conversation is kept by Chatwoot itself: the conversation's
``custom_attributes`` (and ``additional_attributes``, which older Chatwoot
versions' payloads carry instead) come back in every webhook event and in the
contact's conversation list, so any Rasa server of the cluster finds it; this
process only caches it.

Chatwoot → Dana, ``POST /webhooks/chatwoot/agent_bot``: Chatwoot's webhook events,
sent to the API inbox's webhook URL, an agent bot's outgoing URL or an account
webhook. An agent's public reply goes to the operator API as that agent
(``chatwoot-<user id>``), the hand-off claimed on their first reply; a reply Dana
cannot deliver comes back as a private note saying why. A resolved conversation
closes the hand-off. The operator API is called over HTTP (DANA_OPERATOR_API_URL,
this server by default) so the adapter could run anywhere.

Chatwoot as documented (github.com/chatwoot/chatwoot, chatwoot/docs):
- Application API under ``/api/v1/accounts/<account>/``, header ``api_access_token``:
  an agent's or admin's access token; an agent bot's reaches conversations and
  messages only, not contacts (app/controllers/concerns/access_token_auth_helper.rb).
- ``POST contacts`` {inbox_id, name, identifier} → ``{"payload": {"contact": {id, …},
  "contact_inbox": {"source_id"}}}``: swagger/definitions/request/contact/create_payload.yml,
  app/views/api/v1/accounts/contacts/create.json.jbuilder.
- ``GET contacts/search?q=&page=`` → ``{"payload": [contact with "identifier" and
  "contact_inboxes": [{source_id, inbox: {id}}]]}``, 15 a page, matched on name,
  identifier, e-mail, phone: swagger/paths/application/contacts/search.yml,
  search.json.jbuilder, app/views/api/v1/models/_contact(_inbox).json.jbuilder.
- ``POST contacts/<id>/contact_inboxes`` {inbox_id} → {source_id, inbox}:
  contacts/contact_inboxes/create.json.jbuilder.
- ``GET contacts/<id>/conversations`` → ``{"payload": [conversation]}``:
  contacts/conversations/index.json.jbuilder, conversations/partials/_conversation.json.jbuilder.
- ``POST conversations`` {source_id, inbox_id, contact_id, status, custom_attributes,
  additional_attributes} → the conversation, ``id`` being the display id the other
  paths take: swagger/definitions/request/conversation/create_payload.yml. An inbox
  locked to a single conversation answers with its last one
  (app/builders/conversation_builder.rb): the attribute is then set with
  ``POST conversations/<id>/custom_attributes`` {custom_attributes}.
- ``POST conversations/<id>/toggle_status`` {status}: with an agent bot on the
  inbox every new conversation starts ``pending`` and the bot hands it to people by
  making it ``open`` (docs/product/others/agent-bots.md, «Human Agent Handoff»).
- ``POST conversations/<id>/messages`` {content, message_type: incoming|outgoing,
  private}: swagger/definitions/request/conversation/create_message_payload.yml;
  ``incoming`` is allowed in API inboxes only (app/builders/messages/message_builder.rb);
  at most 150 000 characters (app/models/message.rb).
- Events (docs/product/others/webhook-events.md; Message#webhook_data,
  Conversations::EventDataPresenter#push_data): ``message_created`` is the message
  {id, content, message_type "incoming"|"outgoing", private, sender, conversation};
  an agent is ``sender.type == "user"`` {id, name, email} (User#webhook_data), an
  agent bot ``"agent_bot"``. ``conversation_status_changed`` and ``conversation_updated``
  (account and API inbox webhooks) and ``conversation_resolved`` (agent bots, which
  do not get the first yet) are the conversation itself with its ``status``,
  ``inbox_id``, ``custom_attributes`` and ``meta.assignee``.
- Authenticity: since Chatwoot 4.11.2 (account webhooks, chatwoot#13573) and 4.13.0
  (API inbox and agent bot webhooks, chatwoot#13892) a webhook carries
  ``X-Chatwoot-Signature: sha256=<HMAC-SHA256 of "<X-Chatwoot-Timestamp>.<body>">``
  with the webhook's secret; older versions sign nothing, so the URL carries
  ``?token=``. CHATWOOT_WEBHOOK_TOKEN is the one or the other.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Text, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import ASTANA
from bot.office.handoff_delivery import signature

logger = logging.getLogger(__name__)

HANDOFF_KEY = "dana_handoff_id"  # the conversation attribute that names Dana's hand-off
NOTE_CHARS = 50_000  # per private note, well under Chatwoot's 150 000
SEARCH_PAGE, SEARCH_PAGES = 15, 5  # contacts/search answers 15 a page; a conversation id is specific
SIGNATURE_AGE = 300  # seconds a signed Chatwoot event is taken (chatwoot#13573 advises ~5 minutes)
TIMEOUT = aiohttp.ClientTimeout(total=8)  # under Dana's 10 s per webhook attempt
CLOSING_EVENTS = ("conversation_status_changed", "conversation_updated", "conversation_resolved")


class ChatwootError(Exception):
    """Chatwoot refused a call (its HTTP status) or did not answer."""


class NotLinked(Exception):
    """No Chatwoot conversation for the hand-off yet (its hand-off event is still on its way)."""


class Bounded(OrderedDict):
    """A dict that forgets its oldest keys beyond ``size``."""

    def __init__(self, size: int = 10_000) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        if len(self) > self.size:
            self.popitem(last=False)


def handoff_of(conversation: Any) -> Optional[int]:
    """The Dana hand-off a Chatwoot conversation (event or API answer) carries."""
    if not isinstance(conversation, dict):
        return None
    for attributes in (conversation.get("custom_attributes"), conversation.get("additional_attributes")):
        value = attributes.get(HANDOFF_KEY) if isinstance(attributes, dict) else None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return int(value)
    return None


def agent_of(who: Any) -> Optional[Text]:
    """Dana's operator id for a Chatwoot agent; None for a contact or a bot. The
    id, not the e-mail: an assignee (``meta.assignee``) carries no e-mail."""
    if not isinstance(who, dict) or who.get("type", "user") != "user" or not isinstance(who.get("id"), int):
        return None
    return f"chatwoot-{who['id']}"


def agent_reply(event: Dict[Text, Any]) -> Optional[Tuple[int, int, Text, Text]]:
    """(hand-off, conversation, operator, text) when ``message_created`` is an
    agent's public reply in a Dana conversation; None for the rest: the customer's
    messages and Dana's notes coming back, agents' private notes, bots."""
    conversation = event.get("conversation") or {}
    handoff, text, operator = handoff_of(conversation), event.get("content"), agent_of(event.get("sender"))
    if event.get("message_type") != "outgoing" or event.get("private") or not (handoff and operator):
        return None
    if not (isinstance(text, str) and text.strip() and isinstance(conversation.get("id"), int)):
        return None
    return handoff, conversation["id"], operator, text.strip()


def notes(handoff: Dict[Text, Any]) -> List[Text]:
    """Dana's hand-off as the private note(s) the agent reads first."""
    head = [f"Dana hand-off #{handoff.get('handoff_id')}: {handoff.get('channel')}, {handoff.get('language')}"]
    for label, key in (("Topic", "intent"), ("Reason", "reason"), ("Login", "login"), ("Summary", "summary")):
        if handoff.get(key):
            head.append(f"{label}: {handoff[key]}")
    if handoff.get("after_hours"):
        head.append("Handed over outside operators' hours.")
    lines = ["\n".join(head), "", "Transcript:"]
    for said in handoff.get("transcript") or []:
        if isinstance(said, dict):
            lines.append(_transcript_line(said))
    return _chunks(lines, NOTE_CHARS)


def _transcript_line(said: Dict[Text, Any]) -> Text:
    who = said.get("from") or "?"
    if who == "operator" and said.get("operator"):
        who = f"operator {said['operator']}"
    try:
        when = datetime.fromtimestamp(float(said.get("timestamp")), ASTANA).strftime("%H:%M ")  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        when = ""
    buttons = said.get("buttons") or []
    return f"{when}{who}: {said.get('text') or ''}" + (f" [{' | '.join(map(str, buttons))}]" if buttons else "")


def _chunks(lines: List[Text], limit: int) -> List[Text]:
    chunks: List[Text] = []
    current = ""
    for line in lines:
        for piece in [line[i : i + limit] for i in range(0, len(line), limit)] or [""]:
            if current and len(current) + 1 + len(piece) > limit:
                chunks.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    return chunks + [current] if current else chunks


def chatwoot_authentic(token: Text, given: Text, headers: Mapping[Text, Text], body: bytes, now: float) -> bool:
    """The event is Chatwoot's: ``?token=`` in the URL, or signed with the secret."""
    if not token:
        return False
    if given:
        return hmac.compare_digest(given.encode(), token.encode())
    signed, stamp = headers.get("X-Chatwoot-Signature") or "", headers.get("X-Chatwoot-Timestamp") or ""
    if not (signed and stamp.isdigit()) or abs(now - int(stamp)) > SIGNATURE_AGE:
        return False
    expected = "sha256=" + hmac.new(token.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signed.encode(), expected.encode())


async def _call(
    http: aiohttp.ClientSession, method: Text, url: Text, headers: Dict[Text, Text], body: Any = None, **params: Any
) -> Tuple[int, Any]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    async with http.request(method, url, data=data, headers=headers, params=params or None) as answer:
        raw = await answer.read()
    try:
        return answer.status, json.loads(raw) if raw else None
    except ValueError:
        return answer.status, None


def _json_object(raw: bytes) -> Optional[Dict[Text, Any]]:
    try:
        found = json.loads(raw or b"")
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


class ChatwootBridge(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "chatwoot"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ChatwootBridge":
        given = credentials or {}
        keys = ("url", "account_id", "inbox_id", "api_token", "webhook_token")
        return cls(**{key: str(given.get(key) or "").strip() for key in keys})

    def __init__(
        self, url: Text = "", account_id: Text = "", inbox_id: Text = "", api_token: Text = "", webhook_token: Text = ""
    ) -> None:
        self.url, self.account_id, self.inbox_id = url.rstrip("/"), account_id, inbox_id
        self.api_token, self.webhook_token = api_token, webhook_token
        self.dana_secret = os.environ.get("DANA_HANDOFF_WEBHOOK_SECRET", "")
        self.operator_token = os.environ.get("DANA_OPERATOR_API_TOKEN", "")
        default_api = f"http://127.0.0.1:{os.environ.get('RASA_PORT') or 5005}"
        self.operator_url = (os.environ.get("DANA_OPERATOR_API_URL") or default_api).rstrip("/")
        self.links: Bounded = Bounded()  # hand-off → conversation, a cache of Chatwoot's attribute
        self.done: Bounded = Bounded()  # deliveries and Chatwoot messages already handled
        self.opening: Dict[int, asyncio.Future] = {}  # hand-off → its conversation being created
        self._http: Optional[aiohttp.ClientSession] = None

    @property
    def configured(self) -> bool:
        ids = self.account_id.isdigit() and self.inbox_id.isdigit()
        return ids and all((self.url, self.api_token, self.webhook_token, self.dana_secret))

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    # Chatwoot's API ----------------------------------------------------------
    async def chatwoot(self, method: Text, path: Text, body: Any = None, **params: Any) -> Any:
        url = f"{self.url}/api/v1/accounts/{self.account_id}/{path}"
        headers = {"api_access_token": self.api_token, "Content-Type": "application/json"}
        status, answer = await _call(self.http(), method, url, headers, body, **params)
        if status >= 300:
            raise ChatwootError(f"{method} {path}: HTTP {status}")  # no query: it may hold a phone number
        return answer

    async def post(self, conversation: int, text: Text, *, private: bool = False, incoming: bool = False) -> None:
        kind = "incoming" if incoming else "outgoing"
        body = {"content": text, "message_type": kind, "private": private}
        await self.chatwoot("POST", f"conversations/{conversation}/messages", body)

    async def find_contact(self, identifier: Text) -> Optional[Dict[Text, Any]]:
        for page in range(1, SEARCH_PAGES + 1):
            found = (await self.chatwoot("GET", "contacts/search", q=identifier, page=page) or {}).get("payload") or []
            exact = [c for c in found if isinstance(c, dict) and c.get("identifier") == identifier]
            if exact or len(found) < SEARCH_PAGE:
                return exact[0] if exact else None
        return None

    async def contact(self, identifier: Text) -> Tuple[Dict[Text, Any], Text, bool]:
        """(contact, source id in our inbox, new?) for Dana's conversation id. A
        race with another server ends in a refusal: Dana sends the hand-off again."""
        found = await self.find_contact(identifier)
        if found is None:
            body = {"inbox_id": int(self.inbox_id), "name": identifier, "identifier": identifier}
            created = (await self.chatwoot("POST", "contacts", body))["payload"]
            return created["contact"], created["contact_inbox"]["source_id"], True
        for inbox in found.get("contact_inboxes") or []:
            if str((inbox.get("inbox") or {}).get("id")) == str(self.inbox_id) and inbox.get("source_id"):
                return found, inbox["source_id"], False
        made = await self.chatwoot("POST", f"contacts/{found['id']}/contact_inboxes", {"inbox_id": int(self.inbox_id)})
        return found, made["source_id"], False

    async def conversation_of(self, contact_id: int, handoff: int) -> Optional[int]:
        listed = (await self.chatwoot("GET", f"contacts/{contact_id}/conversations") or {}).get("payload") or []
        for conversation in listed:
            if handoff_of(conversation) == handoff and str(conversation.get("inbox_id")) == str(self.inbox_id):
                return int(conversation["id"])
        return None

    # Dana → Chatwoot ---------------------------------------------------------
    async def open_conversation(self, handoff: Dict[Text, Any]) -> int:
        number = int(handoff["handoff_id"])
        contact, source_id, new = await self.contact(str(handoff.get("conversation_id") or f"dana-{number}"))
        # Sent again after a timeout, or by another server: it may exist already.
        found = None if new else await self.conversation_of(contact["id"], number)
        if found:
            return found
        attributes = {HANDOFF_KEY: number}
        created = await self.chatwoot(
            "POST",
            "conversations",
            {
                "source_id": source_id,
                "inbox_id": int(self.inbox_id),
                "contact_id": contact["id"],
                "status": "open",
                "custom_attributes": attributes,
                "additional_attributes": attributes,
            },
        )
        conversation = int(created["id"])
        if handoff_of(created) != number:  # the inbox's single conversation, from an earlier hand-off
            await self.chatwoot(
                "POST", f"conversations/{conversation}/custom_attributes", {"custom_attributes": attributes}
            )
        if created.get("status") != "open":  # pending: an agent bot is on the inbox
            await self.chatwoot("POST", f"conversations/{conversation}/toggle_status", {"status": "open"})
        for text in notes(handoff):
            await self.post(conversation, text, private=True)
        return conversation

    async def linked(self, handoff: int, conversation_id: Text) -> int:
        if handoff in self.links:
            return self.links[handoff]
        if handoff in self.opening:
            return await asyncio.shield(self.opening[handoff])
        contact = await self.find_contact(conversation_id) if conversation_id else None
        found = await self.conversation_of(contact["id"], handoff) if contact else None
        if not found:
            raise NotLinked()
        self.links[handoff] = found
        return found

    async def from_dana(self, event: Dict[Text, Any]) -> Dict[Text, Any]:
        """Act on one webhook event of Dana's; ValueError for a malformed one."""
        kind, number = event.get("event") or "handoff", int(event.get("handoff_id"))  # type: ignore[arg-type]
        if kind == "handoff":
            if number not in self.links:
                if number not in self.opening:
                    # One creation per hand-off in this process, whoever asks.
                    task = asyncio.ensure_future(self.open_conversation(event))
                    self.opening[number] = task
                    task.add_done_callback(lambda _: self.opening.pop(number, None))
                self.links[number] = await asyncio.shield(self.opening[number])
            return {"status": "ok", "conversation_id": self.links[number]}
        if kind == "customer_message" and isinstance(event.get("text"), str) and event["text"].strip():
            conversation = await self.linked(number, str(event.get("conversation_id") or ""))
            await self.post(conversation, event["text"][:NOTE_CHARS], incoming=True)
            return {"status": "ok", "conversation_id": conversation}
        return {"status": "ignored"}

    # Chatwoot → Dana ---------------------------------------------------------
    async def operators(self, method: Text, path: Text, body: Any = None) -> Tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        auth = (
            {"Authorization": f"Bearer {self.operator_token}"}
            if self.operator_token
            else {"X-Dana-Signature": signature(data, self.dana_secret)}  # the API takes Dana's own signature too
        )
        url = f"{self.operator_url}/webhooks/operators{path}"
        return await _call(self.http(), method, url, {"Content-Type": "application/json", **auth}, body)

    async def reply(self, handoff: int, operator: Text, text: Text) -> Optional[Text]:
        """None once the customer has the agent's reply, else why not (the
        operator API's reason: taken, resolved, outside_24h_window …)."""
        said = {"operator": operator, "text": text}
        try:
            status, answer = await self.operators("POST", f"/handoffs/{handoff}/messages", said)
            if status == 409 and (answer or {}).get("error") == "not_claimed":
                status, answer = await self.operators("POST", f"/handoffs/{handoff}/claim", {"operator": operator})
                if status == 200:
                    status, answer = await self.operators("POST", f"/handoffs/{handoff}/messages", said)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("operator API unreachable: %s", type(error).__name__)
            return "operator_api_unreachable"
        return None if status == 200 else str((answer or {}).get("error") or f"HTTP {status}")

    async def resolve(self, handoff: int, conversation: Dict[Text, Any]) -> bool:
        """Close the hand-off as the operator who has it (the API allows no other),
        or as the conversation's assignee; False when the operator API failed."""
        status, found = await self.operators("GET", f"/handoffs/{handoff}")
        if status == 200 and (found or {}).get("status") == "open":
            staff = found.get("operator") or agent_of((conversation.get("meta") or {}).get("assignee")) or "chatwoot"
            status, _ = await self.operators("POST", f"/handoffs/{handoff}/close", {"operator": staff})
        return status < 500

    async def from_chatwoot(self, event: Dict[Text, Any]) -> Tuple[int, Dict[Text, Any]]:
        """(HTTP status, answer) for one Chatwoot event."""
        kind = event.get("event")
        if kind == "message_created":
            found = agent_reply(event)
            key = f"chatwoot-message-{event.get('id')}"  # the same message from two webhooks, or sent again
            if found is None or key in self.done or not self.ours(event.get("conversation")):
                return 200, {"status": "ignored"}
            handoff, conversation, operator, text = found
            problem = await self.reply(handoff, operator, text)
            self.done[key] = None
            if problem:
                try:
                    await self.post(conversation, f"Dana did not deliver this message: {problem}", private=True)
                except (ChatwootError, aiohttp.ClientError, asyncio.TimeoutError) as error:
                    logger.error("Chatwoot note failed: %s", error or type(error).__name__)
            return 200, {"status": problem or "sent"}
        resolved = handoff_of(event) if kind in CLOSING_EVENTS and event.get("status") == "resolved" else None
        if resolved is None or not self.ours(event):
            return 200, {"status": "ignored"}
        try:
            closed = await self.resolve(resolved, event)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("operator API unreachable: %s", type(error).__name__)
            closed = False
        return (200, {"status": "closed"}) if closed else (502, {"error": "the operator API did not answer"})

    def ours(self, conversation: Any) -> bool:
        return isinstance(conversation, dict) and str(conversation.get("inbox_id")) == str(self.inbox_id)

    # Routes ------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("chatwoot_bridge", __name__)

        @hook.listener("after_server_stop")
        async def stop(*_: Any) -> None:
            await self.close()

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.configured else "not configured"})

        @hook.route("/dana", methods=["POST"])
        async def receive_from_dana(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.json({"error": "Chatwoot adapter not configured (CHATWOOT_*)"}, status=503)
            signed = request.headers.get("X-Dana-Signature") or ""
            if not hmac.compare_digest(signed.encode(), signature(request.body or b"", self.dana_secret).encode()):
                return response.json({"error": "wrong or missing X-Dana-Signature"}, status=401)
            event = _json_object(request.body)
            delivery = request.headers.get("X-Dana-Delivery") or ""
            if event is None:
                return response.json({"error": "body must be a JSON object"}, status=400)
            if delivery and delivery in self.done:
                return response.json({"status": "duplicate"})
            try:
                answer = await self.from_dana(event)
            except (TypeError, ValueError):
                return response.json({"error": '"handoff_id" must be a number'}, status=400)
            except NotLinked:  # Dana retries; by then the hand-off's conversation exists
                return response.json({"error": "no Chatwoot conversation for this hand-off yet"}, status=503)
            except (ChatwootError, aiohttp.ClientError, asyncio.TimeoutError, KeyError) as error:
                logger.error("Chatwoot did not take Dana's event: %s", error or type(error).__name__)
                return response.json({"error": "Chatwoot did not take it"}, status=502)
            if delivery:
                self.done[delivery] = None
            return response.json(answer)

        @hook.route("/agent_bot", methods=["POST"])
        async def receive_from_chatwoot(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.json({"error": "Chatwoot adapter not configured (CHATWOOT_*)"}, status=503)
            given = request.args.get("token") or ""
            if not chatwoot_authentic(self.webhook_token, given, request.headers, request.body or b"", time.time()):
                return response.json({"error": "wrong or missing token or X-Chatwoot-Signature"}, status=401)
            event = _json_object(request.body)
            if event is None:
                return response.json({"error": "body must be a JSON object"}, status=400)
            status, answer = await self.from_chatwoot(event)
            return response.json(answer, status=status)

        return hook
