"""Hand-offs to live operators: recorded here, read by the admin CLI and channels."""
from __future__ import annotations

from bot.db import new_session
from bot.models import Handoff


def record_handoff(*, conversation_id: str, language: str, intent: str | None,
                   reason: str, summary: str) -> int:
    with new_session() as session, session.begin():
        handoff = Handoff(conversation_id=conversation_id, language=language,
                          intent=intent, reason=reason, summary=summary)
        session.add(handoff)
        session.flush()
        return handoff.id
