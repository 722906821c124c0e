"""Hand-offs to live operators: recorded here, read by the admin CLI and
delivered to the contact centre by bot/office/handoff_delivery.py."""

from __future__ import annotations

import json
from typing import Any, Dict

from bot.office.db import new_session
from bot.office.models import Handoff


def record_handoff(
    *,
    conversation_id: str,
    language: str,
    intent: str | None,
    reason: str,
    summary: str,
    channel: str | None = None,
    context: Dict[str, Any] | None = None,
) -> int:
    with new_session() as session, session.begin():
        handoff = Handoff(
            conversation_id=conversation_id,
            language=language,
            intent=intent,
            reason=reason,
            summary=summary,
            channel=channel,
            context=json.dumps(context, ensure_ascii=False) if context else None,
        )
        session.add(handoff)
        session.flush()
        return handoff.id
