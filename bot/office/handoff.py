"""Hand-offs to live operators: recorded here, delivered to the contact centre
by bot/office/handoff_delivery.py, worked by operators through the operator
API (channels/operators.py, bot/server/operator_desk.py).

A hand-off is ``open`` from the moment Dana hands the conversation over
(Chatwoot's word for «with people»), taken when an operator claims it, and
``resolved`` when the operator closes it. Every operator's step is written to
``staff_actions``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import select, update

from bot.office.db import new_session
from bot.office.models import Handoff, StaffAction, utcnow

OPEN, RESOLVED = "open", "resolved"


class HandoffRefused(Exception):
    """A step the hand-off's state does not allow; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # not_found | resolved | taken


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


def view(row: Handoff, now: Optional[datetime] = None) -> Dict[str, Any]:
    """What an operator sees of a hand-off (the transcript is added by the desk)."""
    context = json.loads(row.context or "{}")
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "status": row.status,
        "channel": row.channel,
        "language": row.language,
        "topic": row.intent,
        "reason": row.reason,
        "login": (context.get("collected") or {}).get("login") or context.get("login"),
        "summary": row.summary,
        "created_at": row.created_at.isoformat(),
        "waiting_seconds": round(((row.claimed_at or now or utcnow()) - row.created_at).total_seconds()),
        "operator": row.operator,
        "claimed_at": row.claimed_at.isoformat() if row.claimed_at else None,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
    }


def waiting() -> List[Dict[str, Any]]:
    """Open hand-offs, oldest first: the operators' queue."""
    now = utcnow()
    with new_session() as session:
        rows = session.execute(select(Handoff).where(Handoff.status == OPEN).order_by(Handoff.id)).scalars()
        return [view(row, now) for row in rows]


def get(handoff_id: int) -> Optional[Dict[str, Any]]:
    with new_session() as session:
        row = session.get(Handoff, handoff_id)
        return view(row) if row else None


def active(conversation_id: str) -> Optional[Dict[str, Any]]:
    """The conversation's open hand-off, if any (the newest)."""
    with new_session() as session:
        row = (
            session.execute(
                select(Handoff)
                .where(Handoff.conversation_id == conversation_id, Handoff.status == OPEN)
                .order_by(Handoff.id.desc())
                .limit(1)
            )
            .scalars()
            .first()
        )
        return view(row) if row else None


def claim(handoff_id: int, operator: str) -> Dict[str, Any]:
    """The operator takes the hand-off; taking one's own again is no change."""
    with new_session() as session, session.begin():
        row = _open_row(session, handoff_id)
        if row.operator and row.operator != operator:
            raise HandoffRefused("taken")
        if not row.operator:
            row.operator, row.claimed_at = operator, utcnow()
        _audit(session, operator, "claim", handoff_id)
        return view(row)


def check_operator(handoff_id: int, operator: str, action: str) -> Dict[str, Any]:
    """The hand-off, if ``operator`` may act on it now (claimed by them); audited."""
    with new_session() as session, session.begin():
        row = _open_row(session, handoff_id)
        if row.operator != operator:
            raise HandoffRefused("taken" if row.operator else "not_claimed")
        _audit(session, operator, action, handoff_id)
        return view(row)


def close(handoff_id: int, staff: str) -> Dict[str, Any]:
    with new_session() as session, session.begin():
        row = _open_row(session, handoff_id)
        if row.operator and row.operator != staff:
            raise HandoffRefused("taken")
        row.status, row.closed_at = RESOLVED, utcnow()
        row.operator = row.operator or staff
        _audit(session, staff, "close", handoff_id)
        return view(row)


def close_conversation(conversation_id: str, staff: str) -> List[int]:
    """Resolve every open hand-off of a conversation (a caller who hung up)."""
    with new_session() as session, session.begin():
        rows = (
            session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status == OPEN))
            .scalars()
            .all()
        )
        for row in rows:
            row.status, row.closed_at = RESOLVED, utcnow()
            _audit(session, staff, "close", row.id)
        return [row.id for row in rows]


def left_waiting(wait_seconds: float) -> List[Dict[str, Any]]:
    """Open hand-offs nobody took within ``wait_seconds`` and not yet told so."""
    since = utcnow() - timedelta(seconds=wait_seconds)
    with new_session() as session:
        rows = session.execute(
            select(Handoff).where(
                Handoff.status == OPEN,
                Handoff.operator.is_(None),
                Handoff.no_operator_told_at.is_(None),
                Handoff.created_at <= since,
            )
        ).scalars()
        return [view(row) for row in rows]


def mark_no_operator_told(handoff_id: int) -> bool:
    """True for the one caller (of any server) that marks it first."""
    with new_session() as session, session.begin():
        done = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.no_operator_told_at.is_(None), Handoff.operator.is_(None))
            .values(no_operator_told_at=utcnow())
        )
        return bool(done.rowcount)


def audit(staff: str, action: str, target: str) -> None:
    """A staff step outside a hand-off's own (e.g. viewing a record in the CLI)."""
    with new_session() as session, session.begin():
        session.add(StaffAction(staff=staff, action=action, target=target))


def _audit(session: Any, staff: str, action: str, handoff_id: int) -> None:
    session.add(StaffAction(staff=staff, action=action, target=f"handoff:{handoff_id}"))


def _open_row(session: Any, handoff_id: int) -> Handoff:
    row = session.get(Handoff, handoff_id, with_for_update=True)
    if row is None:
        raise HandoffRefused("not_found")
    if row.status != OPEN:
        raise HandoffRefused("resolved")
    return row
