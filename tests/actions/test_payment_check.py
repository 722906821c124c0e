from sqlalchemy import select

from actions.payment_check import ActionFileInvestigation
from bot.office.db import new_session
from bot.office.models import PaymentInvestigation
from tests.conftest import make_tracker, responses


async def test_investigation_answer_due_in_3_days(seeded, dispatcher, domain_dict):
    slots = {"login": "0851234567", "payment_date": "2026-11-20", "amount": 7000.0, "partner_name": "Kaspi",
             "consent": True, "phone_number": "+77011234567"}
    await ActionFileInvestigation().run(dispatcher, make_tracker(slots=slots), domain_dict)
    assert responses(dispatcher) == ["utter_investigation_created"]
    with new_session(seeded) as session:
        row = session.execute(select(PaymentInvestigation)).scalar_one()
    assert (row.answer_due - row.created_at).days == 3 and row.partner == "Kaspi"
