"""Dates and times as the customer reads them (bot/text/formats.py)."""
from datetime import date, datetime, time, timezone

import pytest

from bot.config import ASTANA
from bot.text.formats import customer_date, customer_moment, customer_time, present


def test_a_date_is_day_month_year():
    assert customer_date(date(2026, 10, 23)) == "23.10.2026"


def test_a_moment_is_shown_in_astana_time():
    assert customer_moment(datetime(2026, 11, 18, 13, 0, tzinfo=timezone.utc)) == "18.11 18:00"
    assert customer_moment(datetime(2026, 12, 31, 20, 30, tzinfo=timezone.utc)) == "01.01 01:30"


def test_a_time_of_day():
    assert customer_time(time(9, 0)) == "09:00"


@pytest.mark.parametrize("value, shown", [
    ("2026-10-23", "23.10.2026"),
    ("2026-11-18T13:00:00+00:00", "18.11 18:00"),
    ("2026-11-18T13:00:00Z", "18.11 18:00"),
    ("2026-11-18T18:00:00+0500", "18.11 18:00"),
    ("2026-11-18 18:00", "18.11 18:00"),  # no zone: Astana time already
    ("2026-11-18T13:00:00.123456+00:00", "18.11 18:00"),
    (date(2026, 10, 23), "23.10.2026"),
    (datetime(2026, 11, 18, 18, 0, tzinfo=ASTANA), "18.11 18:00"),
])
def test_iso_values_are_shown_as_read(value, shown):
    assert present(value) == shown


@pytest.mark.parametrize("value", ["0851234567", "3131", "27", "18:00", "23.10.2026", "2026-13-45", "open", "", None, 5000.0])
def test_other_values_are_left_alone(value):
    assert present(value) == value
