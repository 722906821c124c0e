"""Time rules from the FAQ, in Astana time. Pure functions of a datetime."""

from __future__ import annotations

import os
from datetime import date, datetime, time

from bot.config import ASTANA, POLICY


def now_astana() -> datetime:
    """Astana time now. ``DANA_ASTANA_TIME=HH:MM`` fixes the time of day the
    schedule sees (today's date kept): the servers the tests start answer as at
    noon, so that a test run at night checks the same day-time answers."""
    now = datetime.now(ASTANA)
    fixed = os.environ.get("DANA_ASTANA_TIME", "").strip()
    if fixed:
        hour, minute = (int(part) for part in fixed.split(":"))
        now = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return now


def in_billing_period(day: date) -> bool:
    """27th … 4th: the monthly fee is charged and support is busier."""
    return day.day >= POLICY.billing_start_day or day.day <= POLICY.billing_end_day


def _within(moment: datetime, start: time, end: time) -> bool:
    local = moment.astimezone(ASTANA).time()
    return start <= local < end


def in_callback_window(moment: datetime) -> bool:
    """A callback can be ordered 09:00–22:00 Astana time."""
    return _within(moment, POLICY.callback_window_start, POLICY.callback_window_end)


def technicians_working(moment: datetime) -> bool:
    """Technicians work 09:00–18:00 every day."""
    return _within(moment, POLICY.work_start, POLICY.work_end)


def may_notify(moment: datetime) -> bool:
    """Dana tells customers of changes 09:00–22:00 Astana time; later ones wait."""
    return _within(moment, POLICY.notify_start, POLICY.notify_end)


def operators_on_duty(moment: datetime) -> bool:
    """Live chat operators answer 09:00–22:00 Astana time."""
    return _within(moment, POLICY.operator_desk_start, POLICY.operator_desk_end)
