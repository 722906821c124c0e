"""The Chatwoot adapter (channels/chatwoot.py) against a Chatwoot account's
stand-in that follows Chatwoot's documented API and webhook payloads
(tests/channels/chatwoot_standin.py).

What an agent and a customer notice: a hand-off arrives in Chatwoot as an open
conversation with Dana's summary and transcript in a private note, the
customer's next messages appear in it, the agent's reply reaches the customer
through the operator API, a reply Dana cannot deliver comes back as a note, and
resolving the conversation closes the hand-off. In-process tests first (the
operator API played by a stand-in), then the same on a running Dana.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, Optional

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import create_engine, text

from bot.office.handoff_delivery import signature
from channels.chatwoot import NOTE_CHARS, ChatwootBridge, NotLinked, agent_reply, chatwoot_authentic, notes
from tests.channels.chatwoot_standin import AGENT, ChatwootAccount, start_chatwoot
from tests.channels.conftest import CHATWOOT_WEBHOOK_TOKEN, free_port
from tests.channels.standin import Call, StandIn, start_standin
from tests.channels.test_live_handoff import api, handoff_of, kept, wait_until
from tests.channels.test_rest_flows import Customer

TOKEN, WEBHOOK, SECRET, OPERATORS = "agent-token", "webhook-token", "dana-secret", "operator-token"
HANDOFF: Dict[str, Any] = {
    "event": "handoff", "handoff_id": 12, "conversation_id": "telegram:5551234", "channel": "telegram",
    "language": "ru", "intent": "internet_down", "reason": "requested", "login": "0851234567",
    "collected": {"login": "0851234567"}, "summary": "login=0851234567; diagnosis=line_fault", "after_hours": False,
    "transcript": [
        {"from": "customer", "text": "интернет не работает", "timestamp": 1796464862.1},
        {"from": "dana", "text": "Перезагрузите роутер", "timestamp": 1796464862.4, "buttons": ["Помогло", "Нет"]},
        {"from": "customer", "text": "Соедините с оператором", "timestamp": 1796464920.0},
    ],
}
_apps = itertools.count()


class Desk:
    """The operator API as channels/operators.py answers (bot/office/handoff.py's rules)."""

    def __init__(self) -> None:
        self.handoffs: Dict[int, Dict[str, Any]] = {}
        self.service: StandIn = start_standin(extra=self.answer)

    def add(self, number: int, operator: Optional[str] = None) -> None:
        self.handoffs[number] = {"id": number, "status": "open", "operator": operator}

    def steps(self) -> list:
        return [(c.path.rsplit("/", 1)[-1], (c.json or {}).get("operator")) for c in self.service.calls]

    def answer(self, call: Call):
        if call.headers.get("authorization") != f"Bearer {OPERATORS}":
            return 401, {"error": "wrong or missing credentials"}
        found = re.fullmatch(r"/webhooks/operators/handoffs/(\d+)(?:/(claim|messages|close))?", call.path)
        handoff = self.handoffs.get(int(found[1])) if found else None
        if handoff is None:
            return 404, {"error": "no such hand-off"}
        step, who = found[2], (call.json or {}).get("operator")
        if step is None:
            return 200, handoff
        if handoff["status"] != "open":
            return 409, {"error": "resolved"}
        if step == "messages" and handoff["operator"] != who:
            return 409, {"error": "taken" if handoff["operator"] else "not_claimed"}
        if handoff["operator"] not in (None, who):
            return 409, {"error": "taken"}
        handoff["operator"] = handoff["operator"] or who
        if step == "close":
            handoff["status"] = "resolved"
        return 200, {"status": "sent"} if step == "messages" else handoff


@pytest.fixture
def account():
    made = start_chatwoot(TOKEN)
    yield made
    made.close()


@pytest.fixture
def desk():
    made = Desk()
    yield made
    made.service.close()


@pytest.fixture
def settings(monkeypatch, desk):
    monkeypatch.setenv("DANA_HANDOFF_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("DANA_OPERATOR_API_TOKEN", OPERATORS)
    monkeypatch.setenv("DANA_OPERATOR_API_URL", desk.service.url)


def new_bridge(account: ChatwootAccount) -> ChatwootBridge:
    return ChatwootBridge(account.url, str(account.account_id), str(account.inbox_id), TOKEN, WEBHOOK)


@pytest.fixture
async def bridge(settings, account):
    made = new_bridge(account)
    yield made
    await made.close()


async def opened(bridge: ChatwootBridge, account: ChatwootAccount, **changes: Any) -> Dict[str, Any]:
    answer = await bridge.from_dana({**HANDOFF, **changes})
    return account.conversations[answer["conversation_id"]]


# Dana → Chatwoot --------------------------------------------------------------

async def test_a_handoff_becomes_an_open_conversation_with_dana_s_note(bridge, account):
    conversation = await opened(bridge, account)
    assert conversation["status"] == "open" and conversation["custom_attributes"] == {"dana_handoff_id": 12}
    assert account.contacts[conversation["contact_id"]]["identifier"] == "telegram:5551234"
    [note] = account.messages_of(conversation["id"])
    assert note["private"] and note["message_type"] == "outgoing"  # for agents only, nothing sent to the customer
    assert note["content"].splitlines()[:5] == [
        "Dana hand-off #12: telegram, ru", "Topic: internet_down", "Reason: requested", "Login: 0851234567",
        "Summary: login=0851234567; diagnosis=line_fault"]
    assert note["content"].endswith("Transcript:\n15:01 customer: интернет не работает\n"
                                    "15:01 dana: Перезагрузите роутер [Помогло | Нет]\n"
                                    "15:02 customer: Соедините с оператором")  # Astana time


async def test_the_handoff_sent_again_or_to_another_server_is_one_conversation(bridge, account):
    first = await opened(bridge, account)
    assert (await opened(bridge, account))["id"] == first["id"]
    other = new_bridge(account)  # another Rasa server of the cluster: it knows only what Chatwoot keeps
    try:
        assert (await opened(other, account))["id"] == first["id"]
    finally:
        await other.close()
    assert len(account.conversations) == 1 and len(account.messages_of(first["id"])) == 1


async def test_the_same_customer_is_one_contact_with_a_conversation_per_handoff(bridge, account):
    first = await opened(bridge, account)
    second = await opened(bridge, account, handoff_id=13)
    assert first["id"] != second["id"] and first["contact_id"] == second["contact_id"] and len(account.contacts) == 1
    assert second["custom_attributes"] == {"dana_handoff_id": 13}


async def test_an_agent_bot_s_pending_conversation_is_handed_to_people(bridge, account):
    account.agent_bot = True  # Chatwoot then creates every conversation pending
    conversation = await opened(bridge, account)
    assert conversation["status"] == "open"
    assert [c.api_method for c in account.service.calls if c.method == "POST"][-2:] == ["toggle_status", "messages"]


async def test_an_inbox_locked_to_one_conversation_carries_the_newest_handoff(bridge, account):
    account.single_conversation = True
    first = await opened(bridge, account)
    second = await opened(bridge, account, handoff_id=13)
    assert second["id"] == first["id"] and second["custom_attributes"] == {"dana_handoff_id": 13}


async def test_customer_messages_appear_in_the_conversation_on_any_server(bridge, account):
    conversation = await opened(bridge, account)
    said = {"event": "customer_message", "handoff_id": 12, "conversation_id": "telegram:5551234",
            "text": "алло, вы тут?", "timestamp": 1796464930.0}
    await bridge.from_dana(said)
    other = new_bridge(account)
    try:
        await other.from_dana({**said, "text": "жду"})
        with pytest.raises(NotLinked):  # its hand-off event has not arrived yet: Dana sends it again
            await other.from_dana({**said, "handoff_id": 99})
    finally:
        await other.close()
    incoming = [m for m in account.messages_of(conversation["id"]) if m["message_type"] == "incoming"]
    assert [(m["content"], m["private"], m["sender"]["type"]) for m in incoming] == [
        ("алло, вы тут?", False, "contact"), ("жду", False, "contact")]


def test_a_long_transcript_is_split_into_notes_under_chatwoot_s_limit():
    said = [{"from": "customer", "text": f"{i:03d}" + "я" * 1996, "timestamp": 1796464862} for i in range(100)]
    parts = notes({**HANDOFF, "transcript": said})
    assert len(parts) > 1 and all(len(p) <= NOTE_CHARS for p in parts)
    assert [line.split("customer: ")[1][:3] for p in parts for line in p.splitlines() if "customer: " in line] == [
        f"{i:03d}" for i in range(100)]


# Chatwoot → Dana --------------------------------------------------------------

def test_only_an_agent_s_public_reply_in_a_dana_conversation_is_taken(account):
    contact = account._create_contact({"inbox_id": 7, "identifier": "x", "name": "x"})[1]["payload"]
    created = account._create_conversation({"source_id": contact["contact_inbox"]["source_id"],
                                            "custom_attributes": {"dana_handoff_id": 12}})[1]
    number = created["id"]
    assert agent_reply(account.message_event(number, " Здравствуйте ")) == (12, number, "chatwoot-3", "Здравствуйте")
    assert agent_reply(account.message_event(number, "note", private=True)) is None
    bot = {**account.message_event(number, "hi"), "sender": {"id": 5, "name": "Dana", "type": "agent_bot"}}
    assert agent_reply(bot) is None
    incoming = {**account.message_event(number, "hi"), "message_type": "incoming",
                "sender": {"id": 14, "name": "little-haze-776", "avatar": "", "type": "contact"}}
    assert agent_reply(incoming) is None
    # Older Chatwoot: attributes given at creation come back as additional_attributes only.
    older = account.message_event(number, "hi")
    older["conversation"] = {**older["conversation"], "custom_attributes": None,
                             "additional_attributes": {"dana_handoff_id": "12"}}
    assert agent_reply(older) == (12, number, "chatwoot-3", "hi")
    other = account.message_event(number, "hi")
    other["conversation"] = {**other["conversation"], "custom_attributes": {}, "additional_attributes": {}}
    assert agent_reply(other) is None  # a conversation that is not a hand-off


async def test_the_agent_s_first_reply_claims_the_handoff_then_each_is_sent(bridge, account, desk):
    conversation = await opened(bridge, account)
    desk.add(12)
    first = account.message_event(conversation["id"], "Здравствуйте, я Айгерим.")
    assert await bridge.from_chatwoot(first) == (200, {"status": "sent"})
    assert await bridge.from_chatwoot(account.message_event(conversation["id"], "Проверяю линию.")) == (
        200, {"status": "sent"})
    assert await bridge.from_chatwoot(first) == (200, {"status": "ignored"})  # the same message again
    assert await bridge.from_chatwoot(account.message_event(conversation["id"], "n", private=True)) == (
        200, {"status": "ignored"})
    assert desk.steps() == [("messages", "chatwoot-3"), ("claim", "chatwoot-3"), ("messages", "chatwoot-3"),
                            ("messages", "chatwoot-3")]


async def test_a_reply_dana_cannot_deliver_comes_back_to_the_agent_as_a_note(bridge, account, desk):
    conversation = await opened(bridge, account)
    desk.add(12, operator="chatwoot-9")  # another agent has it
    event = account.message_event(conversation["id"], "Добрый день")
    assert await bridge.from_chatwoot(event) == (200, {"status": "taken"})
    note = account.messages_of(conversation["id"])[-1]
    assert note["private"] and note["content"] == "Dana did not deliver this message: taken"


async def test_resolving_the_conversation_closes_the_handoff_once(bridge, account, desk):
    conversation = await opened(bridge, account)
    desk.add(12, operator="chatwoot-3")
    changed, updated = account.status_events(conversation["id"], "resolved")
    assert await bridge.from_chatwoot(changed) == (200, {"status": "closed"})
    assert await bridge.from_chatwoot(updated) == (200, {"status": "closed"})  # already: nothing more
    assert desk.handoffs[12]["status"] == "resolved"
    assert desk.steps() == [("12", None), ("close", "chatwoot-3"), ("12", None)]
    reopened = account.status_events(conversation["id"], "open")[0]
    assert await bridge.from_chatwoot(reopened) == (200, {"status": "ignored"})


async def test_a_handoff_nobody_claimed_is_closed_as_the_assignee(bridge, account, desk):
    conversation = await opened(bridge, account, handoff_id=13)
    desk.add(13)
    account.conversations[conversation["id"]]["assignee"] = {"id": 4, "name": "Dana Ops"}
    event = {**account.status_events(conversation["id"], "resolved")[0], "event": "conversation_resolved"}
    assert await bridge.from_chatwoot(event) == (200, {"status": "closed"})
    assert desk.handoffs[13] == {"id": 13, "status": "resolved", "operator": "chatwoot-4"}


async def test_without_the_operator_api_the_agent_is_told_and_chatwoot_may_retry(settings, account, monkeypatch):
    monkeypatch.setenv("DANA_OPERATOR_API_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    bridge = new_bridge(account)
    try:
        conversation = await opened(bridge, account)
        assert await bridge.from_chatwoot(account.message_event(conversation["id"], "Алло")) == (
            200, {"status": "operator_api_unreachable"})
        assert account.messages_of(conversation["id"])[-1]["content"].endswith("operator_api_unreachable")
        resolved = account.status_events(conversation["id"], "resolved")[0]
        assert (await bridge.from_chatwoot(resolved))[0] == 502
    finally:
        await bridge.close()


def test_chatwoot_s_events_carry_the_url_token_or_its_signature():
    body, now = b'{"event": "message_created"}', time.time()

    def signed(secret: str, stamp: int, payload: bytes = body) -> Dict[str, str]:
        # chatwoot#13573: sha256=HMAC-SHA256(secret, "<timestamp>.<body>"), the timestamp in X-Chatwoot-Timestamp
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
        return {"X-Chatwoot-Timestamp": str(stamp), "X-Chatwoot-Signature": f"sha256={digest}"}

    assert chatwoot_authentic(WEBHOOK, WEBHOOK, {}, body, now)
    assert not chatwoot_authentic(WEBHOOK, "wrong", signed(WEBHOOK, int(now)), body, now)
    assert chatwoot_authentic(WEBHOOK, "", signed(WEBHOOK, int(now)), body, now)
    assert not chatwoot_authentic(WEBHOOK, "", signed("other", int(now)), body, now)
    assert not chatwoot_authentic(WEBHOOK, "", signed(WEBHOOK, int(now) - 600), body, now)  # replayed later
    assert not chatwoot_authentic(WEBHOOK, "", signed(WEBHOOK, int(now), b"{}"), body, now)
    assert not chatwoot_authentic(WEBHOOK, "", {}, body, now)
    assert not chatwoot_authentic("", "", {}, body, now)  # no token set: nothing is taken


# The routes, served in-process ------------------------------------------------

@asynccontextmanager
async def served(bridge: ChatwootBridge) -> AsyncIterator[httpx.AsyncClient]:
    """The adapter's blueprint in a Sanic app, called over ASGI (as Rasa mounts it).
    Sanic's test mode lets it start several apps in one process."""
    test_mode, Sanic.test_mode = Sanic.test_mode, True
    app = Sanic(f"chatwoot_test_{next(_apps)}")
    app.blueprint(bridge.blueprint(lambda _: asyncio.sleep(0)), url_prefix="/webhooks/chatwoot")
    inbox, started = asyncio.Queue(), asyncio.Event()
    await inbox.put({"type": "lifespan.startup"})

    async def send(message: Dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    life = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send))
    await asyncio.wait_for(started.wait(), 10)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dana") as client:
            yield client
    finally:
        life.cancel()
        Sanic.test_mode = test_mode


def from_dana(event: Dict[str, Any], delivery: str, secret: str = SECRET) -> Dict[str, Any]:
    body = json.dumps(event, ensure_ascii=False).encode()
    return {"content": body, "headers": {"Content-Type": "application/json", "X-Dana-Delivery": delivery,
                                         "X-Dana-Signature": signature(body, secret)}}


@pytest.mark.filterwarnings("ignore:You have set a listener")
async def test_unconfigured_the_routes_answer_503(monkeypatch):
    monkeypatch.delenv("DANA_HANDOFF_WEBHOOK_SECRET", raising=False)
    bridge = ChatwootBridge.from_credentials({"url": "", "account_id": "", "inbox_id": "", "api_token": None})
    async with served(bridge) as client:
        assert (await client.post("/webhooks/chatwoot/dana", **from_dana(HANDOFF, "handoff-12"))).status_code == 503
        assert (await client.post(f"/webhooks/chatwoot/agent_bot?token={WEBHOOK}", content=b"{}")).status_code == 503
        assert (await client.get("/webhooks/chatwoot/")).json() == {"status": "not configured"}


@pytest.mark.filterwarnings("ignore:You have set a listener")
async def test_dana_s_webhook_is_checked_and_a_repeated_delivery_dropped(bridge, account):
    async with served(bridge) as client:
        assert (await client.post("/webhooks/chatwoot/dana", **from_dana(HANDOFF, "h", "wrong"))).status_code == 401
        listed = {"content": b"[]", "headers": {"X-Dana-Signature": signature(b"[]", SECRET)}}
        assert (await client.post("/webhooks/chatwoot/dana", **listed)).status_code == 400
        first = await client.post("/webhooks/chatwoot/dana", **from_dana(HANDOFF, "handoff-12"))
        calls = len(account.service.calls)
        again = await client.post("/webhooks/chatwoot/dana", **from_dana(HANDOFF, "handoff-12"))
        assert first.status_code == 200 and again.json() == {"status": "duplicate"}
        assert len(account.service.calls) == calls and len(account.conversations) == 1
        early = {"event": "customer_message", "handoff_id": 40, "conversation_id": "telegram:1", "text": "hi"}
        assert (await client.post("/webhooks/chatwoot/dana", **from_dana(early, "message-40-1"))).status_code == 503
        account.token = "revoked"  # Chatwoot refuses: Dana is told to try again
        refused = await client.post("/webhooks/chatwoot/dana", **from_dana({**HANDOFF, "handoff_id": 41}, "h-41"))
        assert refused.status_code == 502


@pytest.mark.filterwarnings("ignore:You have set a listener")
async def test_chatwoot_s_webhook_needs_the_token_or_the_signature(bridge, account, desk):
    conversation = await opened(bridge, account)
    desk.add(12)
    event = json.dumps(account.message_event(conversation["id"], "Здравствуйте")).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK.encode(), f"{stamp}.".encode() + event, hashlib.sha256).hexdigest()
    async with served(bridge) as client:
        assert (await client.post("/webhooks/chatwoot/agent_bot", content=event)).status_code == 401
        assert (await client.post("/webhooks/chatwoot/agent_bot?token=x", content=event)).status_code == 401
        headers = {"X-Chatwoot-Timestamp": stamp, "X-Chatwoot-Signature": f"sha256={digest}"}
        answer = await client.post("/webhooks/chatwoot/agent_bot", content=event, headers=headers)
        assert answer.json() == {"status": "sent"}
        answer = await client.post(f"/webhooks/chatwoot/agent_bot?token={WEBHOOK}", content=b"[1]")
        assert answer.status_code == 400


# On a running Dana --------------------------------------------------------------

@pytest.fixture
def through_chatwoot(dana, standin, chatwoot):
    """Dana's hand-off webhook passed on to her Chatwoot adapter; Chatwoot's
    events sent to it, with the token in the URL."""
    standin.forward["/handoff"] = f"{dana['url']}/webhooks/chatwoot/dana"
    chatwoot.webhook_url = f"{dana['url']}/webhooks/chatwoot/agent_bot?token={CHATWOOT_WEBHOOK_TOKEN}"
    yield chatwoot
    standin.forward.pop("/handoff", None)
    chatwoot.webhook_url = None


def test_an_agent_in_chatwoot_answers_the_customer_and_resolves(dana, through_chatwoot):
    chatwoot = through_chatwoot
    customer = Customer(dana, "chatwoot")
    customer.say("мой логин 0000000001, интернет не работает")
    assert customer.say("Соедините с оператором")
    handoff = handoff_of(dana, customer.sender)
    # The adapter creates the conversation, opens it and posts the note, one call after another.
    conversation = wait_until(lambda: chatwoot.conversation_for(handoff["id"]))
    [note] = wait_until(lambda: chatwoot.messages_of(conversation["id"]))
    assert chatwoot.conversation_for(handoff["id"])["status"] == "open"
    assert chatwoot.contacts[conversation["contact_id"]]["identifier"] == customer.sender
    assert note["private"] and "customer: Соедините с оператором" in note["content"]

    # Dana stays silent; the customer's message appears in the agent's conversation.
    assert customer.say("алло, вы тут?") == ""
    wait_until(lambda: [m for m in chatwoot.messages_of(conversation["id"])
                        if m["message_type"] == "incoming" and m["content"] == "алло, вы тут?"])

    assert chatwoot.agent_replies(conversation["id"], "Здравствуйте, я Айгерим. Проверяю линию.") == (
        200, {"status": "sent"})
    assert kept(dana, customer.sender)[-1]["text"] == "Здравствуйте, я Айгерим. Проверяю линию."
    assert api(dana, "GET", f"/handoffs/{handoff['id']}")[1]["operator"] == f"chatwoot-{AGENT['id']}"
    chatwoot.agent_replies(conversation["id"], "заметка для коллег", private=True)
    assert all(m.get("text") != "заметка для коллег" for m in kept(dana, customer.sender))

    before = kept(dana, customer.sender)[-1]["timestamp"]
    assert [status for status, _ in chatwoot.resolve(conversation["id"])] == [200, 200]
    assert api(dana, "GET", f"/handoffs/{handoff['id']}")[1]["status"] == "resolved"
    assert "Оператор завершил разговор" in kept(dana, customer.sender, before)[0]["text"]
    engine = create_engine(dana["database_url"])
    with engine.connect() as connection:
        actions = connection.execute(text(
            "SELECT staff, action FROM staff_actions WHERE target = :t ORDER BY id"), {"t": f"handoff:{handoff['id']}"}
        ).all()
    assert [tuple(a) for a in actions] == [("chatwoot-3", "claim"), ("chatwoot-3", "reply"), ("chatwoot-3", "close")]
