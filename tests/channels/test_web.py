"""The widget's Socket.IO channel (channels/web.py) with a live Dana: answers reach
the browser's session, the hand-off included; a message sent again with its id
is answered once, and acknowledged after its answer."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid

from channels.web import WidgetOutput
from tests.bot.conftest import redis_port  # noqa: F401 — a Redis of the tests' own


class Recorder:
    def __init__(self) -> None:
        self.emitted: list = []

    async def emit(self, event, data=None, room=None, **kwargs):
        self.emitted.append((event, data, room, kwargs))


async def test_a_custom_payload_reaches_the_session_as_custom():
    sio = Recorder()
    await WidgetOutput(sio, "bot_uttered").send_custom_json("session-1", {"handoff": {"reason": "asked"}})
    # In a turn, straight to the socket on this server; outside one, through the manager.
    assert sio.emitted == [("bot_uttered", {"custom": {"handoff": {"reason": "asked"}}}, "session-1",
                            {"ignore_queue": True})]
    await WidgetOutput(sio, "bot_uttered", local=False).send_text_message("session-1", "Сәлем")
    assert sio.emitted[-1] == ("bot_uttered", {"text": "Сәлем"}, "session-1", {"ignore_queue": False})


def test_asking_for_an_operator_in_the_widget_is_answered_not_failed(dana):
    """Rasa 3.6's Socket.IO output raised TypeError on the hand-off's payload:
    the customer heard «write again» instead of «an operator will answer here»."""
    import socketio

    async def chat() -> list[dict]:
        client = socketio.AsyncClient(reconnection=False)
        answers: list[dict] = []
        client.on("bot_uttered", answers.append)
        session_id = uuid.uuid4().hex
        await client.connect(dana["url"], transports=["polling"], socketio_path="/socket.io")
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.sleep(0.5)
            for text in ("Здравствуйте, нет интернета", "соедините с оператором"):
                await client.emit("user_uttered", {"message": text, "session_id": session_id})
                await asyncio.sleep(3)
            return answers
        finally:
            await client.disconnect()

    answers = asyncio.run(chat())
    texts = " ".join(a.get("text") or "" for a in answers)
    assert "оператор" in texts.lower() and "техническая неполадка" not in texts
    assert any("handoff" in (a.get("custom") or {}) for a in answers)


# ------------------------------------------------ a message sent again with its id

async def widget_exchange(dana, sends: list, session_id: str | None = None, hang_up: bool = False) -> tuple[str, list]:
    """Sends each message of ``sends`` (a list per step, emitted at once) with an
    ack callback, waiting for every ack of a step (``hang_up``: disconnecting
    at once instead); returns the session and what arrived, in order:
    ("bot", text), ("ack", message_id) or ("error", text)."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    seen: list = []
    confirmed = asyncio.Event()
    client.on("session_confirm", lambda *_: confirmed.set())
    client.on("bot_uttered", lambda data: seen.append(("bot", data.get("text"))))
    client.on("error", lambda data: seen.append(("error", data.get("error"))))
    session_id = session_id or uuid.uuid4().hex
    await client.connect(dana["url"], transports=["polling"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 30)
        for step in sends:
            acks = []
            for message in step:
                acked = asyncio.Event()
                acks.append(acked)
                await client.emit("user_uttered", {"session_id": session_id, **message},
                                  callback=lambda *_, m=message, a=acked: (seen.append(("ack", m.get("message_id"))), a.set()))
            if hang_up:
                await asyncio.sleep(0.2)  # out, not answered yet
                return session_id, seen
            await asyncio.wait_for(asyncio.gather(*(a.wait() for a in acks)), 120)
        await asyncio.sleep(0.5)  # anything arriving after the acks
        return session_id, seen
    finally:
        # As a closed tab: a polite disconnect waits for the long-poll (up to 30 s).
        await client.eio.disconnect(abort=True)


def stored_events(dana, session_id: str) -> list:
    from tests.channels.conftest import API_TOKEN

    url = f"{dana['url']}/conversations/{session_id}/tracker?token={API_TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        return [e for e in json.loads(answer.read())["events"] if e["event"] in ("user", "bot")]


def test_a_message_acknowledged_after_its_answer(dana):
    """The widget forgets a message once acknowledged: the ack must not come before the answer."""
    message_id = f"w-{uuid.uuid4().hex}"
    _, seen = asyncio.run(widget_exchange(dana, [[{"message": "Сәлеметсіз бе", "message_id": message_id}]]))
    assert seen[-1] == ("ack", message_id) and seen[0][0] == "bot", seen


def test_a_message_sent_again_with_its_id_is_answered_once(dana):
    """Sent twice at once (the first still being answered), then again after its
    ack was lost: one turn; the last time its stored answer comes again."""
    message = {"message": "Здравствуйте, пропал интернет", "message_id": f"w-{uuid.uuid4().hex}"}
    session_id, seen = asyncio.run(widget_exchange(dana, [[message, message], [message]]))
    acks = [index for index, (kind, _) in enumerate(seen) if kind == "ack"]
    assert len(acks) == 3, seen
    answer, between, again = seen[: acks[0]], seen[acks[0] + 1 : acks[1]], seen[acks[1] + 1 : acks[2]]
    assert answer and all(kind == "bot" for kind, _ in answer), seen
    assert between == [] and again == answer, seen
    assert [e.get("message_id") for e in stored_events(dana, session_id) if e["event"] == "user"] == [
        message["message_id"]]


def test_a_message_whose_connection_dropped_is_answered_once_on_the_next(dana):
    """The connection drops right after the message went out; the widget sends
    it again on the next one: there its answer, once (whether it was still being
    answered, its start sent to the old connection, or already answered)."""
    message = {"message": "Сәлеметсіз бе, интернет істемей тұр", "message_id": f"w-{uuid.uuid4().hex}"}

    async def reconnecting() -> tuple[str, list]:
        session_id, _ = await widget_exchange(dana, [[message]], hang_up=True)
        return await widget_exchange(dana, [[message]], session_id=session_id)

    session_id, seen = asyncio.run(reconnecting())
    events = stored_events(dana, session_id)
    user = [index for index, e in enumerate(events) if e["event"] == "user"]
    assert [events[index].get("message_id") for index in user] == [message["message_id"]]
    answer = "\n\n".join(e.get("text") or "" for e in events[user[0] + 1 :])  # the channel splits at blank lines
    assert answer and seen[-1] == ("ack", message["message_id"]), seen
    assert "\n\n".join(text or "" for kind, text in seen[:-1] if kind == "bot") == answer, seen


def test_a_malformed_message_id_is_refused(dana):
    bad = [{"message": "сәлем", "message_id": value} for value in ("", "x" * 65, "../etc", 42, ["a"])]
    session_id, seen = asyncio.run(widget_exchange(dana, [bad]))
    errors = [text for kind, text in seen if kind == "error"]
    assert len(errors) == len(bad) and all('"message_id"' in text for text in errors), seen
    assert not any(kind == "bot" for kind, _ in seen)


# ------------------------------------------------ a message its server left unanswered

class Store:
    """The agent's tracker store: the conversation as the dead server left it."""

    def __init__(self, tracker) -> None:
        self.tracker = tracker

    async def retrieve_full_tracker(self, sender_id):
        return self.tracker


def abandoned_widget(redis_port, monkeypatch, tracker):
    from dataclasses import replace
    from types import SimpleNamespace

    from bot.config import LIMITS
    from bot.server import pending as pending_module
    from bot.server.pending import PendingMessages
    from bot.server.rate_limit import redis_client
    from channels import web

    monkeypatch.setattr(pending_module, "LIMITS", replace(LIMITS, lock_ticket_seconds=0.3, lock_heartbeat_seconds=0.1))
    monkeypatch.setattr(web, "LIMITS", replace(LIMITS, lock_ticket_seconds=0.3, lock_heartbeat_seconds=0.1))
    channel = web.WidgetSocketIO(session_persistence=True)
    server = {"app": SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=Store(tracker))))}
    return channel, server, (lambda owner: PendingMessages(redis_client("127.0.0.1", redis_port, 1), owner=owner))


