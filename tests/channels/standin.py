"""A local stand-in for the outside services Dana's channels talk to.

One threaded HTTP server records every request (method, path, headers, body)
and answers like the real service would: Telegram's Bot API under /bot<token>/,
Meta's Graph API under /graph/, the contact centre's hand-off webhook under
/handoff, and anything a test scripts with ``respond_next``. A path in
``forward`` is passed on to another service, whose answer is returned.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple


@dataclass
class Call:
    method: str
    path: str
    headers: Dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def params(self) -> Dict[str, Any]:
        """The request's parameters, JSON or form-encoded (python-telegram-bot
        posts forms whose nested values, like reply_markup, are JSON text)."""
        if "application/json" in self.headers.get("content-type", ""):
            return self.json or {}
        from urllib.parse import parse_qsl

        params: Dict[str, Any] = {}
        for key, value in parse_qsl(self.body.decode("utf-8", "replace")):
            try:
                params[key] = json.loads(value) if value[:1] in "{[" else value
            except ValueError:
                params[key] = value
        return params

    @property
    def api_method(self) -> str:
        """Last path segment: «sendMessage», «messages», «handoff»."""
        return self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


@dataclass
class StandIn:
    server: ThreadingHTTPServer
    calls: List[Call] = field(default_factory=list)
    scripted: List[Tuple[str, int, Any]] = field(default_factory=list)  # (path part, status, body)
    lock: threading.Lock = field(default_factory=threading.Lock)
    forward: Dict[str, str] = field(default_factory=dict)  # path → URL it is passed on to
    _message_id: int = 100

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def respond_next(self, path_part: str, status: int, body: Any = None) -> None:
        """The next request whose path contains ``path_part`` gets this answer."""
        with self.lock:
            self.scripted.append((path_part, status, body))

    def calls_to(self, api_method: str) -> List[Call]:
        with self.lock:
            return [c for c in self.calls if c.api_method == api_method]

    def wait_for(self, api_method: str, count: int = 1, timeout: float = 30.0) -> List[Call]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.calls_to(api_method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{api_method}: expected {count} call(s), got {len(self.calls_to(api_method))}: "
                             f"{[c.path for c in self.calls]}")

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # Default answers ---------------------------------------------------------
    def answer(self, call: Call) -> Tuple[int, Any]:
        with self.lock:
            for i, (part, status, body) in enumerate(self.scripted):
                if part in call.path:
                    del self.scripted[i]
                    return status, body
            self._message_id += 1
            message_id = self._message_id
        if call.path.startswith("/bot"):
            return 200, _telegram_answer(call, message_id)
        if call.path.startswith("/graph"):
            return 200, {"recipient_id": "x", "message_id": f"m.{message_id}",
                         "messages": [{"id": f"wamid.{message_id}"}]}
        return 200, {"ok": True}


def _telegram_answer(call: Call, message_id: int) -> Dict[str, Any]:
    body = call.params
    method = call.api_method
    if method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
        chat_id = body.get("chat_id", 1)
        return {"ok": True, "result": {"message_id": message_id, "date": int(time.time()),
                                       "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 1,
                                                "type": "private"},
                                       "text": body.get("text", "")}}
    if method == "getMe":
        return {"ok": True, "result": {"id": 123, "is_bot": True, "first_name": "Dana", "username": "dana_bot"}}
    if method == "getFile":
        return {"ok": True, "result": {"file_id": body.get("file_id"), "file_unique_id": "u1",
                                       "file_size": 2048, "file_path": "photos/receipt.jpg"}}
    return {"ok": True, "result": True}


def _forward(call: Call, url: str) -> Tuple[int, bytes, str]:
    """Pass a request on with its body and its Content-Type and X-Dana-* headers."""
    headers = {k: v for k, v in call.headers.items() if k == "content-type" or k.startswith("x-dana-")}
    request = urllib.request.Request(url, data=call.body or None, headers=headers, method=call.method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read(), answer.headers.get("Content-Type", "application/json")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), "application/json"


def start_standin(extra: Optional[Callable[[Call], Optional[Tuple[int, Any]]]] = None) -> StandIn:
    holder: Dict[str, StandIn] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length) if length else b"")
            standin = holder["s"]
            with standin.lock:
                standin.calls.append(call)
            if call.path.startswith("/file/"):  # Telegram file download
                payload, status, ctype = b"\xff\xd8\xff\xe0" + b"0" * 2044, 200, "image/jpeg"
            elif call.path in standin.forward:
                status, payload, ctype = _forward(call, standin.forward[call.path])
            else:
                status, body = (extra(call) if extra else None) or standin.answer(call)
                payload, ctype = json.dumps(body).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["s"] = StandIn(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder["s"]
