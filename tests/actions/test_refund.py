from datetime import timedelta

import pytest
from sqlalchemy import select

from actions.refund import ActionSubmitRefund, ValidateWrongPaymentForm
from bot.office.db import new_session
from bot.office.models import RefundRequest
from bot.text.parsing.dates import today_astana
from tests.conftest import make_tracker, responses, slots_of


def refund_slots(**kw):
    base = {
        "right_login": "0851234567",
        "wrong_login": "0851234572",
        "amount": 5000.0,
        "payment_date": (today_astana() - timedelta(days=1)).isoformat(),
        "consent": True,
        "full_name": "Асанов Асан Асанұлы",
        "phone_number": "+77011234567",
        "email": "-",
    }
    return {**base, **kw}


async def test_5000_two_digits_same_owner_needs_no_receipt(seeded, dispatcher, domain_dict):
    events = await ActionSubmitRefund().run(dispatcher, make_tracker(slots=refund_slots()), domain_dict)
    assert responses(dispatcher) == ["utter_receipt_not_required", "utter_refund_created", "utter_ask_csat"]
    assert slots_of(events)["receipt_required"] is False


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"amount": 12000.0}, "amount"),
        ({"amount": 10000.0}, "amount"),
        ({"wrong_login": "0851239999"}, "many_digits"),
        ({"wrong_login": "0851234000"}, "wrong_login_missing"),
    ],
)
async def test_receipt_required(seeded, dispatcher, domain_dict, change, reason):
    await ActionSubmitRefund().run(dispatcher, make_tracker(slots=refund_slots(**change)), domain_dict)
    assert responses(dispatcher) == [
        f"utter_receipt_reason_{reason}", "utter_receipt_required", "utter_refund_created", "utter_ask_csat"]


async def test_request_is_stored_once_with_what_was_collected(seeded, dispatcher, domain_dict):
    tracker = make_tracker(slots=refund_slots(email="a@mail.kz"))
    first = slots_of(await ActionSubmitRefund().run(dispatcher, tracker, domain_dict))
    second = slots_of(await ActionSubmitRefund().run(dispatcher, tracker, domain_dict))
    assert first["refund_id"] == second["refund_id"]
    with new_session(seeded) as session:
        [row] = session.execute(select(RefundRequest)).scalars().all()
    assert (row.amount, row.email, row.contact_phone) == (5000, "a@mail.kz", "+77011234567")


async def test_payment_older_than_30_days_stops_the_form(dispatcher, domain_dict):
    old = (today_astana() - timedelta(days=40)).isoformat()
    tracker = make_tracker(intent="inform", text="40 дней назад", entities=[{"entity": "payment_date", "value": old}])
    slots = ValidateWrongPaymentForm().validate_payment_date(old, dispatcher, tracker, domain_dict)
    assert slots["refund_expired"] is True and slots["requested_slot"] is None
    assert responses(dispatcher) == ["utter_refund_expired"]


@pytest.mark.parametrize("answer, amount", [("5 мың", 5000.0), ("пять тысяч двести", 5200.0), ("15 000 тг", 15000.0)])
async def test_amount_answers(dispatcher, domain_dict, answer, amount):
    tracker = make_tracker(intent="inform", text=answer)
    assert ValidateWrongPaymentForm().validate_amount(answer, dispatcher, tracker, domain_dict) == {"amount": amount}


async def test_amount_that_is_not_money_is_asked_again(dispatcher, domain_dict):
    tracker = make_tracker(intent="inform", text="не помню")
    assert ValidateWrongPaymentForm().validate_amount("не помню", dispatcher, tracker, domain_dict) == {"amount": None}
    assert responses(dispatcher) == ["utter_amount_invalid"]


