"""Dates and times as a customer reads them — the one formatter of Dana's answers.

Actions and slots carry machine values (ISO 8601: «2026-10-23»,
«2026-11-18T13:00:00+00:00»); the NLG (bot/server/nlg.py) shows every such value
with ``present``:

- a date: «23.10.2026» (Russian and Kazakh alike);
- a moment (date and time): Astana time, «18.11 18:00» — deadlines and ETAs
  are days away, so the year is left out; a moment without a time zone is
  taken as Astana time already;
- a time of day: «09:00».

Pure functions, no words: what Dana says around a value lives in domain/responses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from bot.config import ASTANA

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")


def customer_date(day: date) -> str:
    """«23.10.2026»."""
    return day.strftime("%d.%m.%Y")


def customer_time(moment: time | datetime) -> str:
    """«09:00»."""
    return moment.strftime("%H:%M")


def customer_moment(moment: datetime) -> str:
    """«18.11 18:00», Astana time."""
    local = moment.astimezone(ASTANA) if moment.tzinfo else moment
    return local.strftime("%d.%m %H:%M")


def machine_value(value: Any) -> date | datetime | None:
    """The date or moment an ISO string (or a date object) stands for, else None."""
    if isinstance(value, (date, datetime)):
        return value
    if not isinstance(value, str) or not value[:1].isdigit():
        return None
    text = value.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if _ISO_MOMENT.fullmatch(text):
            text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
            return datetime.fromisoformat(text)
    except ValueError:  # «2026-13-45»: not a date after all
        return None
    return None


def present(value: Any) -> Any:
    """An ISO date or date-time string as the customer reads it; anything else unchanged."""
    found = machine_value(value)
    if isinstance(found, datetime):
        return customer_moment(found)
    if isinstance(found, date):
        return customer_date(found)
    return value
