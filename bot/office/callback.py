"""A callback request filed: one open request per conversation and phone.

``file`` is what the action calls (its own transaction); ``file_callback`` the
step inside a caller's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.office.db import new_session
from bot.office.models import CallbackRequest


def file_callback(
    session: Session, *, conversation_id: str, phone: str, topic: str, language: str, channel: str, now: datetime
) -> CallbackRequest:
    existing = (
        session.execute(
            select(CallbackRequest).where(
                CallbackRequest.conversation_id == conversation_id,
                CallbackRequest.phone == phone,
                CallbackRequest.status == "open",
            )
        )
        .scalars()
        .first()
    )
    if existing:
        return existing
    row = CallbackRequest(
        conversation_id=conversation_id, phone=phone, topic=topic, language=language, channel=channel, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def file(
    *, conversation_id: str, phone: str, topic: str, language: str, channel: str, now: datetime
) -> CallbackRequest:
    """file_callback committed in a transaction of its own. The row stays readable
    after the session closes (expire_on_commit=False; every column was set or read)."""
    with new_session() as session, session.begin():
        return file_callback(
            session,
            conversation_id=conversation_id,
            phone=phone,
            topic=topic,
            language=language,
            channel=channel,
            now=now,
        )
