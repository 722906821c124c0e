"""A callback request filed: one open request per conversation and phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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
