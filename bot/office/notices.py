"""Telling customers when something changes: a request's status set by staff,
an outage they were told about cleared.

Staff change things here (the admin CLI, the operator API); each change a
customer should hear about becomes one ``Notification`` per conversation (a
unique key: at most once per change), and a Rasa server sends it on the
conversation's channel in the customer's language (bot/server/operator_desk.py)
— only between ``POLICY.notify_start`` and ``notify_end`` Astana time; one made
at night waits for the morning. A phone call cannot be reached later: nothing
is made for it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.office import schedule
from bot.office.db import new_session
from bot.office.models import (
    CallbackRequest,
    Notification,
    Outage,
    OutageNotice,
    PaymentInvestigation,
    RefundRequest,
    StaffAction,
    TechnicianTicket,
    utcnow,
)

UNREACHABLE_LATER = ("voice",)  # a call's conversation ends with the call
# (table, status) → the response that tells the customer, and the slot its
# request number fills.
STATUS_RESPONSES = {
    (TechnicianTicket, "resolved"): ("utter_notify_ticket_resolved", "ticket_id"),
    (RefundRequest, "approved"): ("utter_notify_refund_approved", "refund_id"),
    (RefundRequest, "rejected"): ("utter_notify_refund_rejected", "refund_id"),
    (RefundRequest, "done"): ("utter_notify_refund_done", "refund_id"),
    (PaymentInvestigation, "answered"): ("utter_notify_investigation_answered", "investigation_id"),
}
OUTAGE_CLEARED = "utter_notify_outage_restored"
# Staff confirmed the outage the customer's report raised (bot/office/outages.py):
# the area (its city) and the expected end, if staff gave one.
OUTAGE_FOUND = "utter_notify_outage_found"
OUTAGE_FOUND_NO_ETA = "utter_notify_outage_found_no_eta"


# The statuses staff may set, per kind of request (the admin CLI and the operator API).
REQUEST_STATUSES = {
    "tickets": (TechnicianTicket, ("open", "scheduled", "resolved", "cancelled")),
    "refunds": (RefundRequest, ("open", "approved", "rejected", "done")),
    "investigations": (PaymentInvestigation, ("open", "answered", "closed")),
    "callbacks": (CallbackRequest, ("open", "called", "failed")),
}


class StatusRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # unknown_kind | unknown_status | not_found


def set_request_status(kind: str, request_id: int, status: str, staff: str) -> bool:
    """Staff set a request's status (audited); True if the customer will be told."""
    if kind not in REQUEST_STATUSES:
        raise StatusRefused("unknown_kind")
    model, allowed = REQUEST_STATUSES[kind]
    if status not in allowed:
        raise StatusRefused("unknown_status")
    with new_session() as session, session.begin():
        row = session.get(model, request_id)
        if row is None:
            raise StatusRefused("not_found")
        told = status_set(session, row, status) is not None
        session.add(StaffAction(staff=staff, action=f"status:{status}", target=f"{kind}:{request_id}"))
        return told


def told_about_outage(
    outage_id: int, conversation_id: str, channel: Optional[str], login: Optional[str] = None
) -> None:
    """Dana told this conversation about the outage (once is enough)."""
    if channel in UNREACHABLE_LATER:
        return
    try:
        with new_session() as session, session.begin():
            notice = OutageNotice(outage_id=outage_id, conversation_id=conversation_id, channel=channel, login=login)
            session.add(notice)
    except IntegrityError:
        pass  # told before


def outage_found(
    session: Session, outage: Outage, conversation_id: str, channel: Optional[str], login: Optional[str] = None
) -> Optional[int]:
    """A customer whose report raised the suspicion hears the outage staff
    confirmed, and is noted as told so they hear when it is over; in the
    caller's transaction. The notification's id, None if nothing is sent."""
    if channel in UNREACHABLE_LATER:
        return None
    noted = session.execute(
        select(OutageNotice.id).where(
            OutageNotice.outage_id == outage.id, OutageNotice.conversation_id == conversation_id
        )
    ).first()
    if noted:
        return None  # told in the conversation already
    session.add(OutageNotice(outage_id=outage.id, conversation_id=conversation_id, channel=channel, login=login))
    slots = {"outage_area": outage.area.split(",")[0]}  # the city only, as the diagnostics say it
    if outage.expected_end:
        slots["outage_eta"] = outage.expected_end.isoformat()
    response = OUTAGE_FOUND if outage.expected_end else OUTAGE_FOUND_NO_ETA
    return _notify(session, conversation_id, f"outage:{outage.id}:found", response, slots)


def status_set(session: Session, row: Any, status: str) -> Optional[int]:
    """Set a request's status in the caller's transaction; the customer's
    notification, if the change is one they hear about (its id, else None)."""
    if row.status == status:
        return None  # no change, nothing to tell
    row.status = status
    found = STATUS_RESPONSES.get((type(row), status))
    conversation_id = getattr(row, "conversation_id", None)
    if found is None or not conversation_id or getattr(row, "channel", None) in UNREACHABLE_LATER:
        return None
    response, slot = found
    return _notify(session, conversation_id, f"{row.__tablename__}:{row.id}:{status}", response, {slot: row.id})


def outage_cleared(session: Session, outage: Outage, now: datetime) -> int:
    """Clear the outage; everyone told about it is told it is over. How many."""
    outage.cleared_at = now
    told = session.execute(select(OutageNotice.conversation_id).where(OutageNotice.outage_id == outage.id)).scalars()
    return sum(
        _notify(session, conversation_id, f"outage:{outage.id}:cleared", OUTAGE_CLEARED, {}) is not None
        for conversation_id in told.all()
    )


def _notify(session: Session, conversation_id: str, change: str, response: str, slots: Dict[str, Any]) -> Optional[int]:
    exists = session.execute(
        select(Notification.id).where(Notification.conversation_id == conversation_id, Notification.change == change)
    ).first()
    if exists:
        return None  # the same change again: said once
    notification = Notification(
        conversation_id=conversation_id, change=change, response=response, slots=json.dumps(slots)
    )
    session.add(notification)
    session.flush()
    return notification.id


def due(now: datetime) -> List[Dict[str, Any]]:
    """Notifications to send now: none at night."""
    if not schedule.may_notify(now):
        return []
    with new_session() as session:
        rows = session.execute(select(Notification).where(Notification.sent_at.is_(None)).order_by(Notification.id))
        return [
            {"id": n.id, "conversation_id": n.conversation_id, "response": n.response, "slots": json.loads(n.slots)}
            for n in rows.scalars()
        ]


def take(notification_id: int) -> bool:
    """True for the one server that sends it."""
    with new_session() as session, session.begin():
        done = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.sent_at.is_(None))
            .values(sent_at=utcnow(), outcome="sending")
        )
        return bool(done.rowcount)


def record(notification_id: int, outcome: str) -> None:
    with new_session() as session, session.begin():
        session.execute(update(Notification).where(Notification.id == notification_id).values(outcome=outcome))
