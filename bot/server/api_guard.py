"""Rasa's HTTP API with its request bodies checked: never a 500 for a bad body.

Rasa 3.6 trusts the bodies of its own API (rasa/server.py): ``/model/parse``
wraps every error — its own 400s included — into a 500 "ParsingError", and
``/conversations/<id>/messages``, ``/execute``, ``/trigger_intent`` and
``PUT /model`` call ``request.json.get`` or build a ``UserUttered`` without
checking types, so an array body or a number as the text is a 500. A
conversation id longer than the tracker store's column is a database error.

The check is Sanic request middleware that the server launcher
(bot/server/__main__.py) registers through Rasa's ``server_listeners`` — no
change to Rasa's code. It runs only after Rasa's own authentication accepts the
request: a client without the token still gets 401, an authenticated client
with a bad body gets Rasa's own ``{"status": "failure", "reason":
"BadRequest", "message": …}`` with 400, and a good body reaches Rasa's handler
unchanged.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Callable, Dict, Optional, Text, Tuple

from sanic.request import Request

from bot.config import LIMITS

OBJECT, OBJECT_OR_LIST = "a JSON object", "a JSON object or a list of them"
TEXT = "UTF-8 text"  # YAML training or test data: Rasa parses it, but decodes it unchecked
YAML_CONTENT_TYPE = "application/x-yaml"  # rasa.server's, for /model/test/intents


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _text(value: Any) -> bool:  # /model/parse takes a string or a list whose first item is one
    return _string(value) or (isinstance(value, list) and bool(value) and _string(value[0]))


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _object(value: Any) -> bool:
    return isinstance(value, dict)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Rasa's handler name → (body shape, {field: (check, what it must be)}).
# Required fields use a plain check, optional ones _optional(check).
RULES: Dict[Text, Tuple[Text, Dict[Text, Tuple[Callable[[Any], bool], Text]]]] = {
    "parse": (OBJECT, {"text": (_text, "a string")}),
    "add_message": (
        OBJECT,
        {"text": (_string, "a string"), "sender": (_string, '"user"'), "parse_data": (_optional(_object), "an object")},
    ),
    "execute_action": (
        OBJECT,
        {
            "name": (_string, "an action name"),
            "policy": (_optional(_string), "a string"),
            "confidence": (_optional(_number), "a number"),
        },
    ),
    "trigger_intent": (
        OBJECT,
        {
            "name": (_string, "an intent name"),
            "entities": (_optional(lambda v: isinstance(v, (dict, list))), "an object or a list"),
        },
    ),
    "load_model": (OBJECT, {}),
    "append_events": (OBJECT_OR_LIST, {}),  # Rasa checks the events against its schema
    "replace_events": (OBJECT_OR_LIST, {}),
    "tracker_predict": (OBJECT_OR_LIST, {}),
    "train": (TEXT, {}),
    "evaluate_stories": (TEXT, {}),
    "evaluate_intents": (OBJECT, {"rasa_nlu_data": (_object, "an object")}),  # YAML: TEXT, below
}


def _nlu_data_problem(data: Dict[Text, Any]) -> Optional[Text]:
    """Rasa's own schema check of JSON NLU data, which it runs unguarded (a 500)."""
    from jsonschema import ValidationError
    from rasa.shared.nlu.training_data.schemas.data_schema import rasa_nlu_data_schema
    from rasa.shared.utils.validation import validate_training_data

    try:
        validate_training_data(data, rasa_nlu_data_schema())
    except ValidationError as error:
        return f"the NLU data does not match Rasa's format: {error.message.split('. ')[0]}"
    return None


# Whole-body checks after the fields: handler → problem or None.
BODY_CHECKS: Dict[Text, Callable[[Dict[Text, Any]], Optional[Text]]] = {"evaluate_intents": _nlu_data_problem}


def problem(
    handler: Text, body: bytes, conversation_id: Optional[Text], content_type: Text = ""
) -> Optional[Tuple[Text, Dict[Text, Any]]]:
    """(message, details) saying what is wrong with a request to ``handler``, or None."""
    if conversation_id is not None and len(conversation_id) > LIMITS.max_conversation_id_chars:
        return (
            f"the conversation id must be at most {LIMITS.max_conversation_id_chars} characters",
            {"parameter": "conversation_id", "in": "path"},
        )
    if handler not in RULES:
        return None
    shape, fields = RULES[handler]
    if shape == TEXT or (handler == "evaluate_intents" and content_type == YAML_CONTENT_TYPE):
        try:
            (body or b"").decode("utf-8")
        except UnicodeDecodeError:
            return f"the body must be {TEXT}", {"in": "body"}
        return None  # Rasa checks the YAML itself (400 when it is not valid training data)
    try:
        data = json.loads(body or b"")
    except ValueError:  # UnicodeDecodeError is one
        return f"the body must be valid UTF-8 JSON: {shape}", {"in": "body"}
    items = data if shape == OBJECT_OR_LIST and isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        return f"the body must be {shape}", {"in": "body"}
    for name, (check, what) in fields.items():
        if not check(data.get(name)):
            return f'"{name}" must be {what}', {"parameter": name, "in": "body"}
    found = BODY_CHECKS[handler](data) if handler in BODY_CHECKS else None
    return (found, {"in": "body"}) if found else None


def _passed(request: Request, conversation_id: Optional[Text] = None, *args: Any, **kwargs: Any) -> bool:
    return True  # reached only through Rasa's own authentication


def body_check(token: Optional[Text]) -> Callable[[Request], Any]:
    """Request middleware: a bad body to one of Rasa's API routes is a 400.

    It asks Rasa's own ``requires_auth`` (with the server's token) first, so a
    client without the token still gets Rasa's 401 from Rasa's route, never a
    hint about the body; a good body reaches Rasa's handler unchanged."""

    async def check_body(request: Request) -> None:
        from rasa.server import ErrorResponse, requires_auth

        route = getattr(request, "route", None)
        if route is None:
            return None
        handler = route.name.rpartition(".")[2]  # "rasa_server.parse" → Rasa's handler name
        conversation_id = request.match_info.get("conversation_id")
        if handler not in RULES and conversation_id is None:
            return None
        try:
            authenticated = await requires_auth(request.app, token)(_passed)(request, **request.match_info)
        except ErrorResponse:
            return None  # Rasa's route answers 401 / 403 itself
        if authenticated is not True:
            return None
        found = problem(handler, request.body, conversation_id, request.headers.get("Content-Type", ""))
        if found:
            raise ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest", *found)
        return None

    return check_body


def listener(token: Optional[Text]) -> Callable[[Any, Any], Any]:
    """Registers the body check on Rasa's app before it serves (the launcher
    passes it to Rasa as one of ``serve_application``'s ``server_listeners``)."""

    async def register_body_check(app: Any, _loop: Any) -> None:
        app.register_middleware(body_check(token), "request")

    return register_body_check
