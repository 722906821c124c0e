"""The satisfaction question: asked once after a request is filed or an operator
closed a hand-off, in the customer's language with buttons 1–5 (said in words on
the phone), and its answer stored with the flow, channel and language."""
from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy import select

from actions.callback import ActionFileCallback
from actions.csat import ActionAskCsat, ActionStoreCsat
from actions.payment_check import ActionFileInvestigation
from actions.refund import ActionSubmitRefund
from actions.technician import ActionFileTicket
from bot.config import LIMITS
from bot.office.db import new_session
from bot.office.models import CsatAnswer, Handoff
from tests.actions.test_payment_check import SLOTS as INVESTIGATION
from tests.actions.test_refund import refund_slots
from tests.conftest import make_tracker, responses, slots_of

SCALE = list(range(LIMITS.csat_lowest, LIMITS.csat_highest + 1))
CALLBACK = {"consent": True, "phone_number": "+77771234567", "callback_topic": "тариф туралы"}
TICKET = {"login": "0851234568", "consent": True, "phone_number": "+77021234568"}


def rated(rating, *, flow=None, channel="telegram", lang="kk", text=None):
    """The customer's answer: a button («/rate_service{"rating": "5"}») or words."""
    text = text or f'/rate_service{{"rating": "{rating}"}}'
    entities = [{"entity": "rating", "value": rating}] if rating is not None else []
    user = {"event": "user", "text": text, "input_channel": channel,
            "parse_data": {"text": text, "intent": {"name": "rate_service"}, "entities": entities}}
    return make_tracker(slots={"csat_flow": flow}, intent=None, entities=entities, text=text, lang=lang,
                        events=[user], sender_id=f"{channel}:42")


def stored(database) -> list[tuple]:
    with new_session(database) as session:
        rows = session.execute(select(CsatAnswer).order_by(CsatAnswer.id)).scalars().all()
    return [(r.conversation_id, r.rating, r.flow, r.channel, r.language) for r in rows]


@pytest.mark.parametrize("action, slots, flow", [
    (ActionFileCallback, CALLBACK, "callback"),
    (ActionFileTicket, TICKET, "technician"),
    (ActionSubmitRefund, refund_slots(), "refund"),
    (ActionFileInvestigation, INVESTIGATION, "payment_check"),
])
async def test_a_filed_request_ends_with_the_rating_question(seeded, dispatcher, domain_dict, action, slots, flow):
    events = await action().run(dispatcher, make_tracker(slots=slots), domain_dict)
    said = responses(dispatcher)
    assert said[-1] == "utter_ask_csat" and said.count("utter_ask_csat") == 1, said
    assert slots_of(events)["csat_flow"] == flow


async def test_a_ticket_that_already_existed_is_not_rated_again(seeded, dispatcher, domain_dict):
    await ActionFileTicket().run(dispatcher, make_tracker(slots=TICKET), domain_dict)
    again = await ActionFileTicket().run(dispatcher, make_tracker(slots=TICKET), domain_dict)
    assert responses(dispatcher)[-1] == "utter_ticket_exists" and "csat_flow" not in slots_of(again)


