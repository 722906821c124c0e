from datetime import date

import pytest

from bot.office.refund import claim_deadline, differing_digits, in_time, names_match, receipt_decision


def decide(**kw):
    base = dict(
        right_login="0851234567", wrong_login="0851234572", wrong_login_exists=True, names_match=True, amount=5000
    )
    return receipt_decision(**{**base, **kw})


def test_small_amount_two_digits_same_owner_needs_no_receipt():
    assert decide().required is False


@pytest.mark.parametrize("amount, required", [(9_999, False), (10_000, True), (12_000, True)])
def test_ten_thousand_exactly_needs_a_receipt(amount, required):
    assert decide(amount=amount).required is required


@pytest.mark.parametrize("wrong, required", [("0851234560", False), ("0851234999", False), ("0851239999", True)])
def test_three_digits_without_four_with_receipt(wrong, required):
    assert decide(wrong_login=wrong).required is required


def test_missing_login_and_other_owner_need_a_receipt():
    assert decide(wrong_login_exists=False).reason == "wrong_login_missing"
    assert decide(names_match=False).reason == "names_differ"


def test_differing_digits_counts_length_too():
    assert differing_digits("0851234567", "085123456") == 1
    assert differing_digits("0851234567", "0851234567") == 0


@pytest.mark.parametrize(
    "paid, today, ok",
    [
        (date(2026, 7, 25), date(2026, 8, 24), True),  # the FAQ's example: until 24 August
        (date(2026, 7, 25), date(2026, 8, 25), False),
        (date(2026, 7, 1), date(2026, 7, 31), True),  # day 30 after the payment
        (date(2026, 7, 1), date(2026, 8, 1), False),  # day 31
        (date(2026, 7, 30), date(2026, 8, 31), True),  # last two days of a month: to the end of the next
        (date(2026, 7, 31), date(2026, 8, 31), True),
        (date(2026, 7, 31), date(2026, 9, 1), False),
        (date(2026, 7, 29), date(2026, 8, 29), False),  # third-to-last day: ordinary 30 days
        (date(2026, 2, 27), date(2026, 3, 31), True),  # February: 27th and 28th are the last two
        (date(2026, 1, 30), date(2026, 2, 28), True),
    ],
)
def test_claim_window(paid, today, ok):
    assert in_time(paid, today) is ok


def test_claim_deadline_of_the_faq_example():
    assert claim_deadline(date(2026, 7, 25)) == date(2026, 8, 24)


def test_names_match_whatever_the_spelling():
    assert names_match("Асанов Асан Асанұлы", "асанов асан асанулы")
    assert names_match("Асан Асанов", "Асанов Асан")
    assert not names_match("Асанов Асан", "Петрова Анна")


def test_names_match_as_a_person_would():
    assert names_match("Асанов Асан Асанұлы", "Асанов Асан")  # no patronymic
    assert names_match("Нұрланов Нұрлан", "Nurlanov Nurlan")  # Latin letters
    assert names_match("Нұрланов Нұрлан", "Нурланов Нурлна")  # one slip
    assert not names_match("Асанов Асан", "Асанова Асель")
    assert not names_match("Асанов", "Асанов Асан")


def test_init_adds_the_owners_names_column_to_an_older_refund_table(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    from bot.office.db import get_engine, init_db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with create_engine(url).begin() as connection:  # refunds as the release before this column made them
        connection.execute(
            text(
                "CREATE TABLE refund_requests (id INTEGER PRIMARY KEY, conversation_id VARCHAR(128) NOT NULL, "
                "right_login VARCHAR(20) NOT NULL, wrong_login VARCHAR(20) NOT NULL, amount INTEGER NOT NULL, "
                "payment_date DATE NOT NULL, payer_name VARCHAR(200) NOT NULL, contact_phone VARCHAR(16) NOT NULL, "
                "email VARCHAR(200), receipt_required BOOLEAN NOT NULL, receipt_reason VARCHAR(64), "
                "receipt_path VARCHAR(255), status VARCHAR(16) NOT NULL, channel VARCHAR(32) NOT NULL, "
                "created_at DATETIME NOT NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO refund_requests VALUES (1, 'c', '0851234567', '0851234572', 5000, "
                "'2026-07-25', 'Асан', '+77011234567', NULL, 0, NULL, NULL, 'open', 'rest', "
                "'2026-07-25 10:00:00')"
            )
        )
    try:
        init_db(url)
        init_db(url)  # idempotent
        columns = {c["name"] for c in inspect(get_engine(url)).get_columns("refund_requests")}
        assert "owners_names" in columns
        with get_engine(url).connect() as connection:  # the old row is kept, its reason unknown
            assert connection.execute(text("SELECT id, owners_names FROM refund_requests")).all() == [(1, None)]
    finally:
        get_engine(url).dispose()
        get_engine.cache_clear()
