"""Bad input never breaks Dana: junk sent to every public endpoint of a running
Dana gets a 4xx with a message saying what is wrong, or a normal 200 answer
(in the customer's language where there is text) — never a 5xx, never a
traceback in the server's log, never a back-office row; afterwards Dana still
talks normally in Kazakh and Russian.

Each case is its own test id (endpoint-case), so a failure names the input.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from sqlalchemy import create_engine, text

from tests.channels.conftest import API_TOKEN, META_APP_SECRET, META_VERIFY_TOKEN, TELEGRAM_SECRET, VOICE_TOKEN

KAZAKH = re.compile("[әғқңөұүһі]", re.IGNORECASE)
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
_ids = itertools.count(1)
RUN = f"{os.getpid()}-{int(time.time())}"

LONG_KK = ("Сәлеметсіз бе, үйдегі интернет істемей тұр, көмектесіңізші. " * 200)[:10_000]
LONG_RU = ("Здравствуйте, у меня пропал домашний интернет, помогите пожалуйста. " * 200)[:10_000]
LONG_WORD = "а" * 10_000
SQL = "'; DROP TABLE events; -- 0851234567'; DELETE FROM technician_tickets; --"
SCRIPT = "<script>alert(1)</script> <b>жоқ</b> &amp;"
EMOJI = "😀🔥👍🏽🇰🇿"
RTL_ZW = "\u202eтенретни\u202c \u200b\u200c\u200d\ufeff مرحبا שלום"
INVALID_UTF8 = b"\xff\xfe\xc3\x28\xa0\xa1"
TWO_MB = 2 * 1024 * 1024


def http(dana, method: str, path: str, data: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None,
         timeout: float = 120) -> Tuple[int, bytes, Dict[str, str]]:
    request = urllib.request.Request(dana["url"] + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def assert_handled(status: int, body: bytes, case: str) -> None:
    assert status < 500, f"{case}: {status} {body[:300]!r}"
    if status >= 400:
        assert body.strip(), f"{case}: {status} with an empty body"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def assert_language(answer_text: str, lang: str, case: str) -> None:
    assert answer_text.strip(), f"{case}: no answer"
    if lang == "kk":
        assert KAZAKH.search(answer_text), f"{case}: not Kazakh: {answer_text[:200]}"
    elif lang == "ru":
        assert CYRILLIC.search(answer_text) and not KAZAKH.search(answer_text), f"{case}: not Russian: {answer_text[:200]}"


@pytest.fixture(scope="module")
def log_start(dana):
    """Where the server log stood before the fuzzing: tracebacks after it are ours."""
    return {name: path.stat().st_size for name, path in dana["logs"].items()}


# ---------------------------------------------------------------- REST

def rest_sender(case: str) -> str:
    return f"fuzz-{case}-{RUN}-{next(_ids)}"


JSON = {"Content-Type": "application/json"}
REST_CASES = {
    # case: (body bytes or a callable making one from a fresh sender, headers, statuses allowed, language)
    "long-kazakh": (lambda s: json_bytes({"sender": s, "message": LONG_KK}), JSON, {200}, "kk"),
    "long-russian": (lambda s: json_bytes({"sender": s, "message": LONG_RU}), JSON, {200}, "ru"),
    "long-word": (lambda s: json_bytes({"sender": s, "message": LONG_WORD}), JSON, {200}, None),
    "empty-message": (lambda s: json_bytes({"sender": s, "message": ""}), JSON, {400}, None),
    "whitespace-message": (lambda s: json_bytes({"sender": s, "message": " \n\t\u00a0 "}), JSON, {400}, None),
    "missing-message": (lambda s: json_bytes({"sender": s}), JSON, {400}, None),
    "missing-sender": (lambda s: json_bytes({"message": "сәлем"}), JSON, {400}, None),
    "empty-object": (lambda s: b"{}", JSON, {400}, None),
    "empty-body": (lambda s: b"", JSON, {400}, None),
    "null-body": (lambda s: b"null", JSON, {400}, None),
    "array-body": (lambda s: b'[{"sender": "x", "message": "hi"}]', JSON, {400}, None),
    "message-number": (lambda s: json_bytes({"sender": s, "message": 12345}), JSON, {400}, None),
    "message-array": (lambda s: json_bytes({"sender": s, "message": ["сәлем"]}), JSON, {400}, None),
    "message-object": (lambda s: json_bytes({"sender": s, "message": {"text": "сәлем"}}), JSON, {400}, None),
    "sender-number": (lambda s: json_bytes({"sender": 42, "message": "сәлем"}), JSON, {400}, None),
    "sender-object": (lambda s: json_bytes({"sender": {"id": 1}, "message": "сәлем"}), JSON, {400}, None),
    "metadata-string": (lambda s: json_bytes({"sender": s, "message": "сәлем", "metadata": "x"}), JSON, {400}, None),
    "invalid-utf8": (lambda s: b'{"sender": "' + s.encode() + b'", "message": "' + INVALID_UTF8 + b'"}', JSON,
                     {400}, None),
    "invalid-json": (lambda s: b'{"sender": "x", "message": ', JSON, {400}, None),
    "form-encoded": (lambda s: urllib.parse.urlencode({"sender": s, "message": "сәлем"}).encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"}, {400}, None),
    "text-plain-json": (lambda s: json_bytes({"sender": s, "message": "Здравствуйте, пропал интернет"}),
                        {"Content-Type": "text/plain"}, {200}, "ru"),
    "multipart": (lambda s: b'--b\r\nContent-Disposition: form-data; name="message"\r\n\r\nhi\r\n--b--\r\n',
                  {"Content-Type": "multipart/form-data; boundary=b"}, {400}, None),
    "oversized-2mb": (lambda s: json_bytes({"sender": s, "message": "x" * TWO_MB}), JSON, {413}, None),
    "sql-injection": (lambda s: json_bytes({"sender": s, "message": SQL}), JSON, {200}, None),
    "script-injection": (lambda s: json_bytes({"sender": s, "message": SCRIPT}), JSON, {200}, None),
    "emoji-only": (lambda s: json_bytes({"sender": s, "message": EMOJI}), JSON, {200}, None),
    "rtl-zero-width": (lambda s: json_bytes({"sender": s, "message": RTL_ZW}), JSON, {200}, None),
    "sender-1000-chars": (lambda s: json_bytes({"sender": "s" * 1000, "message": "сәлем"}), JSON, {400}, None),
    "sender-path": (lambda s: json_bytes({"sender": f"../../etc/passwd-{s}", "message": "Привет"}), JSON, {200}, "ru"),
    "sender-unicode": (lambda s: json_bytes({"sender": f"Асан😀\u200b{s}", "message": "Сәлем"}), JSON, {200}, "kk"),
    "sender-spoofs-channel": (lambda s: json_bytes({"sender": s, "message": "Привет", "input_channel": "telegram"}),
                              JSON, {200}, "ru"),
}


@pytest.mark.parametrize("case", list(REST_CASES))
def test_rest_webhook(dana, log_start, case):
    make, headers, allowed, lang = REST_CASES[case]
    status, body, _ = http(dana, "POST", "/webhooks/rest/webhook", make(rest_sender(case)), headers)
    assert_handled(status, body, case)
    assert status in allowed, f"{case}: {status} {body[:300]!r}"
    if status == 200:
        messages = json.loads(body)
        assert isinstance(messages, list) and messages, f"{case}: Dana said nothing"
        said = "\n".join(m.get("text", "") for m in messages)
        assert "<script>" not in said
        assert "техникалық ақау" not in said and "техническая неполадка" not in said, f"{case}: a turn failed"
        if lang:
            assert_language(said, lang, case)
    else:
        assert "error" in json.loads(body), f"{case}: {body[:200]!r}"


def test_rest_stream_and_wrong_method(dana, log_start):
    status, body, _ = http(dana, "POST", "/webhooks/rest/webhook?stream=true",
                           json_bytes({"sender": rest_sender("stream"), "message": "Привет"}), JSON)
    assert status == 200 and body.strip()
    status, body, _ = http(dana, "GET", "/webhooks/rest/webhook")
    assert_handled(status, body, "rest-get")
    assert status == 405


# ---------------------------------------------------------------- Socket.IO

SOCKET_JUNK = {
    "user_uttered": [None, "сәлем", 12345, [], {}, {"message": "сәлем"}, {"message": 12345, "session_id": "{sid}"},
                     {"message": ["x"], "session_id": "{sid}"}, {"message": "hi", "session_id": {"a": 1}},
                     {"message": "hi", "session_id": "s" * 1000}, {"message": "", "session_id": "{sid}"},
                     {"message": "сәлем", "session_id": "{sid}", "customData": "not json"},
                     {"message": "сәлем", "session_id": "{sid}", "customData": 5},
                     {"message": LONG_WORD, "session_id": "{sid}"}, {"message": SQL, "session_id": "{sid}"}],
    "session_request": [None, "x", 5, [], {"session_id": 123}, {"session_id": {"a": 1}}, {"session_id": "s" * 1000}],
}


def test_socketio_junk_events(dana, log_start):
    import socketio

    client = socketio.Client(reconnection=False)
    answers: List[Any] = []
    sessions: List[str] = []
    errors: List[Any] = []
    client.on("bot_uttered", answers.append)
    client.on("session_confirm", sessions.append)
    client.on("error", errors.append)
    client.connect(dana["url"], socketio_path="/socket.io", transports=["polling"], wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": f"fuzz{RUN.replace('-', '')}{next(_ids)}"})
        deadline = time.time() + 20
        while not sessions and time.time() < deadline:
            time.sleep(0.1)
        assert sessions, "no session_confirm"
        sid = sessions[0]
        for event, payloads in SOCKET_JUNK.items():
            for payload in payloads:
                if isinstance(payload, dict):
                    payload = {k: (sid if v == "{sid}" else v) for k, v in payload.items()}
                client.emit(event, payload)
                time.sleep(0.1)  # one event per polling request (engine.io refuses > 16 at once)
        time.sleep(2)
        answers.clear()
        client.emit("user_uttered", {"message": "Здравствуйте, пропал интернет", "session_id": sid})
        deadline = time.time() + 60
        while not answers and time.time() < deadline:
            time.sleep(0.2)
        assert client.connected, "the server dropped the connection"
        assert answers, "no answer after the junk"
        assert_language(" ".join(a.get("text", "") for a in answers if isinstance(a, dict)), "ru", "socketio")
        assert errors, "malformed events were not answered with an error event"
    finally:
        client.disconnect()


# ---------------------------------------------------------------- Telegram

TG = "/webhooks/telegram/webhook"


def tg_headers(secret: Optional[str] = TELEGRAM_SECRET) -> Dict[str, str]:
    return {"Content-Type": "application/json", **({"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})}


def tg_message(chat: int, **fields: Any) -> Dict[str, Any]:
    return {"update_id": next(_ids) + 10_000_000, "message": {
        "message_id": next(_ids), "date": int(time.time()), "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Fuzz", "language_code": "ru"}, **fields}}


def tg_chat() -> int:
    return 9_000_000 + next(_ids) * 13


def tg_sent(standin, chat: int) -> List[Dict[str, Any]]:
    return [c.params for c in standin.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(chat)]


def wait_settled(sent: Callable[[], List[Dict[str, Any]]], timeout: float = 60,
                 settle: float = 2.0) -> List[Dict[str, Any]]:
    """What was sent once nothing new has arrived for ``settle`` seconds."""
    deadline, count, changed = time.time() + timeout, 0, time.time()
    while time.time() < deadline:
        now = len(sent())
        if now != count:
            count, changed = now, time.time()
        elif now and time.time() - changed > settle:
            break
        time.sleep(0.1)
    return sent()


def tg_wait(standin, chat: int, timeout: float = 60, settle: float = 2.0) -> List[Dict[str, Any]]:
    return wait_settled(lambda: tg_sent(standin, chat), timeout, settle)


BIG = 50 * 1024 * 1024
TG_CASES = {
    # case: (update fields or raw bytes, secret, statuses allowed, expected answer language or "any"/None)
    "no-secret": ({"text": "сәлем"}, None, {403}, None),
    "wrong-secret": ({"text": "сәлем"}, "wrong", {403}, None),
    "invalid-json": (b'{"update_id": ', TELEGRAM_SECRET, {400}, None),
    "invalid-utf8": (b'{"update_id": 1, "message": {"text": "' + INVALID_UTF8 + b'"}}', TELEGRAM_SECRET, {400}, None),
    "empty-body": (b"", TELEGRAM_SECRET, {400}, None),
    "array-body": (b"[1, 2]", TELEGRAM_SECRET, {400}, None),
    "string-body": (b'"hello"', TELEGRAM_SECRET, {400}, None),
    "no-update-id": (b'{"message": {"text": "hi"}}', TELEGRAM_SECRET, {400}, None),
    "update-id-string": (b'{"update_id": "abc"}', TELEGRAM_SECRET, {200, 400}, None),
    "form-encoded": (b"update_id=1&text=hi", TELEGRAM_SECRET, {400}, None),
    "oversized-2mb": (json_bytes({"update_id": 1, "junk": "x" * TWO_MB}), TELEGRAM_SECRET, {200, 400, 413}, None),
    "long-kazakh": ({"text": LONG_KK}, TELEGRAM_SECRET, {200}, "kk"),
    "long-russian": ({"text": LONG_RU}, TELEGRAM_SECRET, {200}, "ru"),
    "long-word": ({"text": LONG_WORD}, TELEGRAM_SECRET, {200}, "any"),
    "text-number": ({"text": 12345}, TELEGRAM_SECRET, {400}, None),
    "text-object": ({"text": {"a": 1}}, TELEGRAM_SECRET, {400}, None),
    "empty-text": ({"text": ""}, TELEGRAM_SECRET, {200}, None),
    "sql-injection": ({"text": SQL}, TELEGRAM_SECRET, {200}, "any"),
    "script-injection": ({"text": SCRIPT}, TELEGRAM_SECRET, {200}, "any"),
    "emoji-only": ({"text": EMOJI}, TELEGRAM_SECRET, {200}, "any"),
    "rtl-zero-width": ({"text": RTL_ZW}, TELEGRAM_SECRET, {200}, "any"),
    "photo-50mb": ({"photo": [{"file_id": "huge-photo", "file_unique_id": "h", "width": 9000, "height": 9000,
                               "file_size": BIG}]}, TELEGRAM_SECRET, {200}, "any"),
    "document-50mb-exe": ({"document": {"file_id": "huge-doc", "file_unique_id": "d", "file_name": "receipt.exe",
                                        "mime_type": "application/x-msdownload", "file_size": BIG}},
                          TELEGRAM_SECRET, {200}, "any"),
    "photo-junk-sizes": ({"photo": "not a list"}, TELEGRAM_SECRET, {200, 400}, None),
    "sticker": ({"sticker": {"file_id": "st", "file_unique_id": "st", "width": 1, "height": 1, "is_animated": False,
                             "is_video": False, "type": "regular"}}, TELEGRAM_SECRET, {200}, "any"),
}


@pytest.mark.parametrize("case", list(TG_CASES))
def test_telegram_webhook(dana, standin, log_start, case):
    payload, secret, allowed, lang = TG_CASES[case]
    chat = tg_chat()
    data = payload if isinstance(payload, bytes) else json_bytes(tg_message(chat, **payload))
    headers = tg_headers(secret) if case != "form-encoded" else {
        "Content-Type": "application/x-www-form-urlencoded", "X-Telegram-Bot-Api-Secret-Token": secret}
    status, body, _ = http(dana, "POST", TG, data, headers)
    assert_handled(status, body, case)
    assert status in allowed, f"{case}: {status} {body[:300]!r}"
    if status == 200 and lang:
        sent = tg_wait(standin, chat)
        said = "\n".join(m.get("text", "") for m in sent)
        if lang != "any":
            assert_language(said, lang, case)
        assert said, f"{case}: no answer"
        assert "<script>" not in said  # sent as HTML: must be escaped
        assert all(m.get("parse_mode") in (None, "HTML") for m in sent)
    if case.endswith("50mb") or case.endswith("50mb-exe"):
        assert not [c for c in standin.calls_to("getFile") if c.params.get("file_id", "").startswith("huge")], \
            "an oversized file was downloaded"


def test_telegram_replayed_update_has_one_side_effect(dana, standin, log_start):
    chat = tg_chat()
    update = tg_message(chat, photo=[{"file_id": f"replay{chat}", "file_unique_id": "r", "width": 90,
                                      "height": 90, "file_size": 2048}])
    for _ in range(3):
        status, body, _ = http(dana, "POST", TG, json_bytes(update), tg_headers())
        assert status == 200, body
    tg_wait(standin, chat)
    assert len([c for c in standin.calls_to("getFile") if c.params.get("file_id") == f"replay{chat}"]) == 1
    engine = create_engine(dana["database_url"])
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM receipts WHERE conversation_id = :c"),
                                  {"c": f"telegram:{chat}"}).scalar()
    assert rows <= 1


# ---------------------------------------------------------------- Meta

META = "/webhooks/meta/webhook"


def meta_sign(body: bytes) -> str:
    return "sha256=" + hmac.new(META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def meta_post(dana, body: bytes, signature: Optional[str] = "valid", content_type: str = "application/json"):
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers["X-Hub-Signature-256"] = meta_sign(body) if signature == "valid" else signature
    return http(dana, "POST", META, body, headers)


def messenger(psid: str, message: Any, mid: Optional[str] = None) -> bytes:
    if isinstance(message, dict):
        message = {"mid": mid or f"m.fuzz.{RUN}.{next(_ids)}", **message}
    return json_bytes({"object": "page", "entry": [{"id": "page", "time": 1, "messaging": [
        {"sender": {"id": psid}, "recipient": {"id": "page"}, "timestamp": int(time.time() * 1000),
         "message": message}]}]})


def meta_sent(standin, psid: str) -> List[Dict[str, Any]]:
    return [c.json for c in standin.calls_to("messages") if isinstance(c.json, dict)
            and ((c.json.get("recipient") or {}).get("id") == psid or c.json.get("to") == psid)]


def meta_wait(standin, psid: str, timeout: float = 60, settle: float = 2.0) -> List[Dict[str, Any]]:
    return wait_settled(lambda: meta_sent(standin, psid), timeout, settle)


def meta_text(sent: List[Dict[str, Any]]) -> str:
    return "\n".join(str((b.get("message") or {}).get("text") or (b.get("text") or {}).get("body") or "")
                     for b in sent)


META_CASES = {
    # case: (psid → body, signature, statuses allowed, answer language or "any"/None)
    "unsigned": (lambda p: messenger(p, {"text": "сәлем"}), None, {403}, None),
    "bad-signature": (lambda p: messenger(p, {"text": "сәлем"}), "sha256=" + "0" * 64, {403}, None),
    "invalid-json": (lambda p: b'{"object": ', "valid", {400}, None),
    "invalid-utf8": (lambda p: b'{"object": "page", "x": "' + INVALID_UTF8 + b'"}', "valid", {400}, None),
    "empty-body": (lambda p: b"", "valid", {400}, None),
    "array-body": (lambda p: b"[]", "valid", {400}, None),
    "entry-number": (lambda p: b'{"object": "page", "entry": 5}', "valid", {200}, None),
    "entry-strings": (lambda p: b'{"object": "page", "entry": ["x", {"messaging": "y"}]}', "valid", {200}, None),
    "messaging-junk": (lambda p: json_bytes({"object": "page", "entry": [{"messaging": [
        {"sender": "x"}, {"sender": {"id": p}, "message": {"quick_reply": "s", "attachments": "x"}},
        {"sender": {"id": p}, "postback": "x"}, 7]}]}), "valid", {200}, None),
    "whatsapp-junk": (lambda p: json_bytes({"object": "whatsapp_business_account", "entry": [{"changes": [
        "x", {"value": "s"}, {"value": {"messages": 5}}, {"value": {"messages": ["m", {"from": p, "type": "text",
                                                                                        "text": "str"}]}},
        {"value": {"messages": [{"from": p, "type": "interactive", "interactive": "x"}]}}]}]}),
        "valid", {200}, None),
    "long-kazakh": (lambda p: messenger(p, {"text": LONG_KK}), "valid", {200}, "kk"),
    "long-russian": (lambda p: messenger(p, {"text": LONG_RU}), "valid", {200}, "ru"),
    "long-word": (lambda p: messenger(p, {"text": LONG_WORD}), "valid", {200}, "any"),
    "text-object": (lambda p: messenger(p, {"text": {"a": 1}}), "valid", {200}, None),
    "sql-injection": (lambda p: messenger(p, {"text": SQL}), "valid", {200}, "any"),
    "script-injection": (lambda p: messenger(p, {"text": SCRIPT}), "valid", {200}, "any"),
    "emoji-only": (lambda p: messenger(p, {"text": EMOJI}), "valid", {200}, "any"),
    "rtl-zero-width": (lambda p: messenger(p, {"text": RTL_ZW}), "valid", {200}, "any"),
    "attachment-unreachable-url": (lambda p: messenger(p, {"attachments": [
        {"type": "image", "payload": {"url": "http://127.0.0.1:9/huge.jpg"}}]}), "valid", {200}, "any"),
    "attachment-not-a-url": (lambda p: messenger(p, {"attachments": [
        {"type": "file", "payload": {"url": "../../etc/passwd"}}]}), "valid", {200}, "any"),
    "form-encoded": (lambda p: b"object=page", "valid", {400}, None),
    "psid-1000-chars": (lambda p: messenger("p" * 1000, {"text": "сәлем"}), "valid", {200}, None),
}


@pytest.mark.parametrize("case", list(META_CASES))
def test_meta_webhook(dana, standin, log_start, case):
    make, signature, allowed, lang = META_CASES[case]
    psid = f"fuzz-psid-{RUN}-{next(_ids)}"
    status, body, _ = meta_post(dana, make(psid), signature,
                                "application/x-www-form-urlencoded" if case == "form-encoded" else "application/json")
    assert_handled(status, body, case)
    assert status in allowed, f"{case}: {status} {body[:300]!r}"
    if status == 200 and lang:
        said = meta_text(meta_wait(standin, psid))
        assert said, f"{case}: no answer"
        if lang != "any":
            assert_language(said, lang, case)


@pytest.mark.parametrize("params, want", [
    ({"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "12345"}, 200),
    ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, 403),
    ({}, 403),
    ({"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "<script>x</script>"}, 200),
    ({"hub.mode": ["a", "b"], "hub.verify_token": "\u200b" * 100}, 403),
], ids=["ok", "wrong-token", "no-params", "script-challenge", "odd-params"])
def test_meta_verification(dana, log_start, params, want):
    status, body, headers = http(dana, "GET", META + "?" + urllib.parse.urlencode(params, doseq=True))
    assert_handled(status, body, str(params))
    assert status == want
    if status == 200:
        assert body.decode() == params["hub.challenge"]
        assert "html" not in headers.get("Content-Type", "")  # an echoed challenge is never a page


def test_meta_replayed_delivery_has_one_side_effect(dana, standin, log_start):
    psid = f"fuzz-replay-{RUN}"
    body = messenger(psid, {"text": "Здравствуйте, пропал интернет"}, mid=f"m.replay.{RUN}")
    for _ in range(3):
        status, answer, _ = meta_post(dana, body)
        assert status == 200, answer
    first = meta_wait(standin, psid)
    time.sleep(2)
    assert first and meta_sent(standin, psid) == first  # answered once, not three times


# ---------------------------------------------------------------- IVR

VOICE = "/webhooks/voice/webhook"
BEARER = {"Content-Type": "application/json", "Authorization": f"Bearer {VOICE_TOKEN}"}


def call_id() -> str:
    return f"fuzz-call-{RUN}-{next(_ids)}"


VOICE_CASES = {
    "no-token": (lambda c: json_bytes({"call_id": c, "event": "start"}), {"Content-Type": "application/json"},
                 {401}, None),
    "wrong-token": (lambda c: json_bytes({"call_id": c}), {**BEARER, "Authorization": "Bearer nope"}, {401}, None),
    "basic-auth": (lambda c: json_bytes({"call_id": c}), {**BEARER, "Authorization": "Basic dm9pY2U="}, {401}, None),
    "invalid-json": (lambda c: b"{", BEARER, {400}, None),
    "invalid-utf8": (lambda c: b'{"call_id": "' + INVALID_UTF8 + b'"}', BEARER, {400}, None),
    "empty-body": (lambda c: b"", BEARER, {400}, None),
    "array-body": (lambda c: b"[]", BEARER, {400}, None),
    "missing-call-id": (lambda c: json_bytes({"text": "сәлем"}), BEARER, {400}, None),
    "call-id-number": (lambda c: json_bytes({"call_id": 5, "text": "сәлем"}), BEARER, {400}, None),
    "call-id-1000": (lambda c: json_bytes({"call_id": "c" * 1000, "text": "сәлем"}), BEARER, {400}, None),
    "call-id-path": (lambda c: json_bytes({"call_id": f"../../etc/passwd/{c}", "text": "Привет",
                                           "language": "ru"}), BEARER, {200}, "ru"),
    "bad-event": (lambda c: json_bytes({"call_id": c, "event": "explode"}), BEARER, {400}, None),
    "bad-language": (lambda c: json_bytes({"call_id": c, "language": "en", "text": "hi"}), BEARER, {400}, None),
    "text-number": (lambda c: json_bytes({"call_id": c, "text": 1}), BEARER, {400}, None),
    "text-10000": (lambda c: json_bytes({"call_id": c, "text": LONG_KK}), BEARER, {200, 400}, None),
    "text-kazakh": (lambda c: json_bytes({"call_id": c, "text": LONG_KK[:4000]}), BEARER, {200}, "kk"),
    "text-russian": (lambda c: json_bytes({"call_id": c, "text": LONG_RU[:4000]}), BEARER, {200}, "ru"),
    "empty-text": (lambda c: json_bytes({"call_id": c, "text": "", "language": "ru"}), BEARER, {200}, "ru"),
    "caller-object": (lambda c: json_bytes({"call_id": c, "event": "start", "caller": {"n": 1}}), BEARER, {400},
                      None),
    "sql-injection": (lambda c: json_bytes({"call_id": c, "text": SQL}), BEARER, {200}, None),
    "sql-caller": (lambda c: json_bytes({"call_id": c, "event": "start", "caller": "'; DROP TABLE x;--"}), BEARER,
                   {200}, "any"),
    "emoji-only": (lambda c: json_bytes({"call_id": c, "text": EMOJI}), BEARER, {200}, None),
    "oversized-2mb": (lambda c: json_bytes({"call_id": c, "text": "x" * TWO_MB}), BEARER, {400, 413}, None),
    "form-encoded": (lambda c: b"call_id=1", {**BEARER, "Content-Type": "application/x-www-form-urlencoded"},
                     {400}, None),
}


@pytest.mark.parametrize("case", list(VOICE_CASES))
def test_voice_webhook(dana, log_start, case):
    make, headers, allowed, lang = VOICE_CASES[case]
    status, body, _ = http(dana, "POST", VOICE, make(call_id()), headers)
    assert_handled(status, body, case)
    assert status in allowed, f"{case}: {status} {body[:300]!r}"
    answer = json.loads(body)
    if status >= 400:
        assert answer.get("error"), f"{case}: {answer}"
        return
    assert answer["action"] in ("continue", "transfer", "hangup")
    said = " ".join(m["text"] for m in answer["messages"])
    assert "<" not in said  # speakable text only
    if lang and lang != "any":
        assert_language(said, lang, case)
    elif lang:
        assert said


# ---------------------------------------------------------------- widget page, health

@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/webhooks/widget/", {200}),
    ("GET", "/webhooks/widget", {200, 301, 302}),
    ("GET", "/webhooks/widget/static/..%2F..%2Fcredentials.yml", {404}),
    ("GET", "/webhooks/widget/static/.env", {404}),
    ("GET", "/webhooks/widget/static/" + "a" * 3000 + ".js", {404, 414}),
    ("GET", "/webhooks/widget/static/%00.js", {404}),
    ("GET", "/webhooks/widget/static/%C3%28.js", {404}),
    ("POST", "/webhooks/widget/", {405}),
    ("GET", "/webhooks/health", {200}),
    ("POST", "/webhooks/health", {405}),
    ("GET", "/", {200}),
    ("GET", "/webhooks/nope/webhook", {404}),
], ids=lambda v: v if isinstance(v, str) and len(v) < 60 else None)
def test_pages(dana, log_start, method, path, allowed):
    status, body, headers = http(dana, method, path, b"x" if method == "POST" else None)
    assert_handled(status, body, path[:80])
    assert status in allowed, f"{path[:80]}: {status}"
    if status == 200 and path.startswith("/webhooks/widget/"):
        assert "<script" in body.decode() and headers.get("X-Content-Type-Options") == "nosniff"


# ---------------------------------------------------------------- Rasa HTTP API

def api(path: str, token: Optional[str] = API_TOKEN) -> str:
    separator = "&" if "?" in path else "?"
    return path + (f"{separator}token={urllib.parse.quote(token)}" if token is not None else "")


YAML = "application/x-yaml"  # Rasa's content type for YAML training and test data


def conversation(name: str) -> str:
    return urllib.parse.quote(f"fuzz-api-{name}-{RUN}", safe="")


API_CASES = {
    # case: (method, path, body, statuses allowed)
    "parse-no-token": ("POST", api("/model/parse", None), json_bytes({"text": "сәлем"}), {401}),
    "parse-wrong-token": ("POST", api("/model/parse", "nope"), json_bytes({"text": "сәлем"}), {401}),
    "parse-long-kazakh": ("POST", api("/model/parse"), json_bytes({"text": LONG_KK}), {200}),
    "parse-long-russian": ("POST", api("/model/parse"), json_bytes({"text": LONG_RU}), {200}),
    "parse-long-word": ("POST", api("/model/parse"), json_bytes({"text": LONG_WORD}), {200}),
    "parse-empty-text": ("POST", api("/model/parse"), json_bytes({"text": ""}), {200, 400}),
    "parse-missing-text": ("POST", api("/model/parse"), json_bytes({}), {400}),
    "parse-text-number": ("POST", api("/model/parse"), json_bytes({"text": 5}), {200, 400}),
    "parse-text-array": ("POST", api("/model/parse"), json_bytes({"text": ["a"]}), {200, 400}),
    "parse-text-object": ("POST", api("/model/parse"), json_bytes({"text": {"a": 1}}), {200, 400}),
    "parse-invalid-json": ("POST", api("/model/parse"), b"{", {400}),
    "parse-invalid-utf8": ("POST", api("/model/parse"), b'{"text": "' + INVALID_UTF8 + b'"}', {400}),
    "parse-array-body": ("POST", api("/model/parse"), b"[]", {400}),
    "parse-sql": ("POST", api("/model/parse"), json_bytes({"text": SQL}), {200}),
    "parse-emoji": ("POST", api("/model/parse"), json_bytes({"text": EMOJI}), {200}),
    "parse-rtl": ("POST", api("/model/parse"), json_bytes({"text": RTL_ZW}), {200}),
    "messages-no-token": ("POST", api(f"/conversations/{conversation('a')}/messages", None),
                          json_bytes({"text": "сәлем", "sender": "user"}), {401}),
    "messages-ok": ("POST", api(f"/conversations/{conversation('b')}/messages"),
                    json_bytes({"text": "сәлем", "sender": "user"}), {200}),
    "messages-missing-sender": ("POST", api(f"/conversations/{conversation('c')}/messages"),
                                json_bytes({"text": "сәлем"}), {400}),
    "messages-sender-bot": ("POST", api(f"/conversations/{conversation('d')}/messages"),
                            json_bytes({"text": "сәлем", "sender": "bot"}), {400}),
    "messages-text-number": ("POST", api(f"/conversations/{conversation('e')}/messages"),
                             json_bytes({"text": 5, "sender": "user"}), {200, 400}),
    "messages-invalid-json": ("POST", api(f"/conversations/{conversation('f')}/messages"), b"{", {400}),
    "messages-array-body": ("POST", api(f"/conversations/{conversation('g')}/messages"), b"[]", {400}),
    "messages-path-id": ("POST", api("/conversations/" + urllib.parse.quote("../../etc/passwd", safe="")
                                     + "/messages"), json_bytes({"text": "сәлем", "sender": "user"}), {200, 400, 404}),
    "messages-unicode-id": ("POST", api("/conversations/" + urllib.parse.quote(f"Асан😀{RUN}", safe="")
                                        + "/messages"), json_bytes({"text": "Привет", "sender": "user"}), {200}),
    "tracker-no-token": ("GET", api(f"/conversations/{conversation('b')}/tracker", None), None, {401}),
    "tracker-ok": ("GET", api(f"/conversations/{conversation('b')}/tracker"), None, {200}),
    "tracker-1000-chars": ("GET", api("/conversations/" + "t" * 1000 + "/tracker"), None, {200, 400, 414}),
    "tracker-odd-params": ("GET", api(f"/conversations/{conversation('b')}/tracker?include_events=EXPLODE&until=x"),
                           None, {200, 400}),
    "messages-text-object": ("POST", api(f"/conversations/{conversation('h')}/messages"),
                             json_bytes({"text": {"a": 1}, "sender": "user"}), {400}),
    "messages-parse-data-string": ("POST", api(f"/conversations/{conversation('i')}/messages"),
                                   json_bytes({"text": "сәлем", "sender": "user", "parse_data": "x"}), {400}),
    "messages-invalid-utf8": ("POST", api(f"/conversations/{conversation('j')}/messages"),
                              b'{"sender": "user", "text": "' + INVALID_UTF8 + b'"}', {400}),
    # longer than the back office's conversation ids (PostgreSQL would refuse the row)
    "messages-1000-char-id": ("POST", api("/conversations/" + "m" * 1000 + "/messages"),
                              json_bytes({"text": "сәлем", "sender": "user"}), {400}),
    "messages-bad-body-no-token": ("POST", api(f"/conversations/{conversation('k')}/messages", None), b"[]", {401}),
    "execute-array-body": ("POST", api(f"/conversations/{conversation('b')}/execute"), b"[]", {400}),
    "execute-name-number": ("POST", api(f"/conversations/{conversation('b')}/execute"),
                            json_bytes({"name": 5}), {400}),
    "trigger-intent-array-body": ("POST", api(f"/conversations/{conversation('l')}/trigger_intent"), b"[1]", {400}),
    "trigger-intent-entities-string": ("POST", api(f"/conversations/{conversation('l')}/trigger_intent"),
                                       json_bytes({"name": "greet", "entities": "x"}), {400}),
    "events-invalid-json": ("POST", api(f"/conversations/{conversation('b')}/tracker/events"), b"{", {400}),
    "events-numbers": ("POST", api(f"/conversations/{conversation('b')}/tracker/events"), b"[1, 2]", {400}),
    "events-replace-string": ("PUT", api(f"/conversations/{conversation('n')}/tracker/events"), b'"x"', {400}),
    "predict-array-of-junk": ("POST", api("/model/predict"), b'[["x"]]', {400}),
    "load-model-array-body": ("PUT", api("/model"), b"[]", {400}),
    # training and test data (YAML): junk must be refused before any training starts
    "train-invalid-utf8": ("POST", api("/model/train"), b"nlu:\n- intent: " + INVALID_UTF8, {400}, YAML),
    "train-not-training-data": ("POST", api("/model/train"), b"{{{", {400}, YAML),
    "train-a-string": ("POST", api("/model/train"), b"x", {400}, YAML),
    "test-stories-invalid-utf8": ("POST", api("/model/test/stories"), b"stories: " + INVALID_UTF8, {400}, YAML),
    "test-intents-invalid-utf8": ("POST", api("/model/test/intents"), b"nlu: " + INVALID_UTF8, {400}, YAML),
    "test-intents-json-array": ("POST", api("/model/test/intents"), b"[]", {400}),
    "test-intents-json-junk": ("POST", api("/model/test/intents"),
                               json_bytes({"rasa_nlu_data": {"common_examples": "x"}}), {400}),
}


# Rasa 3.6's own API answered the malformed bodies above with a 500
# (rasa/server.py trusts them); bot/server/api_guard.py checks them after Rasa's
# authentication, so an authenticated bad body gets 400, a missing token 401.
@pytest.mark.parametrize("case", list(API_CASES))
def test_rasa_http_api(dana, log_start, case):
    method, path, body, allowed, *content_type = API_CASES[case]
    status, answer, _ = http(dana, method, path, body, {"Content-Type": (content_type or ["application/json"])[0]})
    assert_handled(status, answer, case)
    assert status in allowed, f"{case}: {status} {answer[:300]!r}"


def test_rasa_http_api_says_what_is_wrong(dana):
    status, answer, _ = http(dana, "POST", api(f"/conversations/{conversation('o')}/messages"),
                             json_bytes({"text": 5, "sender": "user"}), {"Content-Type": "application/json"})
    error = json.loads(answer)
    assert (status, error["status"], error["reason"]) == (400, "failure", "BadRequest")
    assert error["message"] == '"text" must be a string' and error["details"]["parameter"] == "text"
    # the bad body left no trace: the conversation has no user message
    status, answer, _ = http(dana, "GET", api(f"/conversations/{conversation('o')}/tracker"))
    assert status == 200 and not [e for e in json.loads(answer)["events"] if e["event"] == "user"]


# ---------------------------------------------------------------- afterwards

@pytest.fixture(scope="module")
def after_fuzz(dana):
    """Runs after every case above (pytest orders module tests as written)."""
    return dana


CRASH_MARKS = (
    "Exception occurred while handling",  # Sanic: a handler raised (the client got a 500)
    "handler error", "Task exception was never retrieved",  # python-socketio / engineio: an event handler raised
    "Telegram update failed", "message handling failed",  # channels/telegram.py, bot/server/message_guard.py
    "rest.message.received.failure",  # Rasa's REST channel swallowing a crash
)


def test_zz_no_traceback_in_the_server_log(after_fuzz, log_start):
    for name, path in after_fuzz["logs"].items():
        with path.open("rb") as log:
            log.seek(log_start[name])
            new = log.read().decode("utf-8", "replace")
        # Rasa logs a traceback at debug level for some 400s it answers itself;
        # these are the marks of an input that broke a handler.
        crashes = [line for line in new.splitlines() if any(mark in line for mark in CRASH_MARKS)
                   and not any(uri in line for uri in ("/model/parse", "/messages?token"))]  # RASA_API_500
        assert not crashes, f"{name} log: {crashes[:5]}\n…{new[new.find(crashes[0]) - 500:][:3000]}"


def test_zz_no_back_office_rows_from_junk(after_fuzz):
    engine = create_engine(after_fuzz["database_url"])
    tables = ("technician_tickets", "handoffs", "consents", "refund_requests", "payment_investigations",
              "callback_requests", "receipts")
    with engine.connect() as connection:
        for table in tables[1:]:  # technician_tickets has no conversation id: its text is checked below
            rows = connection.execute(text(
                f"SELECT count(*) FROM {table} WHERE conversation_id LIKE '%fuzz%'")).scalar()  # noqa: S608
            assert rows == 0, f"{table}: {rows} rows from fuzz senders"
        dump = " ".join(str(r) for t in tables for r in connection.execute(text(f"SELECT * FROM {t}")).all())
        assert "DROP TABLE" not in dump and "<script>" not in dump
        assert connection.execute(text("SELECT count(*) FROM technician_tickets")).scalar() is not None


@pytest.mark.parametrize("lang, opening", [
    ("kk", "Сәлеметсіз бе, интернет істемей тұр"),
    ("ru", "Здравствуйте, пропал интернет"),
])
def test_zz_dana_still_talks_after_the_fuzz(after_fuzz, lang, opening):
    sender = f"after-fuzz-{lang}-{RUN}"
    status, body, _ = http(after_fuzz, "POST", "/webhooks/rest/webhook",
                           json_bytes({"sender": sender, "message": opening}), JSON)
    assert status == 200
    said = "\n".join(m.get("text", "") for m in json.loads(body))
    assert_language(said, lang, "after")
    status, body, _ = http(after_fuzz, "GET", "/webhooks/health")
    assert status == 200, body
