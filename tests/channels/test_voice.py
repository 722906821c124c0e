"""Voice gateway (call-centre IVR) end to end against a real Dana, plus the
request checks and reply building as plain functions."""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import urllib.error
import urllib.request
from typing import Any, Dict, Tuple

import pytest
from sqlalchemy import create_engine, text

from bot.config import LIMITS
from bot.server.nlg import text_outside_a_turn
from channels.voice import FAILED, NOT_HEARD, TRANSFERRING, BadRequest, VoiceGatewayInput, build_reply, mask, parse_body
from tests.channels.conftest import VOICE_TOKEN

_calls = itertools.count(1)
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2300-\u23FF\u2B00-\u2BFF\uFE0F]")
KAZAKH = re.compile("[әғқңөұүһі]", re.IGNORECASE)


def post(dana, body: Any = None, token: str | None = VOICE_TOKEN, raw: bytes | None = None) -> Tuple[int, Dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(f"{dana['url']}/webhooks/voice/webhook", method="POST", data=data,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Call:
    """One phone call through the IVR."""

    def __init__(self, dana, language: str | None = None, caller: str = "+77770000000") -> None:
        self.dana, self.language, self.caller = dana, language, caller
        self.id = f"call-{next(_calls)}"

    def send(self, event: str, text_: str | None = None) -> Dict[str, Any]:
        status, reply = post(self.dana, {"call_id": self.id, "caller": self.caller, "language": self.language,
                                         "event": event, "text": text_})
        assert status == 200, reply
        assert reply["call_id"] == self.id
        for message in reply["messages"]:
            assert_speakable(message["text"])
        return reply

    def said(self, reply: Dict[str, Any]) -> str:
        return " ".join(m["text"] for m in reply["messages"])


def assert_speakable(said: str) -> None:
    assert said.strip()
    assert "http" not in said and "www." not in said, said
    assert not EMOJI.search(said), said
    assert not re.search(r"[*_`]", said), said


# --- plain functions ----------------------------------------------------------

@pytest.mark.parametrize("raw, error", [
    (b"{not json", "valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"event": "start"}', "call_id"),
    (b'{"call_id": 5}', "call_id"),
    (b'{"call_id": "a", "event": "dial"}', "event"),
    (b'{"call_id": "a", "language": "en"}', "language"),
    (b'{"call_id": "a", "text": ["hi"]}', "text"),
    (b'{"call_id": "a", "caller": 77011234567}', "caller"),
    (json.dumps({"call_id": "a", "text": "а" * 5001}).encode(), "5000"),
    # «voice:<call_id>» must fit the back office's conversation ids
    (json.dumps({"call_id": "c" * (LIMITS.max_conversation_id_chars - len("voice:") + 1)}).encode(), "longer"),
])
def test_parse_body_rejects_with_a_clear_message(raw, error):
    with pytest.raises(BadRequest, match=error):
        parse_body(raw)


def test_parse_body_defaults():
    assert parse_body(b'{"call_id": " c1 "}') == {"call_id": "c1", "event": "message", "language": None,
                                                   "caller": None, "text": ""}


def test_build_reply_transfers_on_handoff():
    handoff = {"language": "kk", "intent": "internet_down", "reason": "requested", "login": None,
               "collected": {}, "summary": "", "handoff_id": 7, "after_hours": False}
    reply = build_reply("c1", [{"recipient_id": "voice:c1", "text": "Операторға қосамын 👩‍💼"},
                               {"recipient_id": "voice:c1", "custom": {"handoff": handoff}}], "ru")
    said = text_outside_a_turn(TRANSFERRING, "kk", channel="voice")
    assert reply == {"call_id": "c1", "messages": [{"text": said}], "action": "transfer",
                     "transfer": {"queue": "home_internet_kk", "context": handoff}}
    assert said.startswith("Сізді операторға қосып жатырмын, күте тұрыңыз."), said


def test_answer_without_rasa():
    async def must_not_run(_message):
        raise AssertionError("Rasa must not be called")

    def answer(channel, header, body):
        return asyncio.run(channel.answer(header, body, must_not_run))

    body = b'{"call_id": "c1", "event": "end"}'
    assert answer(VoiceGatewayInput.from_credentials({"token": ""}), "Bearer ", body) == (
        503, {"error": "voice channel not configured"})
    assert VoiceGatewayInput.from_credentials(None).token == ""
    channel = VoiceGatewayInput.from_credentials({"token": "t0k"})
    assert answer(channel, "Bearer nope", body)[0] == 401
    assert answer(channel, "Basic t0k", body)[0] == 401
    assert answer(channel, "Bearer t0k", b"")[0] == 400
    assert answer(channel, "bearer t0k", body) == (200, {"call_id": "c1", "action": "hangup", "messages": []})
    status, reply = answer(channel, "Bearer t0k", b'{"call_id": "c1", "text": ""}')
    assert status == 200 and reply["action"] == "continue" and "Қайталап" in reply["messages"][0]["text"]


def test_what_the_channel_says_itself_comes_from_the_domains_voice_variations():
    """utter_voice_* in domain/responses/channels.yml; no IVR language: Kazakh, then Russian."""
    async def fails(_message):
        raise RuntimeError("Dana is down")

    async def must_not_run(_message):
        raise AssertionError("Rasa must not be called")

    channel = VoiceGatewayInput("t0k")
    silence = {"call_id": "c2", "event": "message", "language": None, "caller": None, "text": "  "}
    reply = asyncio.run(channel.handle(silence, must_not_run))
    assert reply["messages"] == [{"text": "Кешіріңіз, естімей қалдым. Қайталап айтыңызшы.\n"
                                          "Не расслышала, повторите, пожалуйста."}]
    reply = asyncio.run(channel.handle({**silence, "language": "kk"}, must_not_run))
    assert reply["messages"] == [{"text": text_outside_a_turn(NOT_HEARD, "kk", channel="voice")}]

    for language, queue in (("ru", "ru"), (None, "kk")):
        reply = asyncio.run(channel.handle({**silence, "language": language, "text": "алло"}, fails))
        assert reply["action"] == "transfer" and reply["transfer"]["queue"] == "home_internet_" + queue
        assert reply["messages"] == [{"text": text_outside_a_turn(FAILED, queue, channel="voice")}]
    assert reply["messages"][0]["text"] == "Кешіріңіз, техникалық ақау болды. Операторға қосамын."


def test_mask():
    assert mask("+77011234567") == "*" * 10 + "67"
    assert mask(None) == ""


# --- end to end ---------------------------------------------------------------

def test_wrong_or_missing_token_is_401(dana):
    body = {"call_id": "x", "event": "start"}
    assert post(dana, body, token="wrong")[0] == 401
    status, reply = post(dana, body, token=None)
    assert status == 401 and "error" in reply


def test_invalid_json_is_400(dana):
    status, reply = post(dana, raw=b"{oops")
    assert status == 400 and "JSON" in reply["error"]
    status, reply = post(dana, {"event": "message", "text": "привет"})
    assert status == 400 and "call_id" in reply["error"]
    status, reply = post(dana, {"call_id": "big", "text": "а" * 5001})
    assert status == 400 and "5000" in reply["error"]


def test_start_greets_speakably_in_the_ivr_language(dana):
    reply = Call(dana, language="ru").send("start")
    assert reply["action"] == "continue" and "transfer" not in reply
    said = Call.said(None, reply)
    # The voice greeting says the choices in words, not as buttons read out.
    assert "Дана" in said and "Варианты:" not in said and "?" in said and not KAZAKH.search(said), said
    said = Call.said(None, Call(dana, language="kk").send("start"))
    assert "Дана" in said and "Нұсқалар:" not in said and KAZAKH.search(said), said


def test_start_recognises_the_caller(dana):
    call = Call(dana, language="kk", caller="8 701 123 45 67")  # seed: login 0851234567
    call.send("start")
    engine = create_engine(dana["database_url"])
    with engine.connect() as db:
        rows = db.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                          {"s": f"voice:{call.id}"}).scalars().all()
    metadata = json.loads(rows[0])["metadata"]
    assert metadata["caller_login"] == "0851234567"
    assert metadata["ivr_language"] == "kk" and metadata["call_id"] == call.id


def test_silence_is_answered_without_dana(dana):
    reply = Call(dana, language="ru").send("message", "   ")
    assert reply == {"call_id": reply["call_id"], "action": "continue",
                     "messages": [{"text": "Не расслышала, повторите, пожалуйста."}]}


def test_end_hangs_up(dana):
    call = Call(dana)
    assert call.send("end") == {"call_id": call.id, "action": "hangup", "messages": []}


def test_russian_internet_down_then_operator_transfers(dana):
    call = Call(dana, language="ru")
    call.send("start")
    reply = call.send("message", "у меня не работает интернет")
    said = call.said(reply)
    assert reply["action"] == "continue", reply
    assert "логин" in said.lower() and not KAZAKH.search(said), said
    reply = call.send("message", "соедините с оператором")
    assert reply["action"] == "transfer", reply
    assert reply["transfer"]["queue"] == "home_internet_ru"
    context = reply["transfer"]["context"]
    assert context["language"] == "ru" and context["intent"] == "internet_down", context
    assert {"reason", "login", "collected", "summary", "after_hours"} <= set(context)
    assert [m["text"] for m in context["transcript"] if m["from"] == "customer"][-2:] == [
        "у меня не работает интернет", "соедините с оператором"]
    assert call.said(reply) and not KAZAKH.search(call.said(reply))
    # The caller hangs up: the hand-off leaves the operators' queue.
    assert call.send("end")["action"] == "hangup"
    with create_engine(dana["database_url"]).connect() as db:
        status = db.execute(text("SELECT status FROM handoffs WHERE conversation_id = :c"),
                            {"c": f"voice:{call.id}"}).scalar_one()
    assert status == "resolved"


def test_kazakh_internet_down_is_answered_in_kazakh(dana):
    call = Call(dana, language="kk")
    call.send("start")
    reply = call.send("message", "интернет істемей тұр")
    said = call.said(reply)
    assert reply["action"] == "continue", reply
    assert KAZAKH.search(said), said
    assert "логин" in said.lower(), said


def test_a_known_caller_confirms_the_login_instead_of_dictating_it(dana):
    call = Call(dana, language="ru", caller="+7 701 123 45 67")  # seed: login 0851234567, healthy line
    call.send("start")
    asked = call.said(call.send("message", "у меня не работает интернет"))
    assert "0 8 5 1 2 3 4 5 6 7" in asked and "Это ваш логин" in asked, asked
    checked = call.said(call.send("message", "да"))
    assert "перезагруз" in checked.lower() or "роутер" in checked.lower(), checked  # diagnostics ran


def test_a_caller_who_says_it_is_not_their_login_is_asked_for_it(dana):
    call = Call(dana, language="ru", caller="+7 701 123 45 67")
    call.send("start")
    call.send("message", "у меня не работает интернет")
    asked = call.said(call.send("message", "нет"))
    assert "логин" in asked.lower() and "0 8 5 1" not in asked, asked


def test_the_transfer_is_announced_for_a_phone_call(dana):
    call = Call(dana, language="kk")
    call.send("start")
    reply = call.send("message", "операторға қосыңыз")
    assert reply["action"] == "transfer"
    said = call.said(reply)
    assert "күте тұрыңыз" in said and "осы жерде" not in said, said


@pytest.mark.parametrize("language, ask, outage", [("ru", "у меня пропал интернет", "авари"),
                                                   ("kk", "үйде интернет жоқ", "жаппай")])
def test_the_caller_hears_the_spoken_answers_not_the_chat_ones(dana, language, ask, outage):
    """On 3131 Dana's answers are her voice variations: nothing about calling 3131
    or writing to a chat, no abbreviations, dates with month names."""
    call = Call(dana, language=language)
    call.send("start")
    heard = [call.said(call.send("message", ask)), call.said(call.send("message", "0851234569"))]
    assert outage in heard[-1].lower(), heard
    for said in heard:
        assert "3131" not in said and "чат" not in said.lower(), said
        assert not re.search(r"\d{2}\.\d{2}", said), said  # «18.11» is read out as a number
        assert "№" not in said and "мин." not in said, said
