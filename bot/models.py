"""Back-office tables. Timestamps are timezone-aware (stored in UTC)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, String, Text

from bot.db import Base


class Handoff(Base):
    """A conversation handed to a live operator, with the context they need."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    language = Column(String(2), nullable=False)
    intent = Column(String(64))
    reason = Column(String(32), nullable=False)
    summary = Column(Text, nullable=False, default="")
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(DateTime(timezone=True), nullable=False, default=datetime.utcnow)
