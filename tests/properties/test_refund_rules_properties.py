"""Wrong-login refunds: the receipt rule and the claim window, at and around every boundary."""
from __future__ import annotations

import calendar
import string
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.config import POLICY
from bot.office.refund import claim_deadline, differing_digits, in_time, names_match, receipt_decision

LOGIN = st.text(string.digits, min_size=6, max_size=12)
AMOUNT = st.integers(min_value=1, max_value=10 * POLICY.receipt_amount_threshold)
PAID = st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))


@st.composite
def typo(draw, max_changes: int) -> tuple[str, str, int]:
    """(right, wrong, n): wrong is right with exactly n digits changed."""
    right = draw(st.from_regex(r"08[0-9]{8}", fullmatch=True))
    n = draw(st.integers(min_value=1, max_value=max_changes))
    positions = draw(st.lists(st.integers(0, len(right) - 1), min_size=n, max_size=n, unique=True))
    wrong = list(right)
    for i in positions:
        wrong[i] = draw(st.sampled_from([d for d in string.digits if d != right[i]]))
    return right, "".join(wrong), n


def decide(**kw):
    return receipt_decision(**kw).required


@settings(max_examples=150, deadline=None)
@given(LOGIN, LOGIN, st.booleans(), st.booleans(), AMOUNT)
def test_no_receipt_exactly_when_every_condition_holds(right, wrong, exists, same_owner, amount):
    decision = receipt_decision(right_login=right, wrong_login=wrong, wrong_login_exists=exists,
                                names_match=same_owner, amount=amount)
    free = (exists and same_owner and amount < POLICY.receipt_amount_threshold
            and differing_digits(right, wrong) <= POLICY.max_digits_without_receipt)
    assert decision.required is (not free)
    assert (decision.reason is None) is free


@settings(max_examples=100, deadline=None)
@given(typo(POLICY.max_digits_without_receipt), st.integers(min_value=0, max_value=10 * POLICY.receipt_amount_threshold))
def test_threshold_and_above_always_need_a_receipt(case, amount):
    right, wrong, _ = case
    below = receipt_decision(right_login=right, wrong_login=wrong, wrong_login_exists=True,
                             names_match=True, amount=POLICY.receipt_amount_threshold - 1)
    at_or_above = receipt_decision(right_login=right, wrong_login=wrong, wrong_login_exists=True,
                                   names_match=True, amount=POLICY.receipt_amount_threshold + amount)
    assert (below.required, at_or_above.required, at_or_above.reason) == (False, True, "amount")


@settings(max_examples=100, deadline=None)
@given(typo(POLICY.max_digits_without_receipt + 3), AMOUNT, st.booleans())
def test_more_changed_digits_never_lift_the_receipt(case, amount, same_owner):
    right, wrong, n = case
    assert differing_digits(right, wrong) == n
    required = decide(right_login=right, wrong_login=wrong, wrong_login_exists=True,
                      names_match=same_owner, amount=amount)
    if n >= POLICY.min_digits_with_receipt:
        assert required
    # Raising the amount never turns a receipt-needed case into a free one.
    assert decide(right_login=right, wrong_login=wrong, wrong_login_exists=True,
                  names_match=same_owner, amount=amount + POLICY.receipt_amount_threshold) or not required


@settings(max_examples=80, deadline=None)
@given(LOGIN, LOGIN, LOGIN)
def test_differing_digits_is_a_distance(a, b, c):
    assert differing_digits(a, b) == differing_digits(b, a)
    assert (differing_digits(a, b) == 0) is (a == b)
    assert differing_digits(a, c) <= differing_digits(a, b) + differing_digits(b, c)


@settings(max_examples=100, deadline=None)
@given(LOGIN, LOGIN, st.booleans(), st.booleans(), AMOUNT)
def test_which_login_is_called_right_does_not_matter(a, b, exists, same_owner, amount):
    common = dict(wrong_login_exists=exists, names_match=same_owner, amount=amount)
    assert receipt_decision(right_login=a, wrong_login=b, **common) == \
        receipt_decision(right_login=b, wrong_login=a, **common)


_NAME_WORD = st.sampled_from(["Асанов", "Асан", "Асанұлы", "Иванова", "Мария", "Петровна", "Әлия",
                              "Нұрлан", "Серікқызы", "Ким"])


@settings(max_examples=100, deadline=None)
@given(st.lists(_NAME_WORD, min_size=2, max_size=3, unique=True), st.randoms(use_true_random=False))
def test_names_match_whatever_order_and_case(words, rnd):
    shuffled = words[:]
    rnd.shuffle(shuffled)
    other = " ".join(w.upper() if rnd.random() < 0.5 else w.lower() for w in shuffled)
    assert names_match(" ".join(words), other) and names_match(other, " ".join(words))


@settings(max_examples=100, deadline=None)
@given(st.lists(_NAME_WORD, min_size=2, max_size=3, unique=True), _NAME_WORD)
def test_a_different_word_is_a_different_owner(words, extra):
    assume(extra not in words)
    assert not names_match(" ".join(words), " ".join(words[:-1] + [extra]))


def _last_two_days(paid: date) -> bool:
    return paid.day >= calendar.monthrange(paid.year, paid.month)[1] - 1


@settings(max_examples=80, deadline=None)
@given(PAID)
def test_claim_window_boundaries(paid):
    deadline = claim_deadline(paid)
    if _last_two_days(paid):
        # Until the end of the following month.
        after = deadline + timedelta(days=1)
        assert after.day == 1 and (after.month - paid.month) % 12 == 2
    else:
        assert deadline == paid + timedelta(days=POLICY.refund_claim_days)
    assert in_time(paid, deadline) and not in_time(paid, deadline + timedelta(days=1))
    assert in_time(paid, paid)


@settings(max_examples=80, deadline=None)
@given(PAID, st.integers(min_value=0, max_value=120), st.integers(min_value=0, max_value=120))
def test_claim_window_is_one_stretch(paid, a, b):
    """Once too late, later is too late as well."""
    early, late = sorted((a, b))
    if in_time(paid, paid + timedelta(days=late)):
        assert in_time(paid, paid + timedelta(days=early))
