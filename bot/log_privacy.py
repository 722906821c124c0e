"""Personal data out of every log line: logins, phone numbers, names, e-mails,
receipts (sha256 / file names), free text, and the secrets Dana is configured with.

``install()`` wraps ``logging``'s record factory, so every record from every
library (Rasa and its structlog JSON lines, rasa-sdk, Sanic, httpx, ours) is
masked once, when it is created, whatever handlers Rasa or coloredlogs set up:
the message is formatted (``msg % args``), masked and stored with ``args=()``;
an exception's traceback text is masked into ``exc_text``, which every
``logging.Formatter`` prints instead of formatting the traceback again.

What replaces the data keeps logs useful: ``‹phone …43›``, ``‹login …0011›``
(the last characters, to match a complaint), ``‹name #3fa2c1›`` (a short keyed
hash: the same value gives the same tag, set ``DANA_LOG_TAG_KEY`` on every
server so tags match across them), ``‹text 23 chars›`` for what a customer or
Dana said (free text may hold names that no pattern can recognise). Intent,
action and slot names, ticket numbers, HTTP statuses stay readable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import sys
from typing import Any, Callable, Iterable, Mapping, Optional

# Slots, entities and payload fields that hold personal data (domain/*.yml,
# channel payloads), by the kind of token that replaces them.
_KINDS = {
    "login": ("login", "right_login", "wrong_login", "caller_login", "subscriber_login"),
    "phone": ("phone_number", "phone", "contact_phone", "caller", "wa_id", "phone_number_id_of_customer"),
    "name": ("full_name", "payer_name", "owner", "first_name", "last_name", "username"),
    "email": ("email", "e_mail"),
    "receipt": ("sha256", "receipt_path", "file_name", "filename"),
}
PERSONAL_KEYS = {key: kind for kind, keys in _KINDS.items() for key in keys}
# Keys whose value is free text someone typed or Dana said: only its length is kept.
TEXT_KEYS = frozenset(
    {
        "text",
        "user_text",
        "parse_data_text",
        "response_text",
        "message_text",
        "user_message",
        "body",
        "caption",
        "utterance",
        "transcript",
        "callback_topic",
    }
)
# Environment variables holding secrets: their values never reach a log.
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY)", re.IGNORECASE)
_MIN_SECRET = 6

_KEY_NAMES = "|".join(sorted(map(re.escape, {*PERSONAL_KEYS, *TEXT_KEYS}), key=len, reverse=True))
# Cheap tests before any real work (mask_text): a line with no digit, no «@»,
# no personal key and no Rasa event that carries text is left as it is.
_ALL_KEYS = tuple(sorted({*PERSONAL_KEYS, *TEXT_KEYS}))
_DIGIT_OR_AT = re.compile(r"[\d@]")
_FIVE_DIGITS = re.compile(r"\d(?:\D{0,3}\d){4}")


def _names_a_key(text: str) -> bool:
    # Substring tests are far cheaper than one regex alternation over all keys;
    # a false hit («context») only costs the key passes below.
    return any(key in text for key in _ALL_KEYS)


# --- free-standing patterns -------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# KZ numbers as people write them: +7 701 123 45 67, 8(701)1234567,
# 8-701-123-45-67, 77011234567, 7011234567 …
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+\s?7|7|8)[\s-]?\(?|\()?[67]\d{2}\)?[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2}(?!\w)")
_SHA256 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
_DEMO_LOGIN = re.compile(r"(?<![\w.-])0\d{7,11}(?![\w-]|\.\d)")
# Any other login-like token: 6–20 letters/digits with at least 5 digits.
# Not part of a uuid («-»), a decimal (timestamps) or an IP address («.»).
_LOGIN_LIKE = re.compile(r"(?<![\w.\-‹…#])(?!0x)(?=[A-Za-z0-9]{6,20}(?![\w\-]|\.\d))(?:[A-Za-z]*\d){5}[A-Za-z0-9]*")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")
_TELEGRAM_TOKEN = re.compile(r"\b(?:bot)?\d{5,12}:[A-Za-z0-9_-]{8,}")  # Bot API URLs

# --- Rasa's text-bearing formats ---------------------------------------------
_QUOTED = r"""(?P<q>["'])(?P<v>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
_KEY_QUOTED = re.compile(rf"""(?P<kq>["']?)\b(?P<k>{_KEY_NAMES})(?P=kq)\s*[:=]\s*{_QUOTED}""", re.DOTALL)
_KEY_LINE = re.compile(rf"(?m)^(?P<p>[ \t]*)(?P<k>{_KEY_NAMES}): (?P<v>.*)$")  # Rasa's slot listing
_KEY_BARE = re.compile(rf"(?<![\w\"'])(?P<k>{_KEY_NAMES})=(?P<v>[^\s'\"][^\n]*?)(?=\s+\w+=|$)")  # console renderer
_SLOT_SET = re.compile(r"SlotSet\(key: (?P<k>\w+), value: (?P<v>.*?)\)(?=[,\]\s\"']|$)", re.DOTALL)
_USER_UTTERED = re.compile(r"UserUttered\(text: (?P<v>.*?), intent: ", re.DOTALL)
_ENTITY_IN_EVENT = re.compile(r"(?<=[:,] )(?P<v>[^,()]*?) \(Type: (?P<k>\w+), Role:")
# {'event': 'slot', 'name': 'full_name', 'value': …} and {'entity': 'login', …, 'value': …}
_PERSONAL_NAMES = "|".join(sorted(map(re.escape, PERSONAL_KEYS), key=len, reverse=True))
_NAMED_VALUE = re.compile(
    rf"""["'](?:name|entity)["']:\s*["'](?P<k>{_PERSONAL_NAMES})["'](?P<mid>[^{{}}]*?)["']value["']:\s*"""
    rf"""(?:{_QUOTED}|(?P<n>[^,}}\s]+))""",
    re.DOTALL,
)
_BOT_UTTERED = re.compile(r"""BotUttered\((?:text: (?P<v1>.*?), data: |'(?P<v2>.*?)', \{)""", re.DOTALL)

_NOT_DIGIT = re.compile(r"\D")
# Rasa's policy debug lines list past turns: «[state 4] user text: … | previous action …».
_STATE_TEXT = re.compile(r"(?P<pre>\b(?:user|action) text: )(?P<v>[^|\n]*?)(?= \||\\n|\n|$)", re.MULTILINE)
_INTENT_PAYLOAD = re.compile(r"/\w+$")  # «/affirm» from a button: an intent, no data


def _tag_key() -> bytes:
    return os.environ.get("DANA_LOG_TAG_KEY", "").encode()


def tag(value: Any) -> str:
    """A short stable hash of a value (sender ids, names): the same value gives
    the same tag, so lines can be correlated without showing the value."""
    return hmac.new(_tag_key(), str(value).encode(), hashlib.sha256).hexdigest()[:10]


def mask(value: Optional[str], keep: int = 2) -> str:
    """All but the last ``keep`` characters hidden (for values we log on purpose)."""
    value = value or ""
    return "*" * max(len(value) - keep, 0) + value[-keep:] if keep else "*" * len(value)


def token(kind: str, value: Any) -> str:
    """What replaces one personal value in a log line."""
    text = str(value).strip().strip("'\"")
    if not text or text in ("None", "null", "[]", "{}"):
        return str(value)  # an empty slot says nothing about anyone
    digits = _NOT_DIGIT.sub("", text)
    if kind == "phone":  # the tail only when it is a number, not words a slot picked up
        return f"‹phone …{digits[-2:]}›" if len(digits) >= 7 else f"‹phone, {len(text)} chars›"
    if kind == "login":
        return (
            f"‹login …{text[-4:]}›"
            if len(text) > 6 and text.isalnum() and len(digits) >= 5
            else f"‹login, {len(text)} chars›"
        )
    if kind == "id":
        return f"‹id …{text[-2:]}›"
    if kind == "receipt":
        return f"‹receipt #{tag(text)[:6]}›"
    if kind == "text":
        return text if _INTENT_PAYLOAD.match(text) else f"‹text {len(text)} chars›"
    return f"‹{kind} #{tag(text.lower())[:6]}›"


def _kind(key: str) -> Optional[str]:
    return "text" if key in TEXT_KEYS else PERSONAL_KEYS.get(key)


class _Secrets:
    """Values of secret environment variables, read once at install."""

    pattern: Optional[re.Pattern] = None

    @classmethod
    def load(cls, environ: Optional[dict] = None, extra: Iterable[str] = ()) -> None:
        env: Mapping[str, str] = os.environ if environ is None else environ
        values = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET}
        values |= {v for v in extra if v and len(v) >= _MIN_SECRET}
        cls.pattern = re.compile("|".join(map(re.escape, sorted(values, key=len, reverse=True)))) if values else None


def _free_standing(text: str) -> str:
    if ":" in text:
        text = _TELEGRAM_TOKEN.sub("‹secret›", text)
        text = _URL_CREDENTIALS.sub("‹credentials›@", text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: token("email", m.group()), text)
    if len(text) >= 64:
        text = _SHA256.sub(lambda m: f"‹sha256 …{m.group()[-4:]}›", text)
    if not _FIVE_DIGITS.search(text):
        return text  # no phone, login or id has fewer digits
    text = _PHONE.sub(lambda m: token("phone", m.group()), text)
    text = _DEMO_LOGIN.sub(lambda m: token("login", m.group()), text)
    return _LOGIN_LIKE.sub(lambda m: token("id", m.group()), text)


def _keyed(match: re.Match, value_group: str = "v") -> str:
    kind = _kind(match.group("k"))
    value = match.group(value_group)
    if kind is None or value is None:
        return match.group()
    start, end = match.span(value_group)
    return match.string[match.start() : start] + token(kind, value) + match.string[end : match.end()]


def _named_value(match: re.Match) -> str:
    return _keyed(match, "v" if match.group("v") is not None else "n")


def _entities(match: re.Match) -> str:
    kind = PERSONAL_KEYS.get(match.group("k"))
    return match.group() if kind is None else _keyed(match)


def _bot_uttered(match: re.Match) -> str:
    group = "v1" if match.group("v1") is not None else "v2"
    start, end = match.span(group)
    return match.string[match.start() : start] + token("text", match.group(group)) + match.string[end : match.end()]


def mask_text(text: str) -> str:
    """One log line (or traceback) with every personal value replaced."""
    if not text:
        return text
    if _Secrets.pattern is not None:
        text = _Secrets.pattern.sub("‹secret›", text)
    keyed = _names_a_key(text)
    if not keyed and "Uttered(" not in text and not _DIGIT_OR_AT.search(text):
        return text
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        masked = _mask_json(stripped)
        if masked is not None:
            return masked
    # Each pass only where its marker is present: most debug lines have none.
    if "SlotSet(" in text:
        text = _SLOT_SET.sub(_keyed, text)
    if "UserUttered(" in text:
        text = _USER_UTTERED.sub(_keyed_text, text)
        text = _ENTITY_IN_EVENT.sub(_entities, text)
    if "BotUttered(" in text:
        text = _BOT_UTTERED.sub(_bot_uttered, text)
    if keyed:
        text = _NAMED_VALUE.sub(_named_value, text)
        text = _KEY_QUOTED.sub(_keyed, text)
        text = _KEY_LINE.sub(_keyed, text)
        text = _KEY_BARE.sub(_keyed, text)
    if " text: " in text:
        text = _STATE_TEXT.sub(lambda m: m.group("pre") + token("text", m.group("v")), text)
    return _free_standing(text)


def _keyed_text(match: re.Match) -> str:
    start, end = match.span("v")
    return match.string[match.start() : start] + token("text", match.group("v")) + match.string[end : match.end()]


# --- structlog's JSON lines (Rasa's debug output when stdout is not a terminal)


def _mask_json(line: str) -> Optional[str]:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return json.dumps(_walk(data, None), ensure_ascii=False)


def _walk(value: Any, key: Optional[str]) -> Any:
    kind = _kind(key) if key else None
    if isinstance(value, dict):
        # An entity or a slot event names its personal field next to the value.
        owner = value.get("entity") if isinstance(value.get("entity"), str) else None
        if owner is None and value.get("event") == "slot":
            owner = value.get("name")
        owner_kind = PERSONAL_KEYS.get(owner) if isinstance(owner, str) else None
        return {
            k: (token(owner_kind, v) if owner_kind and k == "value" and v is not None else _walk(v, k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_walk(v, key) for v in value]
    if isinstance(value, str):
        return token(kind, value) if kind else mask_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind and kind != "text":
            return token(kind, value)
        masked = _free_standing(str(value))
        return value if masked == str(value) else masked
    return value


# --- installation ------------------------------------------------------------


def mask_record(record: logging.LogRecord) -> None:
    """Mask one record in place (message, exception and stack text)."""
    try:
        message = record.getMessage()
        masked = mask_text(message)
        if masked is not message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
    except Exception:  # noqa: BLE001 — a log line is withheld rather than leaked
        record.msg, record.args = "‹log line withheld: masking failed›", ()
        record.exc_info, record.exc_text = None, None


class _AccessLogFilter(logging.Filter):
    """Sanic's access log passes the URL as an ``extra`` field, set after the
    record factory ran: query strings (Meta's verify token) are masked here."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field in ("request", "host"):
            value = getattr(record, field, None)
            if isinstance(value, str):
                setattr(record, field, mask_text(value))
        return True


_SECRET_OPTIONS = ("--auth-token", "--ssl-password", "--jwt-secret")  # `rasa run` options


def _command_line_secrets(argv: list) -> list:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg in _SECRET_OPTIONS]


_installed = False


def install(extra_secrets: Iterable[str] = ()) -> None:
    """Mask every log record of this process from now on (idempotent)."""
    global _installed
    _Secrets.load(extra=[*extra_secrets, *_command_line_secrets(sys.argv)])
    if _installed:
        return
    make: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    logging.getLogger("sanic.access").addFilter(_AccessLogFilter())
    _installed = True
