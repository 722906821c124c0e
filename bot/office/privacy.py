"""Retention and privacy requests: what Dana keeps about people, and for how long.

* ``purge(cutoff)``: conversations whose last message is older than the
  cutoff are deleted whole (Rasa's ``events`` rows); so are consents, closed
  callbacks and receipt photos (files too) older than it. Closed refunds,
  investigations and tickets are financial/operational records: they keep
  their ids, amounts, dates and statuses, and lose the name, phone, e-mail and
  receipt. Hand-offs keep their reason and lose the conversation summary.
  Ratings (csat_answers) stay for the statistics without their conversation id.
  Anything still open is left alone — someone is working on it.
* ``export_subscriber(login)``: everything held about one subscriber, for a
  data-access request: the subscriber row, their requests, and the
  conversations linked to them (by a request's conversation id, or because
  the login appears in the conversation). A refund where they are only the
  *wrong* login (someone else paid to them by mistake) is listed without the
  payer's name, phone, e-mail or conversation: that is the payer's data.
* ``erase_subscriber(login)``: the same conversations, receipts, callbacks
  and consents deleted, hand-offs and ratings anonymised; their requests anonymised as in
  ``purge`` (open ones too: the person asked) — but not refunds where they
  are only the wrong login, whose personal fields are the payer's; the
  subscriber's name, phone and address erased. The row itself stays: the
  login is the billing system's contract number, not Dana's to delete, and
  tickets reference it (a foreign key); without a name it says nothing about
  the person.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import delete, inspect, or_, select, text, update
from sqlalchemy.orm import Session

from bot.office.models import (
    CallbackRequest,
    ConnectionReport,
    Consent,
    CsatAnswer,
    Handoff,
    Notification,
    OutageNotice,
    PaymentInvestigation,
    Receipt,
    RefundRequest,
    Subscriber,
    TechnicianTicket,
)

ERASED = "[erased]"
WITHHELD = "[another person's data]"
# Personal fields of the records that are kept, and what replaces them.
PERSONAL_FIELDS: dict[type, dict[str, Any]] = {
    RefundRequest: {"payer_name": ERASED, "contact_phone": ERASED, "email": None, "receipt_path": None},
    PaymentInvestigation: {"contact_phone": ERASED, "receipt_path": None},
    TechnicianTicket: {"contact_phone": None, "conversation_id": None},
    Handoff: {"summary": "", "context": None},
}
# Not finished yet (bot/office/cli.py LISTINGS): a technician still has to come,
# a refund still has to be paid, an operator is still talking to the customer —
# they need the name and phone, so retention leaves these alone.
OPEN = ("open", "scheduled", "approved", "taken")


def _has_events(session: Session) -> bool:
    return inspect(session.connection()).has_table("events")


def _delete_conversations(session: Session, senders: Iterable[str]) -> int:
    senders = list(senders)
    if not senders or not _has_events(session):
        return 0
    deleted = 0
    for start in range(0, len(senders), 500):
        chunk = senders[start : start + 500]
        params = {f"s{i}": s for i, s in enumerate(chunk)}
        names = ", ".join(f":s{i}" for i in range(len(chunk)))
        deleted += session.execute(text(f"DELETE FROM events WHERE sender_id IN ({names})"), params).rowcount
    return deleted


def mask_login(login: str) -> str:
    """What the CLI prints instead of a login: enough to tell two apart."""
    return login[:3] + "*" * max(len(login) - 5, 1) + login[-2:] if len(login) > 5 else "***"


def _anonymise(session: Session, rows: Iterable[Any]) -> int:
    """Counts only rows that still held something, so a second purge reports 0."""
    count = 0
    for row in rows:
        fields = PERSONAL_FIELDS[type(row)]
        if any(getattr(row, field) != value for field, value in fields.items()):
            for field, value in fields.items():
                setattr(row, field, value)
            count += 1
    return count


def _remove_receipts(session: Session, receipts: Iterable[Receipt]) -> int:
    """Rows go now; the files once the transaction commits (remove_files)."""
    doomed = session.info.setdefault("files_to_remove", [])
    count = 0
    for receipt in receipts:
        doomed.append(Path(receipt.path))
        session.delete(receipt)
        count += 1
    return count


def remove_files(session: Session) -> None:
    """After a commit: delete the receipt files whose rows were deleted. Files
    are named by their sha256, so the same photo sent in two conversations is
    one file: it stays while another receipt row still points at it."""
    doomed = session.info.pop("files_to_remove", [])
    if not doomed:
        return
    still_used = set(session.execute(select(Receipt.path).where(Receipt.path.in_({str(p) for p in doomed}))).scalars())
    session.rollback()  # end the read; nothing was written since the commit
    for path in doomed:
        if str(path) not in still_used:
            path.unlink(missing_ok=True)


def _receipt_of_open_request(session: Session, receipt: Receipt) -> bool:
    model = {"refund": RefundRequest, "investigation": PaymentInvestigation}.get(receipt.request_kind or "")
    request = session.get(model, receipt.request_id) if model and receipt.request_id else None
    return request is not None and request.status in OPEN


def purge(session: Session, cutoff: datetime) -> Counter:
    """Delete or anonymise what is older than ``cutoff`` (see the module doc)."""
    done: Counter = Counter({"conversations": 0, "conversation events": 0})
    if _has_events(session):
        stale = session.execute(
            text("SELECT sender_id FROM events GROUP BY sender_id " "HAVING MAX(timestamp) < :cutoff"),
            {"cutoff": cutoff.timestamp()},
        )
        senders = [row[0] for row in stale]
        done["conversations"] = len(senders)
        done["conversation events"] = _delete_conversations(session, senders)
    old_receipts = session.execute(select(Receipt).where(Receipt.created_at < cutoff)).scalars()
    done["receipts"] = _remove_receipts(session, [r for r in old_receipts if not _receipt_of_open_request(session, r)])
    done["consents"] = session.execute(delete(Consent).where(Consent.created_at < cutoff)).rowcount
    done["callbacks"] = session.execute(
        delete(CallbackRequest).where(CallbackRequest.created_at < cutoff, CallbackRequest.status != "open")
    ).rowcount
    for model, label in (
        (RefundRequest, "refunds"),
        (PaymentInvestigation, "investigations"),
        (TechnicianTicket, "tickets"),
        (Handoff, "hand-offs"),
    ):
        rows = session.execute(select(model).where(model.created_at < cutoff, model.status.notin_(OPEN))).scalars()
        done[f"{label} anonymised"] = _anonymise(session, rows)
    done["ratings anonymised"] = _unlink_ratings(session, CsatAnswer.created_at < cutoff)
    # Who was told what, and when: only the conversation id links them to a person.
    done["notifications"] = session.execute(delete(Notification).where(Notification.created_at < cutoff)).rowcount
    done["outage notices"] = session.execute(delete(OutageNotice).where(OutageNotice.told_at < cutoff)).rowcount
    # «No internet» reports (bot/office/outages.py): a login and a conversation id.
    done["connection reports"] = session.execute(
        delete(ConnectionReport).where(ConnectionReport.created_at < cutoff)
    ).rowcount
    return done


def _unlink_ratings(session: Session, which: Any) -> int:
    """Ratings lose the conversation they were given in; the mark, flow, channel,
    language and day stay for python -m bot stats."""
    unlink = update(CsatAnswer).where(which, CsatAnswer.conversation_id.is_not(None)).values(conversation_id=None)
    return session.execute(unlink).rowcount


def _requests_of(session: Session, login: str) -> dict[str, list]:
    return {
        "tickets": session.execute(select(TechnicianTicket).where(TechnicianTicket.login == login)).scalars().all(),
        "refunds": session.execute(
            select(RefundRequest).where(or_(RefundRequest.right_login == login, RefundRequest.wrong_login == login))
        )
        .scalars()
        .all(),
        "investigations": session.execute(select(PaymentInvestigation).where(PaymentInvestigation.login == login))
        .scalars()
        .all(),
    }


def _readable(data: str | None) -> str:
    """Rasa stores events as ASCII JSON: «а0861…» is «\\u04300861…», whose
    escape digits would glue onto the login."""
    try:
        return json.dumps(json.loads(data or "null"), ensure_ascii=False)
    except ValueError:
        return data or ""


def _payer_is_other(refund: RefundRequest, login: str) -> bool:
    """Someone else paid to this login by mistake: the refund's name, phone,
    e-mail and conversation are that payer's, not this subscriber's."""
    return refund.right_login != login


def linked_conversations(session: Session, login: str) -> set[str]:
    """Conversations about this subscriber: named by one of their requests, or
    mentioning the login — except conversations that belong to another
    subscriber's request (a payer naming this login as the wrong one)."""
    requests = _requests_of(session, login)
    own = {r.conversation_id for r in requests["investigations"]}
    own |= {r.conversation_id for r in requests["refunds"] if not _payer_is_other(r, login)}
    mentioned: set[str] = set()
    if _has_events(session):
        # LIKE narrows it down in the database; the regex drops a login that is
        # only part of a longer number (a phone, a card, another login).
        whole = re.compile(rf"(?<!\d){re.escape(login)}(?!\d)")
        escaped = login.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = session.execute(
            text("SELECT sender_id, data FROM events WHERE data LIKE :pattern ESCAPE '\\'"), {"pattern": f"%{escaped}%"}
        )
        mentioned = {sender for sender, data in found if whole.search(_readable(data))}
    others = set(
        session.execute(
            select(RefundRequest.conversation_id).where(
                RefundRequest.right_login != login, RefundRequest.conversation_id.in_(mentioned)
            )
        ).scalars()
    )
    others |= set(
        session.execute(
            select(PaymentInvestigation.conversation_id).where(
                PaymentInvestigation.login != login, PaymentInvestigation.conversation_id.in_(mentioned)
            )
        ).scalars()
    )
    return own | (mentioned - others)


