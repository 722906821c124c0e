"""Payment to a wrong login: is it still in time, and is a receipt needed?"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from bot.config import POLICY
from bot.office.name_match import compare_names


def differing_digits(right: str, wrong: str) -> int:
    """Positions where two logins differ (length difference counts too)."""
    length_gap = abs(len(right) - len(wrong))
    return sum(a != b for a, b in zip(right, wrong)) + length_gap


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


def receipt_decision(*, right_login: str, wrong_login: str, wrong_login_exists: bool,
                     names_match: bool, amount: int) -> ReceiptDecision:
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
