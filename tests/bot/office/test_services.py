"""The office services the actions call (issue 17): each opens and commits its own
transaction, and what it returns is read after its session has closed — as an
action reads it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.office import callback, consent, diagnostics, payment_check, refund, subscribers, technician
from bot.office.db import new_session
from bot.office.models import (
    CallbackRequest,
    Consent,
    PaymentInvestigation,
    Receipt,
    RefundRequest,
    TechnicianTicket,
    utcnow,
)
from bot.office.receipts import keep_receipt
from bot.text.parsing.dates import today_astana

JPEG = b"\xff\xd8\xff\xe0" + b"receipt" * 20


@pytest.fixture
def receipts_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DANA_RECEIPTS_DIR", str(tmp_path / "receipts"))


def rows(url, model):
    with new_session(url) as session:
        return session.execute(select(model).order_by(model.id)).scalars().all()


def refund_request(**kw):
    base = dict(
        conversation_id="c1",
        right_login="0851234567",
        wrong_login="0851234572",
        amount=5000,
        payment_date=today_astana() - timedelta(days=1),
        payer_name="Асанов Асан Асанұлы",
        contact_phone="+77011234567",
        email=None,
        channel="telegram",
        now=utcnow(),
    )
    return {**base, **kw}


def investigation(**kw):
    base = dict(
        conversation_id="c1",
        login="0851234567",
        payment_date=today_astana() - timedelta(days=2),
        amount=7000,
        partner="Kaspi",
        contact_phone="+77011234567",
        channel="telegram",
        now=utcnow(),
    )
    return {**base, **kw}


# callback, consent, subscribers


def test_a_callback_is_filed_once_per_conversation_and_phone(seeded):
    request = dict(
        conversation_id="c1",
        phone="+77771234567",
        topic="тариф туралы",
        language="kk",
        channel="telegram",
        now=utcnow(),
    )
    row = callback.file(**request)
    again = callback.file(**{**request, "topic": "тағы да"})
    assert again.id == row.id and row.phone == "+77771234567"
    [stored] = rows(seeded, CallbackRequest)
    assert (stored.id, stored.topic, stored.language, stored.channel, stored.status) == (
        row.id,
        "тариф туралы",
        "kk",
        "telegram",
        "open",
    )


def test_each_consent_answer_is_kept_with_its_purpose(database):
    consent.record(conversation_id="c1", purpose="technician_visit", granted=True, channel="rest", now=utcnow())
    consent.record(conversation_id="c1", purpose="wrong_payment_refund", granted=False, channel="rest", now=utcnow())
    assert [(r.purpose, r.granted) for r in rows(database, Consent)] == [
        ("technician_visit", True),
        ("wrong_payment_refund", False),
    ]


def test_a_login_exists_only_when_it_is_a_subscriber(seeded):
    assert subscribers.exists("0851234567") is True
    assert subscribers.exists("0000000000") is False


# diagnostics and technician


def test_the_diagnosis_is_readable_after_its_session(seeded):
    outage = diagnostics.diagnose_login("0851234569", utcnow())
    assert outage.kind == "outage" and outage.outage.area.startswith("Астана")
    assert outage.outage.expected_end > utcnow()
    found = diagnostics.diagnose_login("0851234570", utcnow())
    assert found.kind == "open_ticket"
    assert found.ticket.callback_due - found.ticket.created_at == timedelta(hours=2)
    unpaid = diagnostics.diagnose_login("0851234571", utcnow())
    assert (unpaid.kind, unpaid.fee_unpaid) == ("line_fault", True)


def test_the_open_ticket_is_found_by_login(seeded):
    ticket = technician.open_ticket("0851234570")
    assert (ticket.login, ticket.status) == ("0851234570", "open")
    assert ticket.resolve_due - ticket.created_at == timedelta(days=3)
    assert technician.open_ticket("0851234567") is None


def visit(login, **kw):
    return diagnostics.file_visit(
        login=login,
        problem="cable_damaged",
        contact_phone="+77021234568",
        channel="telegram",
        language="ru",
        now=kw.pop("now", utcnow()),
        **kw,
    )


def test_a_visit_is_filed_with_the_faq_deadlines_and_once_per_login(seeded):
    now = utcnow()
    first = visit("0851234568", now=now)
    assert first.created and first.diagnosis.kind == "line_fault"
    assert (first.ticket.status, first.ticket.callback_due, first.ticket.visit_due, first.ticket.resolve_due) == (
        "open",
        now + timedelta(hours=2),
        now + timedelta(days=1),
        now + timedelta(days=3),
    )
    second = visit("0851234568")
    assert (second.ticket.id, second.created) == (first.ticket.id, False)
    [stored] = [t for t in rows(seeded, TechnicianTicket) if t.login == "0851234568"]
    assert (stored.id, stored.contact_phone, stored.problem) == (first.ticket.id, "+77021234568", "cable_damaged")


@pytest.mark.parametrize("login, kind", [("0851234569", "outage"), ("0851234571", "line_fault")])
def test_no_visit_during_an_outage_or_with_the_fee_unpaid(seeded, login, kind):
    outcome = visit(login)
    assert (outcome.diagnosis.kind, outcome.ticket, outcome.created) == (kind, None, False)
    assert [t for t in rows(seeded, TechnicianTicket) if t.login == login] == []


# refund and payment check: the request and the receipts sent before it


def test_a_refund_takes_the_receipt_sent_before_it(seeded, receipts_dir):
    sent = keep_receipt(conversation_id="c1", channel="telegram", data=JPEG)
    assert sent.request_id is None  # nothing filed yet: kept for the request to come
    filed = refund.file(**refund_request(amount=12000))
    assert (filed.decision.required, filed.decision.reason, filed.receipts_attached) == (True, "amount", 1)
    [receipt] = rows(seeded, Receipt)
    [stored] = rows(seeded, RefundRequest)
    assert (receipt.request_kind, receipt.request_id) == ("refund", filed.id)
    assert (stored.id, stored.amount, stored.receipt_path, stored.receipt_required) == (
        filed.id,
        12000,
        receipt.path,
        True,
    )


def test_filing_a_refund_again_returns_the_request_already_there(seeded):
    first = refund.file(**refund_request())
    again = refund.file(**refund_request())
    assert (again.id, again.decision.required, again.receipts_attached) == (first.id, False, 0)
    assert len(rows(seeded, RefundRequest)) == 1


def test_an_investigation_is_due_in_3_days_with_the_receipt_sent_before_it(seeded, receipts_dir):
    keep_receipt(conversation_id="c1", channel="telegram", data=JPEG)
    now = utcnow()
    filed = payment_check.file(**investigation(now=now))
    assert filed.receipts_attached == 1
    [stored] = rows(seeded, PaymentInvestigation)
    [receipt] = rows(seeded, Receipt)
    assert (stored.id, stored.answer_due, stored.receipt_path) == (filed.id, now + timedelta(days=3), receipt.path)
    assert (receipt.request_kind, receipt.request_id) == ("investigation", filed.id)
    assert payment_check.file(**investigation(now=now)).id == filed.id


@pytest.mark.parametrize(
    "service, request_of, model",
    [(refund, refund_request, RefundRequest), (payment_check, investigation, PaymentInvestigation)],
)
def test_a_request_is_not_kept_when_its_receipts_cannot_be_attached(
    seeded, receipts_dir, monkeypatch, service, request_of, model
):
    """One transaction: a request never stands without the receipts already sent for it."""
    keep_receipt(conversation_id="c1", channel="telegram", data=JPEG)

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "attach_pending", broken)
    with pytest.raises(RuntimeError):
        service.file(**request_of())
    assert rows(seeded, model) == []
    assert [r.request_id for r in rows(seeded, Receipt)] == [None]