async def test_a_failed_filing_asks_nothing(seeded, dispatcher, domain_dict, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("db write failed")

    monkeypatch.setattr("bot.office.callback.file_callback", broken)
    events = await ActionFileCallback().run(dispatcher, make_tracker(slots=CALLBACK), domain_dict)
    assert "utter_ask_csat" not in responses(dispatcher) and "csat_flow" not in slots_of(events)


async def test_a_closed_hand_off_is_asked_about_and_the_next_message_is_a_fresh_turn(dispatcher, domain_dict):
    """agent.execute_action adds no listen after the action: without one, Rasa's
    rules would not take the answer (nor a «thanks») and the fallback would."""
    tracker = make_tracker(events=[{"event": "user", "text": "оператор", "input_channel": "telegram"}])
    events = await ActionAskCsat().run(dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_ask_csat"]
    assert slots_of(events) == {"csat_flow": "handoff"}
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")


async def test_a_caller_put_through_to_an_operator_is_not_asked(dispatcher, domain_dict):
    tracker = make_tracker(events=[{"event": "user", "text": "оператор", "input_channel": "voice"}])
    assert await ActionAskCsat().run(dispatcher, tracker, domain_dict) == []
    assert responses(dispatcher) == []


@pytest.mark.parametrize("flow, rating, channel, lang", [
    ("technician", "5", "telegram", "kk"),  # a button's payload carries a string
    ("handoff", 2, "socketio", "ru"),  # the NLU's entity an int
    ("callback", 4, "voice", "kk"),
])
async def test_the_answer_is_stored_with_flow_channel_and_language_and_thanked_for(
    seeded, dispatcher, domain_dict, flow, rating, channel, lang
):
    events = await ActionStoreCsat().run(dispatcher, rated(rating, flow=flow, channel=channel, lang=lang), domain_dict)
    assert responses(dispatcher) == ["utter_csat_thanks"]
    assert slots_of(events) == {"csat_flow": None}
    assert stored(seeded) == [(f"{channel}:42", int(rating), flow, channel, lang)]


async def test_a_rating_nobody_asked_for_is_thanked_for_not_stored(seeded, dispatcher, domain_dict):
    """A second tap on an old button counts once."""
    events = await ActionStoreCsat().run(dispatcher, rated("5", flow=None), domain_dict)
    assert responses(dispatcher) == ["utter_csat_thanks"] and events == []
    assert stored(seeded) == []


@pytest.mark.parametrize("flow, answer", [("refund", "utter_ask_csat"), (None, "utter_default")])
async def test_no_mark_on_the_scale_is_asked_again_while_the_question_waits(seeded, dispatcher, domain_dict, flow,
                                                                             answer):
    for rating in (None, "10", "0", "4.5"):
        await ActionStoreCsat().run(dispatcher, rated(rating, flow=flow, text="на отлично"), domain_dict)
    assert set(responses(dispatcher)) == {answer}
    assert stored(seeded) == []


async def test_a_rating_that_cannot_be_stored_is_still_thanked_for(seeded, dispatcher, domain_dict, monkeypatch):
    def broken(**kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.office.csat.record", broken)
    events = await ActionStoreCsat().run(dispatcher, rated("3", flow="callback"), domain_dict)
    assert responses(dispatcher) == ["utter_csat_thanks"] and slots_of(events) == {"csat_flow": None}
    with new_session(seeded) as session:
        assert session.execute(select(Handoff)).first() is None  # nobody troubled for it


# --- the question as the customer sees and hears it ---------------------------------


def _variants(domain, name, channel=None):
    by_lang = {}
    for variant in domain.responses[name]:
        if variant.get("channel") == channel:
            condition = variant.get("condition") or [{}]
            by_lang[condition[0].get("value")] = variant
    return by_lang


def test_the_question_has_buttons_for_the_scale_in_both_languages(domain):
    """A tap is read as Rasa reads any payload (no NLU): rate_service with its rating."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.training_data.message import Message

    chat = _variants(domain, "utter_ask_csat")
    assert set(chat) == {"kk", "ru", None}
    for variant in chat.values():
        buttons = variant["buttons"]
        assert [b["title"] for b in buttons] == [str(n) for n in SCALE]
        for number, button in zip(SCALE, buttons):
            payload = button["payload"].replace("{{", "{").replace("}}", "}")  # as the NLG fills it in
            parsed = YAMLStoryReader.unpack_regex_message(Message.build(payload), domain)
            assert parsed.get("intent")["name"] == "rate_service"
            assert [(e["entity"], e["value"]) for e in parsed.get("entities")] == [("rating", str(number))]


# How each language says the ends of the scale on the phone.
SPOKEN = {"kk": {"бірден": 1, "беске": 5, "бес": 5, "бір": 1}, "ru": {"одного": 1, "пяти": 5, "пять": 5, "один": 1}}


def test_kazakh_and_russian_say_the_same_scale(domain):
    chat = _variants(domain, "utter_ask_csat")
    assert re.findall(r"\d", chat["kk"]["text"]) == re.findall(r"\d", chat["ru"]["text"]) == ["1", "5", "5", "1"]
    voice = _variants(domain, "utter_ask_csat", channel="voice")
    said = {lang: [SPOKEN[lang][w] for w in re.findall(r"\w+", voice[lang]["text"].lower()) if w in SPOKEN[lang]]
            for lang in ("kk", "ru")}
    assert said["kk"] == said["ru"] == [1, 5, 5, 1]


@pytest.mark.parametrize("lang, ends", [("kk", ("бірден", "беске")), ("ru", ("одного", "пяти"))])
def test_on_the_phone_the_scale_is_said_in_words(domain, lang, ends):
    """The IVR reads the voice variation: no buttons to read out as «1, 2, 3», no digits."""
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.server.nlg import VOICE_CHANNEL, DanaNaturalLanguageGenerator
    from channels.speech import speakable

    tracker = DialogueStateTracker.from_events("voice:1", [SlotSet("language", lang)], slots=domain.slots)
    message = asyncio.run(DanaNaturalLanguageGenerator(domain=domain).generate("utter_ask_csat", tracker, VOICE_CHANNEL))
    said = speakable(message.get("text"), message.get("buttons"))
    assert not message.get("buttons") and not re.search(r"\d", said)
    assert all(end in said for end in ends), said


async def test_the_question_and_thanks_read_in_the_customers_language(say):
    for name in ("utter_ask_csat", "utter_csat_thanks"):
        kk, ru = await say({"response": name}, "kk"), await say({"response": name}, "ru")
        assert re.search("[әғқңөұүһі]", kk) and not re.search("[әғқңөұүһі]", ru), (kk, ru)


def test_only_a_mark_on_the_scale_after_a_known_flow_is_stored(seeded):
    from bot.office import csat
    from bot.office.models import utcnow

    csat.record(conversation_id="web:1", rating=5, flow="refund", channel="socketio", language="ru", now=utcnow())
    with pytest.raises(ValueError):
        csat.record(conversation_id="web:1", rating=6, flow="refund", channel="socketio", language="ru", now=utcnow())
    with pytest.raises(ValueError):
        csat.record(conversation_id="web:1", rating=5, flow="sales", channel="socketio", language="ru", now=utcnow())
    assert json.loads(json.dumps(stored(seeded))) == [["web:1", 5, "refund", "socketio", "ru"]]
