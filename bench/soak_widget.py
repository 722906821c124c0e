"""The soak's widget customers: a Socket.IO client per conversation, as the
beeline.kz widget (rasa-webchat) talks to Dana through the balancer.

Like the widget it asks for its session on every (re)connect, and a message
typed while the connection is down waits for it (socket.io-client's buffer).
Like the widget page (web/static/index.html) it gives each message an id and
sends it with an ack callback (Dana acknowledges once she has answered); a
message not acknowledged by a reconnect is sent again, same id, once the
session is confirmed — Dana answers an id once (channels/web.py).
Long-polling only: python-engineio's websocket client needs a newer aiohttp
than Rasa pins (tests/cluster/test_cluster.py speaks the websocket itself).
A customer who sees no answer for ``NO_ANSWER_AFTER`` seconds, or «write
again», looks at the conversation (as a reloaded widget shows it) and writes
the message again only if it never arrived — counted as «sent again».
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any, Optional

import aiohttp

if TYPE_CHECKING:
    from bench.soak import Conversation, Customer, Turn

NO_ANSWER_AFTER = 20.0  # s a widget customer waits before looking again
QUIET = 0.4  # s without another message: the answer is complete


class WidgetChat:
    """One customer's widget: its Socket.IO client and session."""

    def __init__(self, url: str, session_id: Optional[str] = None) -> None:
        self.url = url
        self.session_id = session_id or uuid.uuid4().hex  # the conversation's id in the tracker
        self.http: Optional[aiohttp.ClientSession] = None
        self.client: Any = None  # made in open(), with its HTTP session
        self.answers: asyncio.Queue = asyncio.Queue()
        self.connected = asyncio.Event()
        self.connections = 0
        self.unacked: dict[str, tuple[dict, int]] = {}  # message_id: (message, the connection it went out on)

    def _listen(self) -> None:
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on("session_confirm", self._on_session_confirm)
        self.client.on(
            "bot_uttered", lambda data: self.answers.put_nowait((time.monotonic(), (data or {}).get("text", "")))
        )

    async def _on_connect(self) -> None:
        self.connections += 1
        await self.client.emit("session_request", {"session_id": self.session_id})
        self.connected.set()

    async def _on_session_confirm(self, *_: object) -> None:
        for message_id, (message, sent_on) in list(self.unacked.items()):
            if sent_on < self.connections:  # went out on a connection that dropped before its ack
                await self._emit(message_id, message)

    async def _emit(self, message_id: str, message: dict) -> None:
        self.unacked[message_id] = (message, self.connections)
        try:
            await self.client.emit("user_uttered", message, callback=lambda *_: self.unacked.pop(message_id, None))
        except Exception:  # dropped meanwhile: sent again once the session is confirmed after the reconnect
            self.connected.clear()

    def _on_disconnect(self, *_: object) -> None:
        self.connected.clear()

    async def open(self) -> None:
        import socketio

        # The balancer keeps a widget on its server with a cookie, as a browser
        # keeps it; aiohttp's default jar refuses cookies of an IP address.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.client = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            randomization_factor=0.2,
            http_session=self.http,
        )
        self._listen()
        await self.client.connect(self.url, transports=["polling"], socketio_path="/socket.io", wait_timeout=30)
        await asyncio.wait_for(self.connected.wait(), 30)
        await asyncio.sleep(0.2)  # the server joins the session's room

    async def close(self) -> None:
        if self.client is not None:
            await self.client.disconnect()
        if self.http is not None:
            await self.http.close()

    async def send(self, text: str) -> None:
        """A message the customer typed: a new one, with its own id."""
        await self.connected.wait()
        message_id = uuid.uuid4().hex
        await self._emit(message_id, {"message": text, "session_id": self.session_id, "message_id": message_id})

    async def answer(self, timeout: float) -> Optional[tuple[float, str]]:
        """(when the first message came, the whole answer) or None."""
        try:
            first_at, text = await asyncio.wait_for(self.answers.get(), timeout)
        except asyncio.TimeoutError:
            return None
        texts = [text]
        while True:
            try:
                _, more = await asyncio.wait_for(self.answers.get(), QUIET)
                texts.append(more)
            except asyncio.TimeoutError:
                return first_at, "\n".join(t for t in texts if t)


async def say(
    customer: "Customer",
    chat: WidgetChat,
    conversation: "Conversation",
    text: str,
    done_turns: int,
    turn: "Turn",
    deadline: float,
) -> "Turn":
    while time.monotonic() < deadline:
        turn.attempts += 1
        await chat.send(text)
        got = await chat.answer(min(NO_ANSWER_AFTER, max(0.1, deadline - time.monotonic())))
        if got and got[1] and not customer._is_unavailable(got[1]):
            turn.latency = got[0] - turn.started
            turn.answered = True
            conversation.replies.append(got[1])
            return turn
        turn.why_resent.append("no answer" if not got else "«write again»")
        if await customer.look_again(conversation, turn, done_turns, deadline):
            return turn
    conversation.replies.append("")
    return turn