async def test_a_message_its_dead_server_never_finished_is_processed_by_the_next(redis_port, monkeypatch):
    channel, server, store = abandoned_widget(redis_port, monkeypatch, tracker=None)
    session, record = f"w-{uuid.uuid4().hex}", {"message": "интернет жоқ", "metadata": {"language": "kk"},
                                                 "message_id": uuid.uuid4().hex, "taken_at": 1}
    await store("dead").take(session, record)  # taken, then the server was killed
    processed = []

    async def on_new_message(message):
        processed.append(message)
        await message.output_channel.send_text_message(message.sender_id, "жауап")

    sio, alive = Recorder(), store("alive")
    await channel._answer_abandoned(sio, session, alive, on_new_message, server)
    assert [(m.text, m.message_id, m.sender_id) for m in processed] == [("интернет жоқ", record["message_id"], session)]
    assert sio.emitted[0][1]["text"] == "жауап" and sio.emitted[0][2] == session
    assert not await alive.waiting(session)  # answered: nothing left


async def test_a_message_its_dead_server_had_answered_is_not_processed_again(redis_port, monkeypatch):
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    message_id = uuid.uuid4().hex
    tracker = DialogueStateTracker.from_events("s", [UserUttered("интернет жоқ", message_id=message_id),
                                                     BotUttered("Логиніңізді жазыңыз")])
    channel, server, store = abandoned_widget(redis_port, monkeypatch, tracker)
    session = f"w-{uuid.uuid4().hex}"
    await store("dead").take(session, {"message": "интернет жоқ", "metadata": None, "message_id": message_id,
                                       "taken_at": 1})

    async def on_new_message(message):
        raise AssertionError("processed twice")

    sio = Recorder()
    await channel._answer_abandoned(sio, session, store("alive"), on_new_message, server)
    assert [e[1].get("text") for e in sio.emitted] == ["Логиніңізді жазыңыз"]


