"""Plain examples of the bugs the properties found, so each stays fixed by name."""
from __future__ import annotations

from datetime import date

import pytest

from bot.text.parsing.amount import find_amounts, parse_amount
from bot.text.parsing.dates import parse_payment_date
from bot.text.parsing.phone import normalise_phone


@pytest.mark.parametrize(
    "text, tenge",
    [
        ("тысяча двести", 1_200),  # was 200: a sum may start with «тысяча»
        ("мың бес жүз теңге", 1_500),  # was 500
        ("жүз теңге", 100),  # was None
        ("15,000", 15_000),  # was 15: a three-digit group is thousands, not decimals
        ("1,000,000 тг", 1_000_000),  # was 1
        ("2,5 тыс", 2_500),  # a real decimal comma still works
    ],
)
def test_amounts_the_properties_found(text, tenge):
    assert parse_amount(text) == tenge


def test_kzt_in_latin_letters_is_a_currency():
    assert find_amounts("15 000 KZT") == [(0, 10, 15_000)]  # «kzt» folds to «кзт»; was []


@pytest.mark.parametrize("text", ["он к оператору пошёл", "мың рахмет"])
def test_words_that_only_look_like_numbers_are_not_money(text):
    assert find_amounts(text) == []  # «он к» was 10 000 tenge


def test_hundreds_of_digits_do_not_crash():
    assert parse_amount("1" * 400) is None  # was OverflowError


def test_non_ascii_digits_are_not_a_phone():
    assert normalise_phone("7" + "\u0660" * 9) is None  # was «+77٠٠٠٠٠٠٠٠٠»


def test_29_february_named_before_it_comes_in_a_leap_year():
    # Asked on 10 Feb 2028: 29.02.2028 is ahead and 2027 has none; was ValueError.
    assert parse_payment_date("29.02", date(2028, 2, 10)) is None
    assert parse_payment_date("29 ақпан", date(2028, 3, 5)) == date(2028, 2, 29)
