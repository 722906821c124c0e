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
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import LIMITS
from bot.server import pending as pending_messages
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
    ``{"custom": …}`` in a ``bot_uttered`` event, as the REST channel returns it."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WidgetSocketIO(GuardedInput, SocketIOInput):
    """Rasa's ``socketio`` channel (same name, path and settings) whose
    ``session_request`` joins the session's room properly."""

    def routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socket_blueprint = SocketIOInput.blueprint(self, on_new_message)
        sio = socket_blueprint.ctx.sio
        pending = pending_messages.from_environment() if self.session_persistence else None
        self._tasks: Set[asyncio.Task] = set()  # the loop keeps only weak references to tasks
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
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            if pending is not None:  # a reconnect after this session's server died?
                self._background(self._answer_abandoned(sio, session_id, pending, on_new_message, server))

        # Rasa's handler takes any JSON: a number as the message or as the
        # session id, or customData that is not an object, fails inside the
        # handler. Checked here; a malformed event is answered with an error event.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:  # no payload: no data
            problem = _message_problem(data, self.session_persistence, self.metadata_key)
            if problem:
                await sio.emit("error", {"error": problem}, room=sid, namespace=self.namespace)
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
            )
            if pending is None:
                await on_new_message(message)
                return
            record = {
                "message": message.text,
                "metadata": metadata,
                "message_id": message.message_id,
                "taken_at": time.time(),
            }
            try:
                await pending.take(sender_id, record)
            except Exception as error:  # Redis down: answered all the same, just not handed over
                logger.warning("widget message not recorded (%s)", type(error).__name__)
                await on_new_message(message)
                return
            async with pending.kept(sender_id, record):
                await on_new_message(message)

        return socket_blueprint

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
            async with pending.kept(session_id, record):
                agent = server["app"].ctx.agent if "app" in server else None
                stored = await stored_replies(agent.tracker_store, session_id, record["message_id"]) if agent else None
                if stored is not None:  # processed before its server died: its answer, not a second turn
                    for event in stored:
                        said = {"text": event.get("text"), **(event.get("data") or {})}
                        await output.send_response(session_id, {k: v for k, v in said.items() if v})
                    continue
                await on_new_message(
                    UserMessage(
                        record["message"],
                        output,
                        session_id,
                        input_channel=self.name(),
                        metadata=record.get("metadata") or None,
                        message_id=record["message_id"],
                    )
                )


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
