from sqlalchemy import select

from actions.payment_check import ActionFileInvestigation
from bot.office.db import new_session
from bot.office.models import Handoff, PaymentInvestigation, Receipt
from bot.office.receipts import keep_receipt
from tests.conftest import make_tracker, responses, slots_of

SLOTS = {
    "login": "0851234567",
    "payment_date": "2026-11-20",
    "amount": 7000.0,
    "partner_name": "Kaspi",
    "consent": True,
    "phone_number": "+77011234567",
}


async def test_investigation_answer_due_in_3_days(seeded, dispatcher, domain_dict):
    await ActionFileInvestigation().run(dispatcher, make_tracker(slots=SLOTS), domain_dict)
    assert responses(dispatcher) == ["utter_investigation_created", "utter_ask_csat"]
    with new_session(seeded) as session:
        row = session.execute(select(PaymentInvestigation)).scalar_one()
    assert (row.answer_due - row.created_at).days == 3 and row.partner == "Kaspi"


async def test_a_receipt_sent_before_the_filing_joins_the_request(
    seeded, dispatcher, domain_dict, monkeypatch, tmp_path
):
    monkeypatch.setenv("DANA_RECEIPTS_DIR", str(tmp_path / "receipts"))
    keep_receipt(conversation_id="test-user", channel="telegram", data=b"%PDF-1.4 receipt")
    events = await ActionFileInvestigation().run(dispatcher, make_tracker(slots=SLOTS), domain_dict)
    assert responses(dispatcher) == ["utter_investigation_created", "utter_receipt_attached", "utter_ask_csat"]
    assert dispatcher.messages[1]["request_id"] == slots_of(events)["investigation_id"]
    with new_session(seeded) as session:
        receipt = session.execute(select(Receipt)).scalar_one()
    assert (receipt.request_kind, str(receipt.request_id)) == ("investigation", slots_of(events)["investigation_id"])


async def test_a_failed_filing_is_apologised_for_and_handed_over(seeded, dispatcher, domain_dict, monkeypatch, caplog):
    def broken(*a, **k):
        raise RuntimeError("db write failed")

    monkeypatch.setattr("bot.office.payment_check.file_investigation", broken)
    await ActionFileInvestigation().run(dispatcher, make_tracker(slots=SLOTS), domain_dict)
    assert responses(dispatcher) == ["utter_service_unavailable", "utter_handoff"]
    assert [(r.name, r.getMessage()) for r in caplog.records if r.exc_info] == [
        ("actions.payment_check", "filing a payment investigation failed")
    ]
    with new_session(seeded) as session:
        assert session.execute(select(Handoff.reason)).scalar_one() == "investigation_failed"
