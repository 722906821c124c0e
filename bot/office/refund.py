"""Payment to a wrong login: is it still in time, is a receipt needed, and the
refund request filed (one row in the caller's transaction, returned).

A request is idempotent per conversation: filing the same data again (a retry
after a crash, a double click) returns the row already there. ``file`` is what
the action calls: the request and the receipts already sent, one transaction.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import POLICY
from bot.office.db import new_session
from bot.office.models import RefundRequest, Subscriber
from bot.office.name_match import NameMatch, compare_names
from bot.office.receipts import attach_pending
from bot.office.subscribers import login_exists


def differing_digits(right: str, wrong: str) -> int:
    """Positions where two logins differ (length difference counts too)."""
    length_gap = abs(len(right) - len(wrong))
    return sum(a != b for a, b in zip(right, wrong, strict=False)) + length_gap


def claim_deadline(paid: date) -> date:
    """30 days from the payment (paid 25 July → until 24 August); a payment on
    the last two days of a month may be claimed until the end of the next month."""
    last_day = calendar.monthrange(paid.year, paid.month)[1]
    if paid.day >= last_day - 1:
        next_month = paid.replace(day=1) + timedelta(days=32)
        return next_month.replace(day=calendar.monthrange(next_month.year, next_month.month)[1])
    return paid + timedelta(days=POLICY.refund_claim_days)


def in_time(paid: date, today: date) -> bool:
    return today <= claim_deadline(paid)


RECEIPT_REASONS = ("wrong_login_missing", "many_digits", "amount", "names_differ")


@dataclass(frozen=True)
class ReceiptDecision:
    required: bool
    reason: str | None  # wrong_login_missing | many_digits | amount | names_differ


def receipt_decision(
    *, right_login: str, wrong_login: str, wrong_login_exists: bool, names_match: bool, amount: int
) -> ReceiptDecision:
    """Without a receipt only when names match, 1–3 digits differ and the amount is
    below 10 000 tenge; exactly 10 000 needs a receipt."""
    if not wrong_login_exists:
        return ReceiptDecision(True, "wrong_login_missing")
    if differing_digits(right_login, wrong_login) > POLICY.max_digits_without_receipt:
        return ReceiptDecision(True, "many_digits")
    if amount >= POLICY.receipt_amount_threshold:
        return ReceiptDecision(True, "amount")
    if not names_match:
        return ReceiptDecision(True, "names_differ")
    return ReceiptDecision(False, None)


def names_match(a: str, b: str) -> bool:
    """Same person as a person at the call centre would judge it (bot/office/name_match.py):
    whatever the case, word order, script or a missing patronymic; one slip forgiven."""
    return compare_names(a, b).same


def compare_owners(session: Session, right_login: str, wrong_login: str) -> NameMatch | None:
    """The two logins' owners' full names compared; None when either login has no subscriber."""
    right = session.get(Subscriber, right_login)
    wrong = session.get(Subscriber, wrong_login)
    if right is None or wrong is None:
        return None
    return compare_names(right.full_name, wrong.full_name)


def refund_receipt(session: Session, right_login: str, wrong_login: str, amount: int) -> ReceiptDecision:
    return _receipt(session, right_login, wrong_login, amount, compare_owners(session, right_login, wrong_login))


def _receipt(
    session: Session, right_login: str, wrong_login: str, amount: int, owners: NameMatch | None
) -> ReceiptDecision:
    return receipt_decision(
        right_login=right_login,
        wrong_login=wrong_login,
        wrong_login_exists=login_exists(session, wrong_login),
        names_match=bool(owners and owners.same),
        amount=amount,
    )


def file_refund(
    session: Session,
    *,
    conversation_id: str,
    right_login: str,
    wrong_login: str,
    amount: int,
    payment_date: date,
    payer_name: str,
    contact_phone: str,
    email: str | None,
    channel: str,
    now: datetime,
    payment_time: str | None = None,
) -> tuple[RefundRequest, ReceiptDecision]:
    owners = compare_owners(session, right_login, wrong_login)
    decision = _receipt(session, right_login, wrong_login, amount, owners)
    existing = (
        session.execute(
            select(RefundRequest).where(
                RefundRequest.conversation_id == conversation_id,
                RefundRequest.right_login == right_login,
                RefundRequest.wrong_login == wrong_login,
                RefundRequest.amount == amount,
                RefundRequest.payment_date == payment_date,
            )
        )
        .scalars()
        .first()
    )
    if existing:
        return existing, decision
    refund = RefundRequest(
        conversation_id=conversation_id,
        right_login=right_login,
        wrong_login=wrong_login,
        amount=amount,
        payment_date=payment_date,
        payer_name=payer_name,
        contact_phone=contact_phone,
        email=email,
        receipt_required=decision.required,
        receipt_reason=decision.reason,
        owners_names=owners.reason if owners else None,
        payment_time=payment_time,
        channel=channel,
        created_at=now,
    )
    session.add(refund)
    session.flush()
    return refund, decision


@dataclass(frozen=True)
class FiledRefund:
    id: int
    decision: ReceiptDecision
    receipts_attached: int  # receipts sent before the filing, joined to it now


def file(**request: Any) -> FiledRefund:
    """file_refund (its keyword arguments) and attach_pending in one transaction:
    no request is committed without the receipts the customer already sent for it."""
    with new_session() as session, session.begin():
        refund, decision = file_refund(session, **request)
        attached = attach_pending(session, request["conversation_id"], "refund", refund.id)
        return FiledRefund(refund.id, decision, attached)
