"""The widget's Socket.IO channel (channels/web.py) with a live Dana: answers reach
the browser's session, the hand-off included."""
from __future__ import annotations

import asyncio
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
    assert sio.emitted == [("bot_uttered", {"custom": {"handoff": {"reason": "asked"}}}, "session-1", {})]


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
