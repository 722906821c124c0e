"""Filing customers' requests: refunds, payment investigations, callbacks, consents.

Each function writes one row in the caller's transaction and returns it. A
request is idempotent per conversation: filing the same data again (a retry
after a crash, a double click) returns the row already there.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import POLICY
from bot.office.models import CallbackRequest, Consent, PaymentInvestigation, RefundRequest, Subscriber
from bot.office.name_match import compare_names, NameMatch
from bot.office.refunds import receipt_decision, ReceiptDecision


def login_exists(session: Session, login: str) -> bool:
    return session.get(Subscriber, login) is not None


def compare_owners(session: Session, right_login: str, wrong_login: str) -> NameMatch | None:
    """The two logins' owners' full names compared; None when either login has no subscriber."""
    right = session.get(Subscriber, right_login)
    wrong = session.get(Subscriber, wrong_login)
    if right is None or wrong is None:
        return None
    return compare_names(right.full_name, wrong.full_name)


def refund_receipt(session: Session, right_login: str, wrong_login: str, amount: int) -> ReceiptDecision:
    return _receipt(session, right_login, wrong_login, amount, compare_owners(session, right_login, wrong_login))


def _receipt(session: Session, right_login: str, wrong_login: str, amount: int,
             owners: NameMatch | None) -> ReceiptDecision:
    return receipt_decision(right_login=right_login, wrong_login=wrong_login,
                            wrong_login_exists=login_exists(session, wrong_login),
                            names_match=bool(owners and owners.same), amount=amount)


def file_refund(session: Session, *, conversation_id: str, right_login: str, wrong_login: str,
                amount: int, payment_date: date, payer_name: str, contact_phone: str,
                email: str | None, channel: str, now: datetime,
                payment_time: str | None = None) -> tuple[RefundRequest, ReceiptDecision]:
    owners = compare_owners(session, right_login, wrong_login)
    decision = _receipt(session, right_login, wrong_login, amount, owners)
    existing = session.execute(select(RefundRequest).where(
        RefundRequest.conversation_id == conversation_id, RefundRequest.right_login == right_login,
        RefundRequest.wrong_login == wrong_login, RefundRequest.amount == amount,
        RefundRequest.payment_date == payment_date)).scalars().first()
    if existing:
        return existing, decision
    refund = RefundRequest(conversation_id=conversation_id, right_login=right_login,
                           wrong_login=wrong_login, amount=amount, payment_date=payment_date,
                           payer_name=payer_name, contact_phone=contact_phone, email=email,
                           receipt_required=decision.required, receipt_reason=decision.reason,
                           owners_names=owners.reason if owners else None,
                           payment_time=payment_time, channel=channel, created_at=now)
    session.add(refund)
    session.flush()
    return refund, decision


def file_investigation(session: Session, *, conversation_id: str, login: str, payment_date: date,
                       amount: int, partner: str, contact_phone: str, channel: str,
                       now: datetime, payment_time: str | None = None) -> PaymentInvestigation:
    existing = session.execute(select(PaymentInvestigation).where(
        PaymentInvestigation.conversation_id == conversation_id, PaymentInvestigation.login == login,
        PaymentInvestigation.payment_date == payment_date,
        PaymentInvestigation.amount == amount)).scalars().first()
    if existing:
        return existing
    row = PaymentInvestigation(conversation_id=conversation_id, login=login, payment_date=payment_date,
                               amount=amount, partner=partner, contact_phone=contact_phone,
                               payment_time=payment_time, channel=channel, created_at=now,
                               answer_due=now + timedelta(days=POLICY.investigation_days))
    session.add(row)
    session.flush()
    return row


def file_callback(session: Session, *, conversation_id: str, phone: str, topic: str, language: str,
                  channel: str, now: datetime) -> CallbackRequest:
    existing = session.execute(select(CallbackRequest).where(
        CallbackRequest.conversation_id == conversation_id, CallbackRequest.phone == phone,
        CallbackRequest.status == "open")).scalars().first()
    if existing:
        return existing
    row = CallbackRequest(conversation_id=conversation_id, phone=phone, topic=topic,
                          language=language, channel=channel, created_at=now)
    session.add(row)
    session.flush()
    return row


def record_consent(session: Session, *, conversation_id: str, purpose: str, granted: bool,
                   channel: str, now: datetime) -> Consent:
    row = Consent(conversation_id=conversation_id, purpose=purpose, granted=granted,
                  channel=channel, created_at=now)
    session.add(row)
    session.flush()
    return row
