"""The widget's Socket.IO channel (channels/web.py) with a live Dana: answers reach
the browser's session, the hand-off included."""
from __future__ import annotations

import asyncio
import uuid

from channels.web import WidgetOutput


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
