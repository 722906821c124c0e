from datetime import date, datetime, timezone

import pytest

from bot.config import ASTANA
from bot.office.schedule import in_billing_period, in_callback_window, technicians_working
from bot.office.schedule import now_astana as real_now_astana  # before tests/conftest.py's office_hours replaces it


@pytest.mark.parametrize("day, busy", [(26, False), (27, True), (31, True), (1, True), (4, True), (5, False)])
def test_billing_period_27th_to_4th(day, busy):
    assert in_billing_period(date(2026, 12 if day < 27 else 10, day)) is busy


@pytest.mark.parametrize("h, m, working", [(8, 59, False), (9, 0, True), (17, 59, True), (18, 1, False)])
def test_technicians_work_9_to_18_astana(h, m, working):
    assert technicians_working(datetime(2026, 11, 25, h, m, tzinfo=ASTANA)) is working


@pytest.mark.parametrize("h, m, ok", [(8, 59, False), (9, 0, True), (21, 59, True), (22, 1, False)])
def test_callbacks_9_to_22_astana(h, m, ok):
    assert in_callback_window(datetime(2026, 11, 25, h, m, tzinfo=ASTANA)) is ok


def test_window_is_astana_time_not_utc():
    # 16:30 UTC is 21:30 in Astana (UTC+5): still inside the window.
    assert in_callback_window(datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc))
    assert not in_callback_window(datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc))


def test_a_fixed_time_of_day_keeps_todays_date(monkeypatch):
    monkeypatch.setenv("DANA_ASTANA_TIME", "12:00")
    fixed = real_now_astana()
    assert (fixed.hour, fixed.minute, fixed.second) == (12, 0, 0) and fixed.date() == datetime.now(ASTANA).date()
    assert in_callback_window(fixed)
    monkeypatch.delenv("DANA_ASTANA_TIME")
    assert abs((real_now_astana() - datetime.now(ASTANA)).total_seconds()) < 5
