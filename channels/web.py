"""The beeline.kz chat widget: its Socket.IO channel and its page, served by Rasa.

The widget (rasa-webchat, see web/) talks to ``WidgetSocketIO``: Rasa's own
``socketio`` channel with one fix (below). ``WidgetPage`` serves web/static,
so the page, the bundle and the Socket.IO endpoint share one origin (no CORS,
no CDN, one thing to deploy):

- GET /webhooks/widget/               index.html, with ``{{SOCKET_URL}}`` filled
  from ``socket_url`` (empty: the page connects to its own origin);
- GET /webhooks/widget/static/<file>  a file of web/static by plain name only
  (no sub-paths, no dot-files, known types only), so nothing else on the
  server can be read through it.

web/static/webchat.js is made by web/build.sh (scripts/setup.sh runs it).

A message whose server dies before answering it is answered by the other
server when the widget reconnects there (bot/server/pending.py): each message is
recorded while it is answered, and a session that asks for itself again gets
its abandoned messages answered — from the conversation if the dead server had
processed them, else processed now. Only on the cluster (Redis).

A message lost on the way (in flight on a dying server's connection) only the
widget still has. So the page (web/static/index.html) gives each message a
``message_id`` and sends it with a Socket.IO acknowledgement, which comes once
the message is answered, and sends a message never acknowledged again, same
id, after reconnecting. An id is answered once: one the conversation holds gets
its stored answer again (the first may have been lost with the connection), one
being answered — on this server, or on the cluster by any — gets its ack after
that answer (answered here: with what of it went out before the widget's new
connection joined the session).

An operator's message (docs/operator-api.md) reaches an open widget through
``get_output_channel``: on the cluster the Socket.IO server uses python-socketio's
Redis client manager, so whichever server the operator's call lands on reaches
the session on the other; a turn's own answers still go straight to the socket.

Why not the built-in ``socketio:`` channel as is: with ``session_persistence``
Rasa 3.6 calls ``AsyncServer.enter_room`` without ``await`` (RasaHQ/rasa#13027,
never fixed in 3.6). python-socketio ≥ 5.10 made it a coroutine, so the browser
never joins its session's room and receives no answer at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

import socketio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import LIMITS
from bot.server import pending as pending_messages
from bot.server.rate_limit import shared_redis_url
from bot.server.tracker_store import stored_replies
from channels.base import GuardedInput

logger = logging.getLogger(__name__)

CHANNEL = "widget"
MAX_SESSION_ID = LIMITS.max_conversation_id_chars  # the widget's ids are 32 hex characters
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
# Only these are served; anything else in web/static stays private.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# nosniff: a browser must not run a file as something other than its type.
_HEADERS = {"X-Content-Type-Options": "nosniff"}


def static_file(name: Text) -> Optional[Path]:
    """The file of web/static called ``name``, or None if it is not servable."""
    if len(name) > 100 or not _PLAIN_NAME.match(name) or ".." in name or Path(name).suffix.lower() not in CONTENT_TYPES:
        return None  # (a name longer than the file system allows made is_file() raise: a 500)
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file():
        return None
    return path


def render_page(socket_url: Text) -> Text:
    """index.html with the Socket.IO URL as the body of a JS string literal."""
    # json.dumps escapes quotes and backslashes; "<" is escaped too so a value
    # can never close the <script> element.
    literal = json.dumps(socket_url or "")[1:-1].replace("<", "\\u003c")
    return (STATIC / "index.html").read_text(encoding="utf-8").replace("{{SOCKET_URL}}", literal)


class WidgetOutput(SocketIOOutput):
    """Rasa's Socket.IO output with its custom payloads fixed: Rasa 3.6 passes a
    custom payload's keys to ``AsyncServer.emit`` as arguments, so Dana's hand-off
    signal (``{"handoff": …}``, actions/handoff.py) raised TypeError and the
    customer heard «write again» instead of «an operator will answer». Sent as
    ``{"custom": …}`` in a ``bot_uttered`` event, as the REST channel returns it.

    In a turn the customer's socket is on this server: answers go straight to it.
    Outside a turn (an operator's message, ``local=False``) the socket may be on
    any server of the cluster: the message goes through the Socket.IO manager,
    which on the cluster is Redis's (``WidgetSocketIO.routes``)."""

    def __init__(self, sio: Any, bot_message_evt: Text, local: bool = True) -> None:
        super().__init__(sio, bot_message_evt)
        self.local = local

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        await self.sio.emit(self.bot_message_evt, response, room=socket_id, ignore_queue=self.local)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WidgetSocketIO(GuardedInput, SocketIOInput):
    """Rasa's ``socketio`` channel (same name, path and settings) whose
    ``session_request`` joins the session's room properly."""

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Reaches a widget session outside a turn (None before the server runs)."""
        return WidgetOutput(self.sio, self.bot_message_evt, local=False) if self.sio else None

    def routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socket_blueprint = SocketIOInput.blueprint(self, on_new_message)
        sio = socket_blueprint.ctx.sio
        redis_url = shared_redis_url()
        if redis_url:
            # Rasa makes its AsyncServer without a client manager; before any
            # connection it takes Redis's, so a server can reach a session the
            # other server holds (an operator's message), as python-socketio
            # documents for several servers.
            sio.manager = socketio.AsyncRedisManager(redis_url, channel="dana-widget")
            sio.manager.set_server(sio)
        pending = pending_messages.from_environment() if self.session_persistence else None
        self._tasks: Set[asyncio.Task] = set()  # the loop keeps only weak references to tasks
        self._answering: Set[Tuple[Text, Text]] = set()  # (session, message id) being answered here
        server: Dict[str, Any] = {}  # the Sanic app, for the tracker store

        @socket_blueprint.listener("before_server_start")
        async def keep_app(app: Any, _loop: Any) -> None:
            server["app"] = app

        # Replaces Rasa's handler of the same event (python-socketio keeps one
        # handler per event); the only change is the awaited enter_room.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            # A browser sends {"session_id": "<hex>"} or nothing; anything else
            # (a script's junk) gets a fresh session rather than a crash.
            given = data.get("session_id") if isinstance(data, dict) else None
            session_id: Text = given if isinstance(given, str) and _valid_session_id(given) else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
                # From now on this connection gets the session's answers (_missed_answer).
                await sio.save_session(sid, {"joined_at": time.time()}, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace, ignore_queue=True)
            if pending is not None:  # a reconnect after this session's server died?
                self._background(self._answer_abandoned(sio, session_id, pending, on_new_message, server))

        # Rasa's handler takes any JSON: a number as the message or as the
        # session id, or customData that is not an object, fails inside the
        # handler. Checked here; a malformed event is answered with an error event.
        # python-socketio acknowledges the event when this returns: once answered.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:  # no payload: no data
            problem = _message_problem(data, self.session_persistence, self.metadata_key)
            if problem:
                await sio.emit("error", {"error": problem}, room=sid, namespace=self.namespace, ignore_queue=True)
                return
            assert data is not None  # _message_problem rejects anything but a dict
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            sender_id = data["session_id"] if self.session_persistence else sid
            message = UserMessage(
                data["message"][: LIMITS.max_message_chars],
                WidgetOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=metadata or None,
                message_id=data.get("message_id"),  # None: Rasa makes one
            )
            # A widget sends a message again, same id, when it reconnected before its ack.
            maybe_answered = data.get("message_id") is not None
            key = (sender_id, message.message_id)
            if maybe_answered and await self._being_answered(pending, key):
                here = key in self._answering
                await self._until_answered(pending, key)
                if here:
                    await self._missed_answer(sio, sid, message, server)
                return
            self._answering.add(key)
            try:
                await self._answer(message, metadata, pending, on_new_message, server, maybe_answered)
            finally:
                self._answering.discard(key)

        return socket_blueprint

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(
        self,
        message: UserMessage,
        metadata: Any,
        pending: Optional[pending_messages.PendingMessages],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        server: Dict[str, Any],
        maybe_answered: bool,
    ) -> None:
        """Answer the message, recorded as pending meanwhile (on the cluster)."""
        if pending is None:
            await self._answer_once(message, on_new_message, server, maybe_answered)
            return
        session_id = message.sender_id
        record = {
            "message": message.text,
            "metadata": metadata,
            "message_id": message.message_id,
            "taken_at": time.time(),
        }
        try:
            taken = await pending.take(session_id, record)
        except Exception as error:  # Redis down: answered all the same, just not handed over
            logger.warning("widget message not recorded (%s)", type(error).__name__)
            await self._answer_once(message, on_new_message, server, maybe_answered)
            return
        if not taken:  # sent again and taken by another server a moment ago (a rare race): it answers
            return
        async with pending.kept(session_id, record):
            await self._answer_once(message, on_new_message, server, maybe_answered)

    async def _answer_once(
        self,
        message: UserMessage,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        server: Dict[str, Any],
        maybe_answered: bool,
    ) -> None:
        """Process the message, unless the conversation holds it already (only
        looked up if ``maybe_answered``) — then its stored answer again, not a
        second turn: the first answer may have been lost with the connection."""
        stored = await _stored_replies(server, message) if maybe_answered else None
        if stored is None:
            await on_new_message(message)
            return
        await _send_again(message, stored)

    async def _missed_answer(self, sio: Any, sid: Text, message: UserMessage, server: Dict[str, Any]) -> None:
        """The part of an answer this server sent while the message's widget was
        reconnecting, sent again: it went to the session's room before this
        connection (which sent the message again) had joined it."""
        joined_at = (await sio.get_session(sid, namespace=self.namespace)).get("joined_at")
        stored = await _stored_replies(server, message) if joined_at else None
        await _send_again(message, [event for event in stored or [] if event.get("timestamp", 0) < joined_at])

    async def _being_answered(
        self, pending: Optional[pending_messages.PendingMessages], key: Tuple[Text, Text]
    ) -> bool:
        """Whether the message (session, id) is being answered: here, or on the
        cluster by any server (or is left by a dead one, about to be claimed)."""
        if key in self._answering:
            return True
        try:
            return pending is not None and await pending.holds(*key)
        except Exception as error:  # Redis down: not known to be
            logger.warning("pending widget message not checked (%s)", type(error).__name__)
            return False

    async def _until_answered(
        self, pending: Optional[pending_messages.PendingMessages], key: Tuple[Text, Text]
    ) -> None:
        """Wait while another handler answers the message, so that this one's ack
        follows the answer. Bounded: a dead server's message is claimed within a
        lease and two beats (``_answer_abandoned``); one still held after that has
        a live server answering it."""
        deadline = time.monotonic() + LIMITS.lock_ticket_seconds + 2 * LIMITS.lock_heartbeat_seconds
        while time.monotonic() < deadline and await self._being_answered(pending, key):
            await asyncio.sleep(LIMITS.lock_heartbeat_seconds)

    async def _answer_abandoned(
        self,
        sio: Any,
        session_id: Text,
        pending: pending_messages.PendingMessages,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        server: Dict[str, Any],
    ) -> None:
        """Answer the session's messages a dead server left, once their lease runs out."""
        deadline = time.monotonic() + LIMITS.lock_ticket_seconds + 2 * LIMITS.lock_heartbeat_seconds
        try:
            while time.monotonic() < deadline:
                if not await pending.waiting(session_id):
                    return  # nothing unanswered: the usual (re)connect
                claimed = await pending.claim_abandoned(session_id)
                if claimed:
                    break
                await asyncio.sleep(LIMITS.lock_heartbeat_seconds)  # its server may still be answering
            else:
                return
        except Exception as error:  # Redis down: nothing to hand over
            logger.warning("abandoned widget messages not checked (%s)", type(error).__name__)
            return
        output = WidgetOutput(sio, self.bot_message_evt)
        for record in claimed:
            logger.warning("answering a widget message its server left unanswered")
            message = UserMessage(
                record["message"],
                output,
                session_id,
                input_channel=self.name(),
                metadata=record.get("metadata") or None,
                message_id=record["message_id"],
            )
            async with pending.kept(session_id, record):  # its stored answer if its server had processed it
                await self._answer_once(message, on_new_message, server, maybe_answered=True)


async def _stored_replies(server: Dict[str, Any], message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    """The stored bot events answering ``message`` (its id), None if not stored."""
    agent = server["app"].ctx.agent if "app" in server else None
    return await stored_replies(agent.tracker_store, message.sender_id, message.message_id) if agent else None


async def _send_again(message: UserMessage, bot_events: List[Dict[Text, Any]]) -> None:
    for event in bot_events:
        said = {"text": event.get("text"), **(event.get("data") or {})}
        await message.output_channel.send_response(message.sender_id, {k: v for k, v in said.items() if v})


def _valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_SESSION_ID and value.strip() == value


def _message_problem(data: Any, session_persistence: bool, metadata_key: Text) -> Optional[Text]:
    """What is wrong with a user_uttered event, or None."""
    if not isinstance(data, dict):
        return 'expected {"message": "<text>", "session_id": "<id>"}'
    if not isinstance(data.get("message"), str) or not data["message"].strip():
        return '"message" must be a non-empty string'
    if session_persistence and not _valid_session_id(data.get("session_id")):
        return f'"session_id" must be the string from session_confirm (at most {MAX_SESSION_ID} characters)'
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return f'"{metadata_key}" must be a JSON object'
    if metadata is not None and not isinstance(metadata, dict):
        return f'"{metadata_key}" must be a JSON object'
    message_id = data.get("message_id")
    if message_id is not None and not (isinstance(message_id, str) and _MESSAGE_ID.fullmatch(message_id)):
        return '"message_id" must be 1–64 letters, digits, _ or -'
    return None


class WidgetPage(InputChannel):
    """Serves the widget page; messages arrive through the ``socketio`` channel."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WidgetPage":
        return cls((credentials or {}).get("socket_url") or "")

    def __init__(self, socket_url: Text = "") -> None:
        self.socket_url = socket_url.strip().rstrip("/")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("widget_page", __name__)

        @page.route("", methods=["GET"], strict_slashes=True)
        async def no_slash(request: Request) -> HTTPResponse:
            # The page loads static/… relative to its URL, which needs the slash.
            return response.redirect(request.path + "/")

        @page.route("/", methods=["GET"], strict_slashes=True)
        async def index(_: Request) -> HTTPResponse:
            if not (STATIC / "index.html").is_file():
                return response.text("widget page missing: web/static/index.html", status=404)
            # no-cache: a new socket_url or page must reach visitors at once.
            return response.html(render_page(self.socket_url), headers={**_HEADERS, "Cache-Control": "no-cache"})

        @page.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: Text) -> HTTPResponse:
            path = static_file(name)
            if path is None:
                return response.text("not found", status=404)
            # The bundle changes only with a rebuild; five minutes spares
            # beeline.kz re-downloading 700 kB on every page.
            cache = "no-cache" if path.suffix == ".html" else "public, max-age=300"
            return await response.file(
                path, mime_type=CONTENT_TYPES[path.suffix.lower()], headers={**_HEADERS, "Cache-Control": cache}
            )

        return page