async def test_a_reconnect_while_its_server_still_answers_takes_nothing(redis_port, monkeypatch):
    channel, server, store = abandoned_widget(redis_port, monkeypatch, tracker=None)
    session, record = f"w-{uuid.uuid4().hex}", {"message": "сәлем", "metadata": None,
                                                 "message_id": uuid.uuid4().hex, "taken_at": 1}
    working = store("working")
    await working.take(session, record)
    async with working.kept(session, record):  # renewed for the whole wait of the other server
        await channel._answer_abandoned(Recorder(), session, store("other"), None, server)


def widget_handler(channel, monkeypatch, pending, on_new_message):
    """The channel's user_uttered handler, its pending store ``pending``."""
    from channels import web

    monkeypatch.setattr(web.pending_messages, "from_environment", lambda: pending)
    sio = channel.routes(on_new_message).ctx.sio
    monkeypatch.setattr(sio, "emit", Recorder().emit)
    return sio.handlers["/"]["user_uttered"]


async def test_a_message_sent_again_while_another_server_answers_it_waits_for_that_answer(redis_port, monkeypatch):
    channel, _, store = abandoned_widget(redis_port, monkeypatch, tracker=None)
    session, message_id = f"w-{uuid.uuid4().hex}", uuid.uuid4().hex
    record = {"message": "сәлем", "metadata": None, "message_id": message_id, "taken_at": 1}

    async def on_new_message(message):
        raise AssertionError("processed twice")

    handler = widget_handler(channel, monkeypatch, store("this"), on_new_message)
    working = store("working")
    assert await working.take(session, record) and not await store("this").take(session, record)

    async def answering() -> float:
        async with working.kept(session, record):
            await asyncio.sleep(0.25)
        return time.monotonic()

    answered_at, (_, acked_at) = await asyncio.gather(answering(), timed(handler("sid", {
        "message": "сәлем", "session_id": session, "message_id": message_id})))
    assert acked_at >= answered_at


async def test_a_message_sent_again_after_its_server_died_is_answered_once(redis_port, monkeypatch):
    """Taken by the dead server, then sent again by the widget on reconnecting:
    the reconnect's claim answers it, the message sent again only waits for that."""
    channel, server, store = abandoned_widget(redis_port, monkeypatch, tracker=None)
    session, message_id = f"w-{uuid.uuid4().hex}", uuid.uuid4().hex
    await store("dead").take(session, {"message": "сәлем", "metadata": None, "message_id": message_id, "taken_at": 1})
    processed = []

    async def on_new_message(message):
        processed.append(message.message_id)

    this = store("this")
    handler = widget_handler(channel, monkeypatch, this, on_new_message)
    await asyncio.gather(channel._answer_abandoned(Recorder(), session, this, on_new_message, server),
                         handler("sid", {"message": "сәлем", "session_id": session, "message_id": message_id}))
    assert processed == [message_id] and not await this.waiting(session)


async def timed(work):
    result = await work
    return result, time.monotonic()


async def test_a_message_sent_again_while_answered_here_gets_what_its_new_connection_missed(monkeypatch):
    """Its connection dropped while this server answered it; the widget, reconnected,
    sent it again: what went to the session before the new connection joined comes
    again, the rest reached it anyway; processed once."""
    from dataclasses import replace
    from types import SimpleNamespace

    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.config import LIMITS
    from channels import web

    monkeypatch.setattr(web, "LIMITS", replace(LIMITS, lock_ticket_seconds=0.3, lock_heartbeat_seconds=0.1))
    session, message_id, joined_at = f"w-{uuid.uuid4().hex}", uuid.uuid4().hex, time.time()
    tracker = DialogueStateTracker.from_events(session, [
        UserUttered("сәлем", message_id=message_id),
        BotUttered("бірінші", timestamp=joined_at - 1), BotUttered("екінші", timestamp=joined_at + 1)])
    release, processed, store = asyncio.Event(), [], Store(None)

    async def on_new_message(message):
        processed.append(message.message_id)
        await message.output_channel.send_text_message(message.sender_id, "бірінші")  # nobody in the room
        await release.wait()
        await message.output_channel.send_text_message(message.sender_id, "екінші")
        store.tracker = tracker  # saved at the turn's end

    channel = web.WidgetSocketIO(session_persistence=True)
    monkeypatch.setattr(web.pending_messages, "from_environment", lambda: None)
    blueprint = channel.routes(on_new_message)
    sio, sent = blueprint.ctx.sio, Recorder()
    monkeypatch.setattr(sio, "emit", sent.emit)
    monkeypatch.setattr(sio, "get_session", lambda sid, namespace=None: asyncio.sleep(0, {"joined_at": joined_at}))
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    for future in blueprint._future_listeners:  # keep_app: the agent's tracker store
        await future.listener(app, None)
    handler = sio.handlers["/"]["user_uttered"]
    data = {"message": "сәлем", "session_id": session, "message_id": message_id}

    first = asyncio.ensure_future(handler("old-connection", data))
    await asyncio.sleep(0.05)
    again = asyncio.ensure_future(handler("new-connection", data))
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.gather(first, again)
    assert processed == [message_id]
    assert [(data["text"], room) for _, data, room, _ in sent.emitted] == [
        ("бірінші", session), ("екінші", session), ("бірінші", session)]
