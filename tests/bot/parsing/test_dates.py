from datetime import date

import pytest

from bot.parsing.dates import find_dates, parse_payment_date

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("кеше", "2026-11-24"),
        ("вчера", "2026-11-24"),
        ("позавчера", "2026-11-23"),
        ("алдыңгүні", "2026-11-23"),
        ("бүгін таңертең", "2026-11-25"),
        ("25 шілде", "2026-07-25"),
        ("25-ші шілде", "2026-07-25"),
        ("25 июля", "2026-07-25"),
        ("3 күн бұрын", "2026-11-22"),
        ("3 дня назад", "2026-11-22"),
        ("на прошлой неделе", "2026-11-18"),
        ("01.11", "2026-11-01"),
        ("30.12.2025", "2025-12-30"),
    ],
)
def test_relative_and_absolute_dates(text, iso):
    assert parse_payment_date(text, TODAY).isoformat() == iso


def test_a_day_later_this_year_means_last_year():
    # 28 December asked on 25 November: payments are never in the future.
    assert parse_payment_date("28 желтоқсан", TODAY) == date(2025, 12, 28)


def test_date_span_inside_a_sentence():
    text = "кеше 5000 теңге төледім"
    [(start, end, iso)] = find_dates(text, TODAY)
    assert (text[start:end], iso) == ("кеше", "2026-11-24")


def test_no_date():
    assert parse_payment_date("интернет жоқ", TODAY) is None
