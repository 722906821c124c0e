import json

import pytest
from sqlalchemy import select

from actions.diagnostics import ActionCheckFee, ActionRunDiagnostics, ValidateDiagnosticsForm
from bot.office.db import new_session
from bot.office.models import Handoff
from tests.conftest import make_tracker, responses, slots_of


@pytest.mark.parametrize(
    "login, kind, said",
    [
        ("0851234569", "outage", ["utter_outage_found"]),
        ("0851234570", "open_ticket", ["utter_ticket_exists"]),
        ("0851234568", "line_fault", ["utter_line_fault"]),
        ("0851234567", "no_fault", ["utter_no_fault_found"]),
    ],
)
async def test_diagnosis_in_the_faq_order(seeded, dispatcher, domain_dict, login, kind, said):
    events = await ActionRunDiagnostics().run(dispatcher, make_tracker(slots={"login": login}), domain_dict)
    assert slots_of(events)["diagnosis"] == kind
    assert responses(dispatcher) == said


async def test_outage_answer_carries_the_eta_but_not_the_address(seeded, dispatcher, domain_dict):
    await ActionRunDiagnostics().run(dispatcher, make_tracker(slots={"login": "0851234569"}), domain_dict)
    message = dispatcher.messages[0]
    assert message["eta"] and message["area"] == "Астана"