@pytest.mark.parametrize("over, expected", [(0, True), (1, False)])
async def test_amount_above_the_configured_maximum_is_asked_again(dispatcher, domain_dict, over, expected):
    from bot.config import LIMITS

    amount = LIMITS.max_payment_amount + over
    tracker = make_tracker(intent="inform", text=f"{amount} тг", entities=[{"entity": "amount", "value": amount}])
    slots = ValidateWrongPaymentForm().validate_amount(amount, dispatcher, tracker, domain_dict)
    assert slots == ({"amount": float(amount)} if expected else {"amount": None})
    assert responses(dispatcher) == ([] if expected else ["utter_amount_invalid"])


async def test_deny_cancels_the_form(dispatcher, domain_dict):
    tracker = make_tracker(
        intent="deny",
        text="нет, не надо",
        active_loop="wrong_payment_form",
        slots={"requested_slot": "amount", "amount": None},
    )
    events = await ValidateWrongPaymentForm().run(dispatcher, tracker, domain_dict)
    assert responses(dispatcher) == ["utter_form_cancelled"]
    assert slots_of(events)["requested_slot"] is None


@pytest.mark.parametrize(
    "text, amount",
    [
        ("ой, не 5000, а 5500 тенге", 5500.0),
        ("ой, подождите, сумма была не 12000, а 5000", 5000.0),
        ("12 мың емес, 5 мың теңге", 5000.0),
    ],
)
async def test_correcting_the_amount_while_the_date_is_asked(dispatcher, domain_dict, text, amount):
    """«ой, не 5000, а 5500» while Dana asks for the date: the amount changes to
    the new value, Dana says so and asks for the date again, without calling it
    a bad date. The entities are what Dana's extractor finds: both amounts."""
    from nlu.components.entity_extractor import extract_entities

    entities = [e for e in extract_entities(text) if e["entity"] == "amount"]
    first = float(entities[0]["value"])  # what Rasa's from_entity mapping put in the slot
    tracker = make_tracker(
        slots={
            "right_login": "0851234567",
            "wrong_login": "0851234572",
            "amount": first,
            "payment_date": text,
            "requested_slot": "payment_date",
        },
        intent="inform",
        text=text,
        active_loop="wrong_payment_form",
        entities=entities,
        events=[],
    )
    # What Rasa's slot extraction added after the message: both mappings fired.
    tracker.events += [
        {"event": "slot", "name": "amount", "value": first},
        {"event": "slot", "name": "payment_date", "value": text},
    ]
    slots = slots_of(await ValidateWrongPaymentForm().run(dispatcher, tracker, domain_dict))
    assert slots["amount"] == amount
    assert slots["payment_date"] is None
    assert responses(dispatcher) == ["utter_answer_corrected"]


async def test_a_receipt_sent_while_a_login_is_asked_is_kept_and_the_question_repeated(dispatcher, domain_dict):
    tracker = make_tracker(
        slots={"right_login": "/send_receipt", "requested_slot": "right_login"},
        intent="send_receipt",
        text="/send_receipt",
        active_loop="wrong_payment_form",
    )
    tracker.events[-1]["metadata"] = {"receipt": {"status": "stored", "request_kind": None, "request_id": None}}
    tracker.events.append({"event": "slot", "name": "right_login", "value": "/send_receipt"})
    slots = slots_of(await ValidateWrongPaymentForm().run(dispatcher, tracker, domain_dict))
    assert slots == {"right_login": None}
    assert responses(dispatcher) == ["utter_receipt_kept"]


async def test_same_owner_without_the_patronymic_needs_no_receipt_and_the_row_says_why(seeded, dispatcher, domain_dict):
    """The wrong login's owner is written «Асанов Асан», the right one's «Асанов Асан
    Асанұлы» (seeded): the same person, so no receipt, and the refund row says why."""
    from bot.office.models import Subscriber

    with new_session(seeded) as session, session.begin():
        session.add(Subscriber(login="0851234573", full_name="Асанов Асан", area="Алматы"))
    events = await ActionSubmitRefund().run(
        dispatcher, make_tracker(slots=refund_slots(wrong_login="0851234573")), domain_dict
    )
    assert responses(dispatcher) == ["utter_receipt_not_required", "utter_refund_created", "utter_ask_csat"]
    assert slots_of(events)["receipt_required"] is False
    with new_session(seeded) as session:
        [row] = session.execute(select(RefundRequest)).scalars().all()
    assert (row.receipt_required, row.receipt_reason, row.owners_names) == (False, None, "patronymic_missing")


