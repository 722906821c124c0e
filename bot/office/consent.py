"""A flow's consent answer recorded: time, purpose, channel (actions/consent.py).
Retention and data-subject requests are in bot/office/privacy.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.office.db import new_session
from bot.office.models import Consent


def record_consent(
    session: Session, *, conversation_id: str, purpose: str, granted: bool, channel: str, now: datetime
) -> Consent:
    row = Consent(conversation_id=conversation_id, purpose=purpose, granted=granted, channel=channel, created_at=now)
    session.add(row)
    session.flush()
    return row


def record(*, conversation_id: str, purpose: str, granted: bool, channel: str, now: datetime) -> Consent:
    """record_consent committed in a transaction of its own (what the actions call)."""
    with new_session() as session, session.begin():
        return record_consent(
            session, conversation_id=conversation_id, purpose=purpose, granted=granted, channel=channel, now=now
        )