async def test_three_bad_logins_hand_over_to_an_operator(seeded, dispatcher, domain_dict):
    validator = ValidateDiagnosticsForm()
    slots = {}
    for answer in ["абв", "0000000000", "12"]:
        tracker = make_tracker(slots={"login_attempts": slots.get("login_attempts", 0)}, intent="inform", text=answer)
        slots = validator.validate_login(answer, dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_login_invalid", "utter_login_unknown", "utter_login_too_many_attempts"]
    assert slots["login_failed"] is True and slots["requested_slot"] is None
    events = await ActionRunDiagnostics().run(dispatcher, make_tracker(slots={"login_failed": True}), domain_dict)
    assert slots_of(events)["diagnosis"] == "handoff"
    with new_session(seeded) as session:
        assert session.execute(select(Handoff.reason)).scalar_one() == "login_not_found"


async def test_login_inside_a_sentence_is_accepted(seeded, dispatcher, domain_dict):
    tracker = make_tracker(
        intent="inform", text="мой логин 0851234567 вот", entities=[{"entity": "login", "value": "0851234567"}]
    )
    assert ValidateDiagnosticsForm().validate_login("мой логин 0851234567 вот", dispatcher, tracker, domain_dict) == {
        "login": "0851234567",
        "login_attempts": 0,
    }


async def test_fee_check(seeded, dispatcher, domain_dict):
    unpaid = await ActionCheckFee().run(dispatcher, make_tracker(slots={"login": "0851234571"}), domain_dict)
    paid = await ActionCheckFee().run(dispatcher, make_tracker(slots={"login": "0851234568"}), domain_dict)
    assert (slots_of(unpaid)["fee_paid"], slots_of(paid)["fee_paid"]) == (False, True)
    assert responses(dispatcher) == ["utter_fee_unpaid"]


async def test_database_down_is_told_not_crashed(dispatcher, domain_dict, monkeypatch, tmp_path):
    from bot.office import db

    monkeypatch.setenv("DANA_DATABASE_URL", f"sqlite:///{tmp_path}/missing/../nope/x.db")
    db.get_engine.cache_clear()
    monkeypatch.setattr("bot.office.diagnostics.diagnose_login", lambda *a: (_ for _ in ()).throw(OSError("down")))
    events = await ActionRunDiagnostics().run(dispatcher, make_tracker(slots={"login": "0851234567"}), domain_dict)
    assert responses(dispatcher) == ["utter_service_unavailable"]
    assert slots_of(events)["diagnosis"] == "unavailable"
    db.get_engine.cache_clear()


async def test_side_question_is_answered_and_the_login_asked_again(seeded, dispatcher, domain_dict):
    tracker = make_tracker(
        intent="request_status",
        text="а сколько ждать?",
        active_loop="diagnostics_form",
        slots={"requested_slot": "login", "login": "а сколько ждать?"},
    )
    events = await ValidateDiagnosticsForm().run(dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_request_status"]
    assert slots_of(events) == {"login": None}


async def test_a_language_switch_at_the_login_question_is_no_bad_login(seeded, dispatcher, domain_dict):
    tracker = make_tracker(
        intent="switch_language",
        text="давайте на русском",
        active_loop="diagnostics_form",
        slots={"requested_slot": "login", "login": "давайте на русском", "login_attempts": 0},
    )
    events = await ValidateDiagnosticsForm().run(dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_language_chosen"]  # then the form asks for the login again
    assert slots_of(events) == {"login": None}  # no strike, nothing taken as a login


# --- suspected outages: «no internet» reports (bot/office/outages.py) ---------------

NEIGHBOURS = [f"08610000{n:02d}" for n in range(1, 6)]
STREET = "Павлодар, Орталық ауданы"


def _said(intent, channel="telegram"):
    """A conversation where the customer said ``intent`` on ``channel``."""
    return [
        {
            "event": "user",
            "text": "интернет жоқ",
            "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": []},
        }
    ]


async def _diagnose(dispatcher, domain_dict, login, intent="internet_down", sender="telegram:1", lang="ru"):
    tracker = make_tracker(slots={"login": login}, events=_said(intent), sender_id=sender, lang=lang)
    events = await ActionRunDiagnostics().run(dispatcher, tracker, domain_dict)
    return slots_of(events)["diagnosis"]


async def _recorded():
    from bot.office import outages

    for task in list(outages._background):
        await task


@pytest.fixture
def street(seeded):
    from bot.office.models import Subscriber

    with new_session(seeded) as session, session.begin():
        for login in NEIGHBOURS:
            session.add(Subscriber(login=login, full_name="Абонент", area=STREET))
    return seeded


async def test_five_neighbours_without_internet_raise_a_suspected_outage_after_their_answers(
    street, dispatcher, domain_dict, monkeypatch
):
    from bot.office import outages
    from bot.office.models import ConnectionReport
    from tests.channels.standin import start_standin

    centre = start_standin()
    monkeypatch.setenv("DANA_HANDOFF_WEBHOOK_URL", f"{centre.url}/handoff")
    try:
        for n, login in enumerate(NEIGHBOURS):
            assert await _diagnose(dispatcher, domain_dict, login, sender=f"telegram:{n}", lang="kk") == "no_fault"
            assert outages._background  # recorded after the answer, not before it
            await _recorded()
        assert responses(dispatcher) == ["utter_no_fault_found"] * 5
        [suspected] = outages.suspected()
        assert (suspected["area"], suspected["reports"], suspected["logins"]) == (STREET, 5, NEIGHBOURS)
        [call] = centre.calls_to("handoff")
        assert json.loads(call.body)["event"] == "suspected_outage"
    finally:
        centre.close()
    with new_session(street) as session:
        reports = session.execute(select(ConnectionReport)).scalars().all()
    assert {(r.conversation_id, r.channel, r.language) for r in reports} == {
        (f"telegram:{n}", "telegram", "kk") for n in range(5)
    }


async def test_only_a_lost_connection_in_an_area_without_an_outage_is_a_report(seeded, dispatcher, domain_dict):
    from bot.office import outages
    from bot.office.models import ConnectionReport

    assert await _diagnose(dispatcher, domain_dict, "0851234567", intent="internet_slow") == "no_fault"
    assert await _diagnose(dispatcher, domain_dict, "0851234569") == "outage"  # told of the outage instead
    assert not outages._background
    assert await _diagnose(dispatcher, domain_dict, "0851234568") == "line_fault"  # a line fault: still a report
    await _recorded()
    with new_session(seeded) as session:
        assert session.execute(select(ConnectionReport.login)).scalars().all() == ["0851234568"]


async def test_a_report_that_cannot_be_recorded_never_fails_the_answer(seeded, dispatcher, domain_dict, monkeypatch):
    from bot.office import outages

    monkeypatch.setattr(outages, "report_no_connection", lambda **_: (_ for _ in ()).throw(OSError("down")))
    assert await _diagnose(dispatcher, domain_dict, "0851234567") == "no_fault"
    await _recorded()  # the error is logged, not raised
    monkeypatch.setattr(outages, "report_in_background", lambda **_: (_ for _ in ()).throw(RuntimeError("no loop")))
    assert await _diagnose(dispatcher, domain_dict, "0851234567") == "no_fault"
    assert responses(dispatcher) == ["utter_no_fault_found"] * 2