def _by_conversation(session: Session, model: Any, senders: set[str]) -> list:
    if not senders:
        return []
    return session.execute(select(model).where(model.conversation_id.in_(senders))).scalars().all()


def _row(row: Any) -> dict:
    out = {}
    for column in row.__table__.columns:
        value = getattr(row, column.name)
        out[column.name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _refund_for(refund: RefundRequest, login: str) -> dict:
    out = _row(refund)
    if _payer_is_other(refund, login):
        for field in (*PERSONAL_FIELDS[RefundRequest], "conversation_id", "right_login"):
            out[field] = WITHHELD if out[field] is not None else None
    return out


def _event(data: str) -> dict:
    """Rasa's event as stored, plus its unix timestamp as an ISO time."""
    event = json.loads(data)
    if isinstance(event.get("timestamp"), (int, float)):
        event["time"] = datetime.fromtimestamp(event["timestamp"], timezone.utc).isoformat()
    return event


def export_subscriber(session: Session, login: str) -> dict | None:
    subscriber = session.get(Subscriber, login)
    if subscriber is None:
        return None
    senders = linked_conversations(session, login)
    conversations = {}
    if senders and _has_events(session):
        for sender in sorted(senders):
            rows = session.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
            conversations[sender] = [_event(row[0]) for row in rows]
    return {
        "subscriber": _row(subscriber),
        **{
            kind: [_refund_for(r, login) if kind == "refunds" else _row(r) for r in rows]
            for kind, rows in _requests_of(session, login).items()
        },
        **{
            kind: [_row(r) for r in _by_conversation(session, model, senders)]
            for kind, model in (
                ("callbacks", CallbackRequest),
                ("consents", Consent),
                ("handoffs", Handoff),
                ("receipts", Receipt),
                ("ratings", CsatAnswer),
            )
        },
        "connection_reports": [
            _row(r) for r in session.execute(select(ConnectionReport).where(ConnectionReport.login == login)).scalars()
        ],
        "conversations": conversations,
    }


def erase_subscriber(session: Session, login: str) -> Counter | None:
    subscriber = session.get(Subscriber, login)
    if subscriber is None:
        return None
    done: Counter = Counter()
    senders = linked_conversations(session, login)
    done["receipts"] = _remove_receipts(session, _by_conversation(session, Receipt, senders))
    for model, label in ((CallbackRequest, "callbacks"), (Consent, "consents")):
        done[label] = 0
        for row in _by_conversation(session, model, senders):
            session.delete(row)
            done[label] += 1
    done["hand-offs anonymised"] = _anonymise(session, _by_conversation(session, Handoff, senders))
    done["ratings anonymised"] = _unlink_ratings(session, CsatAnswer.conversation_id.in_(senders)) if senders else 0
    for told, label in ((Notification, "notifications"), (OutageNotice, "outage notices")):
        done[label] = len(senders) and session.execute(delete(told).where(told.conversation_id.in_(senders))).rowcount
    done["outage notices"] += session.execute(delete(OutageNotice).where(OutageNotice.login == login)).rowcount
    done["connection reports"] = session.execute(
        delete(ConnectionReport).where(
            or_(ConnectionReport.login == login, ConnectionReport.conversation_id.in_(senders))
        )
    ).rowcount
    for kind, rows in _requests_of(session, login).items():
        done[f"{kind} anonymised"] = _anonymise(
            session, [r for r in rows if kind != "refunds" or not _payer_is_other(r, login)]
        )
    done["conversations"] = len(senders)
    done["conversation events"] = _delete_conversations(session, senders)
    subscriber.full_name, subscriber.contact_phone, subscriber.address = ERASED, None, None
    done["subscriber"] = 1
    return done
