"""A Chatwoot account for the tests: the Application API calls the adapter makes
and the webhook events Chatwoot posts when an agent answers or resolves, shaped
as Chatwoot documents and builds them (the sources are listed in
channels/chatwoot.py's docstring). One API inbox; state kept in memory; every
request recorded by a stand-in server (tests/channels/standin.py).

What it holds Chatwoot to: the ``api_access_token`` header, a contact identifier
used once, a conversation created from a contact inbox's ``source_id``,
``incoming`` / ``outgoing`` messages of at most 150 000 characters, ``pending``
for every new conversation while an agent bot is on the inbox, and an inbox
locked to a single conversation answering with the contact's last one.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from tests.channels.standin import Call, StandIn, start_standin

AGENT = {"id": 3, "name": "Aigerim", "email": "aigerim@example.kz"}
PAGE = 15  # contacts/search


class ChatwootAccount:
    def __init__(self, service: StandIn, token: str, account_id: int = 1, inbox_id: int = 7) -> None:
        self.service, self.token, self.account_id, self.inbox_id = service, token, account_id, inbox_id
        self.contacts: Dict[int, Dict[str, Any]] = {}
        self.sources: Dict[str, Tuple[int, int]] = {}  # contact inbox source_id → (contact, inbox)
        self.conversations: Dict[int, Dict[str, Any]] = {}  # display id → conversation
        self.messages: Dict[int, List[Dict[str, Any]]] = {}
        self.agent_bot = False  # an agent bot on the inbox
        self.single_conversation = False  # the inbox's «lock to single conversation»
        self.webhook_url: Optional[str] = None  # where events go (the API inbox's webhook URL)
        self.webhook_secret: Optional[str] = None  # sign events, as Chatwoot ≥ 4.11.2 does
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return self.service.url

    def close(self) -> None:
        self.service.close()

    # What a test asks ---------------------------------------------------------
    def conversation_for(self, handoff_id: int) -> Optional[Dict[str, Any]]:
        with self.lock:
            found = [c for c in self.conversations.values()
                     if c["custom_attributes"].get("dana_handoff_id") == handoff_id]
        return found[-1] if found else None

    def messages_of(self, conversation_id: int) -> List[Dict[str, Any]]:
        with self.lock:
            return list(self.messages.get(conversation_id, []))

    # The Application API ------------------------------------------------------
    def answer(self, call: Call) -> Tuple[int, Any]:
        parts = urlsplit(call.path)
        prefix = f"/api/v1/accounts/{self.account_id}/"
        if not parts.path.startswith(prefix):
            return 404, {"error": "Resource could not be found"}
        if call.headers.get("api_access_token") != self.token:
            return 401, {"errors": ["You need to sign in or sign up before continuing."]}
        route, query = parts.path[len(prefix) :], dict(parse_qsl(parts.query))
        body = call.json if isinstance(call.json, dict) else {}
        with self.lock:
            return self._route(call.method, route, query, body)

    def _route(self, method: str, route: str, query: Dict[str, str], body: Dict[str, Any]) -> Tuple[int, Any]:
        number = re.search(r"/(\d+)/", route + "/")
        found = int(number.group(1)) if number else 0
        if (method, route) == ("GET", "contacts/search"):
            return self._search(query.get("q", ""), int(query.get("page") or 1))
        if (method, route) == ("POST", "contacts"):
            return self._create_contact(body)
        if (method, route) == ("POST", f"contacts/{found}/contact_inboxes") and found in self.contacts:
            return 200, self._contact_inbox(found, int(body.get("inbox_id") or 0))
        if (method, route) == ("GET", f"contacts/{found}/conversations") and found in self.contacts:
            mine = [c for c in self.conversations.values() if c["contact_id"] == found]
            return 200, {"payload": [self.conversation_view(c["id"]) for c in mine]}
        if (method, route) == ("POST", "conversations"):
            return self._create_conversation(body)
        if found not in self.conversations:
            return 404, {"error": "Resource could not be found"}
        if (method, route) == ("POST", f"conversations/{found}/toggle_status"):
            self.conversations[found]["status"] = body.get("status")
            return 200, {"meta": {}, "payload": {"success": True, "current_status": body.get("status"),
                                                 "conversation_id": found}}
        if (method, route) == ("POST", f"conversations/{found}/custom_attributes"):
            self.conversations[found]["custom_attributes"] = dict(body.get("custom_attributes") or {})
            return 200, {"custom_attributes": self.conversations[found]["custom_attributes"]}
        if (method, route) == ("POST", f"conversations/{found}/messages"):
            return self._create_message(found, body)
        return 404, {"error": "Resource could not be found"}

    def _contact_view(self, contact_id: int) -> Dict[str, Any]:
        contact = self.contacts[contact_id]
        inboxes = [{"source_id": source, "inbox": {"id": inbox, "name": "Dana", "channel_type": "Channel::Api"}}
                   for source, (owner, inbox) in self.sources.items() if owner == contact_id]
        return {**contact, "thumbnail": "", "custom_attributes": {}, "contact_inboxes": inboxes}

    def _search(self, q: str, page: int) -> Tuple[int, Any]:
        fields = ("name", "identifier", "email", "phone_number")
        hits = [i for i, c in self.contacts.items() if any(q.lower() in str(c.get(f) or "").lower() for f in fields)]
        shown = hits[(page - 1) * PAGE : page * PAGE]
        return 200, {"meta": {"count": len(hits), "current_page": page},
                     "payload": [self._contact_view(i) for i in shown]}

    def _create_contact(self, body: Dict[str, Any]) -> Tuple[int, Any]:
        identifier = body.get("identifier")
        if identifier and any(c["identifier"] == identifier for c in self.contacts.values()):
            return 422, {"message": "Identifier has already been taken", "attributes": ["identifier"]}
        contact_id = next(self._ids)
        self.contacts[contact_id] = {"id": contact_id, "name": body.get("name"), "identifier": identifier,
                                     "email": body.get("email"), "phone_number": body.get("phone_number")}
        made = self._contact_inbox(contact_id, int(body.get("inbox_id") or 0))
        return 200, {"payload": {"contact": self._contact_view(contact_id), "contact_inbox": made}}

    def _contact_inbox(self, contact_id: int, inbox_id: int) -> Dict[str, Any]:
        source = str(uuid.uuid4())  # an API inbox's source ids are generated
        self.sources[source] = (contact_id, inbox_id)
        return {"source_id": source, "inbox": {"id": inbox_id, "name": "Dana", "channel_type": "Channel::Api"}}

    def _create_conversation(self, body: Dict[str, Any]) -> Tuple[int, Any]:
        if body.get("source_id") not in self.sources:
            return 404, {"error": "Resource could not be found"}  # ContactInbox.find_by!(source_id:)
        contact_id, inbox_id = self.sources[body["source_id"]]
        earlier = [c for c in self.conversations.values() if (c["contact_id"], c["inbox_id"]) == (contact_id, inbox_id)]
        if self.single_conversation and earlier:
            return 200, self.conversation_view(earlier[-1]["id"])
        display_id = next(self._ids)
        self.conversations[display_id] = {
            "id": display_id, "contact_id": contact_id, "inbox_id": inbox_id, "assignee": None,
            "status": "pending" if self.agent_bot else body.get("status") or "open",
            "custom_attributes": dict(body.get("custom_attributes") or {}),
            "additional_attributes": dict(body.get("additional_attributes") or {}),
        }
        self.messages[display_id] = []
        return 200, self.conversation_view(display_id)

    def _create_message(self, conversation_id: int, body: Dict[str, Any]) -> Tuple[int, Any]:
        kind, content = body.get("message_type") or "outgoing", body.get("content")
        if kind not in ("incoming", "outgoing") or not isinstance(content, str) or len(content) > 150_000:
            return 422, {"error": "Validation failed"}
        contact = self.contacts[self.conversations[conversation_id]["contact_id"]]
        adapter = {"id": 1, "name": "Dana adapter", "email": "dana@example.kz", "type": "user"}  # the token's user
        sender = {**contact, "type": "contact"} if kind == "incoming" else adapter
        message = {"id": next(self._ids), "content": content, "message_type": kind,
                   "private": bool(body.get("private")), "sender": sender, "created_at": time.time()}
        self.messages[conversation_id].append(message)
        return 200, {**message, "conversation_id": conversation_id, "message_type": 0 if kind == "incoming" else 1}

    def conversation_view(self, conversation_id: int) -> Dict[str, Any]:
        """Conversations::EventDataPresenter#push_data: the API's and the events' conversation."""
        c = self.conversations[conversation_id]
        assignee = {**c["assignee"], "available_name": c["assignee"]["name"], "type": "user"} if c["assignee"] else None
        return {
            "id": c["id"], "account_id": self.account_id, "inbox_id": c["inbox_id"], "status": c["status"],
            "channel": "Channel::Api", "can_reply": True, "labels": [], "messages": [], "unread_count": 0,
            "custom_attributes": dict(c["custom_attributes"]),
            "additional_attributes": dict(c["additional_attributes"]),
            "meta": {"sender": {**self.contacts[c["contact_id"]], "type": "contact"}, "assignee": assignee,
                     "team": None, "hmac_verified": False},
            "timestamp": int(time.time()),
        }

    # Webhook events -------------------------------------------------------------
    def message_event(self, conversation_id: int, text: str, agent: Optional[Dict[str, Any]] = None,
                      private: bool = False) -> Dict[str, Any]:
        """An agent's message, stored, as ``message_created`` (Message#webhook_data)."""
        who = {**(agent or AGENT), "type": "user"}
        with self.lock:
            message = {"id": next(self._ids), "content": text, "message_type": "outgoing", "private": private,
                       "sender": who, "created_at": time.time()}
            self.messages[conversation_id].append(message)
            if self.conversations[conversation_id]["assignee"] is None:
                self.conversations[conversation_id]["assignee"] = {k: who[k] for k in ("id", "name")}
            return {"event": "message_created", "id": message["id"], "content": text,
                    "created_at": "2026-12-05T10:02:48.000Z", "message_type": "outgoing", "content_type": "text",
                    "private": private, "content_attributes": {}, "source_id": None, "sender": who,
                    "inbox": {"id": self.inbox_id, "name": "Dana"},
                    "conversation": self.conversation_view(conversation_id),
                    "account": {"id": self.account_id, "name": "Beeline"}}

    def status_events(self, conversation_id: int, status: str) -> List[Dict[str, Any]]:
        """A status change as an account webhook subscribed to both sees it."""
        with self.lock:
            self.conversations[conversation_id]["status"] = status
            view = self.conversation_view(conversation_id)
        changed = [{"status": {"previous_value": "open", "current_value": status}}]
        return [{**view, "event": name, "changed_attributes": changed}
                for name in ("conversation_status_changed", "conversation_updated")]

    def send(self, event: Dict[str, Any]) -> Tuple[int, Any]:
        """POST an event to ``webhook_url`` as Chatwoot does, signed when it has a secret."""
        assert self.webhook_url, "no webhook URL"
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.webhook_secret:
            stamp = str(int(time.time()))
            digest = hmac.new(self.webhook_secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
            headers.update({"X-Chatwoot-Delivery": str(uuid.uuid4()), "X-Chatwoot-Timestamp": stamp,
                            "X-Chatwoot-Signature": f"sha256={digest}"})
        request = urllib.request.Request(self.webhook_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def agent_replies(self, conversation_id: int, text: str, **kwargs: Any) -> Tuple[int, Any]:
        return self.send(self.message_event(conversation_id, text, **kwargs))

    def resolve(self, conversation_id: int) -> List[Tuple[int, Any]]:
        return [self.send(event) for event in self.status_events(conversation_id, "resolved")]


def start_chatwoot(token: str, **kwargs: Any) -> ChatwootAccount:
    holder: Dict[str, ChatwootAccount] = {}
    service = start_standin(extra=lambda call: holder["account"].answer(call))
    holder["account"] = ChatwootAccount(service, token, **kwargs)
    return holder["account"]