@pytest.mark.parametrize(
    "owner, names",
    [("Асанова Асель", "different_surname"), ("Асанов Бекзат", "different_given_name"), ("Асанов", "too_short")],
)
async def test_another_owner_needs_a_receipt_and_the_row_says_why(seeded, dispatcher, domain_dict, owner, names):
    from bot.office.models import Subscriber

    with new_session(seeded) as session, session.begin():
        session.add(Subscriber(login="0851234573", full_name=owner, area="Алматы"))
    await ActionSubmitRefund().run(dispatcher, make_tracker(slots=refund_slots(wrong_login="0851234573")), domain_dict)
    assert responses(dispatcher) == [
        "utter_receipt_reason_names_differ",
        "utter_receipt_required",
        "utter_refund_created",
        "utter_ask_csat",
    ]
    with new_session(seeded) as session:
        [row] = session.execute(select(RefundRequest)).scalars().all()
    assert (row.receipt_required, row.receipt_reason, row.owners_names) == (True, "names_differ", names)


@pytest.mark.parametrize("wrong, names", [("0851234572", "exact"), ("0851234000", None)])
async def test_the_row_records_the_owners_comparison_or_none_when_a_login_is_unknown(
    seeded, dispatcher, domain_dict, wrong, names
):
    await ActionSubmitRefund().run(dispatcher, make_tracker(slots=refund_slots(wrong_login=wrong)), domain_dict)
    with new_session(seeded) as session:
        [row] = session.execute(select(RefundRequest)).scalars().all()
    assert row.owners_names == names


@pytest.mark.parametrize(
    "answer, time", [("вчера в 14:30", "14:30"), ("кеше сағат 9-да", "09:00"), ("вчера", None), ("2 часа назад", None)]
)
async def test_the_payment_time_said_with_the_date_is_kept_on_the_row(seeded, dispatcher, domain_dict, answer, time):
    """The FAQ asks for the payment's date and time; a time is kept, never demanded."""
    yesterday = (today_astana() - timedelta(days=1)).isoformat()
    tracker = make_tracker(intent="inform", text=answer, entities=[{"entity": "payment_date", "value": yesterday}])
    slots = ValidateWrongPaymentForm().validate_payment_date(yesterday, dispatcher, tracker, domain_dict)
    assert slots.get("payment_date") == yesterday and slots.get("payment_time") == time
    events = await ActionSubmitRefund().run(
        dispatcher, make_tracker(slots=refund_slots(**{"payment_time": time})), domain_dict
    )
    with new_session(seeded) as session:
        row = session.get(RefundRequest, int(slots_of(events)["refund_id"]))
    assert row.payment_time == time


async def test_a_refund_not_filed_whole_is_not_filed_and_goes_to_an_operator(
    seeded, dispatcher, domain_dict, monkeypatch, caplog
):
    """Attaching the receipts already sent fails: the request is rolled back with
    them (one transaction), the customer is told and an operator takes over."""

    def broken(*a, **k):
        raise RuntimeError("receipt link failed")

    monkeypatch.setattr("bot.office.refund.attach_pending", broken)
    events = await ActionSubmitRefund().run(dispatcher, make_tracker(slots=refund_slots()), domain_dict)
    assert responses(dispatcher) == ["utter_service_unavailable", "utter_handoff"]
    assert "refund_id" not in slots_of(events)
    assert [(r.name, r.getMessage()) for r in caplog.records if r.exc_info] == [
        ("actions.refund", "filing a refund request failed")
    ]
    from bot.office.models import Handoff

    with new_session(seeded) as session:
        assert session.execute(select(RefundRequest)).first() is None
        assert session.execute(select(Handoff.reason)).scalar_one() == "refund_failed"
