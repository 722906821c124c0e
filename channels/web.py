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

Why not the built-in ``socketio:`` channel as is: with ``session_persistence``
Rasa 3.6 calls ``AsyncServer.enter_room`` without ``await`` (RasaHQ/rasa#13027,
never fixed in 3.6). python-socketio ≥ 5.10 made it a coroutine, so the browser
never joins its session's room and receives no answer at all.
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

CHANNEL = "widget"
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
    if not _PLAIN_NAME.match(name) or ".." in name or Path(name).suffix.lower() not in CONTENT_TYPES:
        return None
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


class WidgetSocketIO(SocketIOInput):
    """Rasa's ``socketio`` channel (same name, path and settings) whose
    ``session_request`` joins the session's room properly."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socket_blueprint = super().blueprint(on_new_message)
        sio = socket_blueprint.ctx.sio

        # Replaces Rasa's handler of the same event (python-socketio keeps one
        # handler per event); the only change is the awaited enter_room.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data or {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)

        return socket_blueprint


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
            return response.html(render_page(self.socket_url),
                                 headers={**_HEADERS, "Cache-Control": "no-cache"})

        @page.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: Text) -> HTTPResponse:
            path = static_file(name)
            if path is None:
                return response.text("not found", status=404)
            # The bundle changes only with a rebuild; five minutes spares
            # beeline.kz re-downloading 700 kB on every page.
            cache = "no-cache" if path.suffix == ".html" else "public, max-age=300"
            return await response.file(path, mime_type=CONTENT_TYPES[path.suffix.lower()],
                                       headers={**_HEADERS, "Cache-Control": cache})

        return page
