"""Customer satisfaction answers: one row per answer to Dana's rating question
(actions/csat.py), read back by ``python -m bot stats`` (bot/office/stats.py)."""

from __future__ import annotations

from datetime import datetime
from typing import List

from sqlalchemy import inspect, select

from bot.config import LIMITS
from bot.office.db import get_engine, new_session
from bot.office.models import CsatAnswer

# The flows a rating question follows: a filed request's, or a closed hand-off.
FLOWS = ("technician", "refund", "payment_check", "callback", "handoff")


def on_scale(rating: object) -> int | None:
    """The rating as an int when it is on the scale («5», 5, 5.0), else None."""
    try:
        value = float(str(rating).strip())
    except ValueError:
        return None
    if not value.is_integer() or not LIMITS.csat_lowest <= value <= LIMITS.csat_highest:
        return None
    return int(value)


def record(*, conversation_id: str, rating: int, flow: str | None, channel: str, language: str, now: datetime) -> int:
    """Stores one answer in a transaction of its own; returns its id."""
    if on_scale(rating) != rating:
        raise ValueError(f"rating {rating!r} is not on the scale")
    if flow is not None and flow not in FLOWS:
        raise ValueError(f"unknown flow {flow!r}")
    with new_session() as session, session.begin():
        row = CsatAnswer(
            conversation_id=conversation_id,
            rating=rating,
            flow=flow,
            channel=channel,
            language=language,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def answers(since: datetime, until: datetime, url: str | None = None) -> List[CsatAnswer]:
    """The answers given in [since, until), oldest first (none before ``python -m bot init`` made the table)."""
    if not inspect(get_engine(url)).has_table(CsatAnswer.__tablename__):
        return []
    with new_session(url) as session:
        query = (
            select(CsatAnswer)
            .where(CsatAnswer.created_at >= since, CsatAnswer.created_at < until)
            .order_by(CsatAnswer.id)
        )
        return list(session.execute(query).scalars())
