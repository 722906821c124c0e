"""The customers' requests as operators see them in the console: tickets,
refunds, investigations and callbacks (kinds as ``notices.REQUEST_STATUSES``
names them), with their deadlines and whether each was met.

Personal data (phones, names, logins) is shown whole: staff only. Showing a
request is audited by the caller (``audit_view``: a ``StaffAction`` «view»).

Deadlines
---------
Each kind has deadlines, due at a stored time or, where the table stores none,
at one computed from ``POLICY`` here (``due_times``, the one place); each is
met when the request **first** reaches one of its statuses (``MET_BY``):

- tickets «callback»: ``callback_due`` (filed + ``POLICY.callback_hours``);
  met when the ticket leaves «open» (any other status).
- tickets «visit»: ``visit_due`` (filed + ``visit_days``); met when it is
  scheduled, resolved or cancelled.
- tickets «resolve»: ``resolve_due`` (filed + ``resolve_days``); met when it
  is resolved or cancelled.
- refunds «answer»: filed + ``POLICY.refund_answer_days`` (not stored); met
  when it leaves «open» (approved, rejected, done).
- investigations «answer»: ``answer_due`` (filed + ``investigation_days``);
  met when it leaves «open» (answered, closed).
- callbacks «callback»: filed + ``POLICY.callback_hours`` (not stored); met
  when it leaves «open» (called, or failed: either way someone rang).

How it is read:

- *When* a request reached a status is read from the audit trail: every change
  staff make goes through ``notices.set_request_status``, which writes a
  ``StaffAction`` «status:<status>» on «<kind>:<id>». The **first** such row
  with a status that meets the deadline is its ``met_at``: a ticket reopened
  later keeps its callback met. Re-setting the status a request already has
  («status:open» on an open ticket) leaves nothing met.
- The specialist's call and the technician's arrival are not recorded as
  such: the first step staff take (the ticket leaves «open») stands for the
  call, a visit arranged («scheduled») for the visit. A cancellation stops
  every clock of a ticket (counted as met when it came).
- A request whose status meets a deadline with no audit row for it (set
  outside ``set_request_status``: by hand in the database, an older version)
  counts as met, ``met_at`` None: when is unknown.
- ``state``: «met» (on or before the due time), «late» (met after it),
  «overdue» (not met and due before ``now``: ``overdue`` True), «pending»
  (not met, not yet due).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from bot.config import ASTANA, POLICY, settings
from bot.office.db import new_session
from bot.office.handoff import audit
from bot.office.models import Receipt, StaffAction, utcnow
from bot.office.notices import REQUEST_STATUSES
from bot.office.stats import languages  # the back office's one reader of the tracker store

logger = logging.getLogger(__name__)

KINDS = tuple(REQUEST_STATUSES)  # tickets, refunds, investigations, callbacks
STATES = ("met", "late", "overdue", "pending")


def _away_from_open(kind: str) -> Tuple[str, ...]:
    return tuple(s for s in REQUEST_STATUSES[kind][1] if s != "open")


# kind → deadline → the statuses that meet it (the module docstring's rules).
MET_BY: Dict[str, Dict[str, Tuple[str, ...]]] = {
    "tickets": {
        "callback": _away_from_open("tickets"),
        "visit": ("scheduled", "resolved", "cancelled"),
        "resolve": ("resolved", "cancelled"),
    },
    "refunds": {"answer": _away_from_open("refunds")},
    "investigations": {"answer": _away_from_open("investigations")},
    "callbacks": {"callback": _away_from_open("callbacks")},
}
# The kinds whose rows carry receipts, as Receipt.request_kind names them.
RECEIPT_KINDS = {"refunds": "refund", "investigations": "investigation"}
# The columns a search compares with a login (the first is the listing's
# «login»), and the one with the phone number.
LOGIN_FIELDS: Dict[str, Tuple[str, ...]] = {
    "tickets": ("login",),
    "refunds": ("right_login", "wrong_login"),
    "investigations": ("login",),
    "callbacks": (),
}
PHONE_FIELD = {
    "tickets": "contact_phone",
    "refunds": "contact_phone",
    "investigations": "contact_phone",
    "callbacks": "phone",
}
_HIDDEN = ("receipt_path",)  # a file on the server: shown through receipt()


class NotFound(LookupError):
    """No such request."""


def _model(kind: str) -> Any:
    if kind not in REQUEST_STATUSES:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    return REQUEST_STATUSES[kind][0]


def due_times(kind: str, row: Any) -> Dict[str, datetime]:
    """When each deadline of the request is due: stored, or computed from POLICY."""
    if kind == "tickets":
        return {"callback": row.callback_due, "visit": row.visit_due, "resolve": row.resolve_due}
    if kind == "refunds":
        return {"answer": row.created_at + timedelta(days=POLICY.refund_answer_days)}
    if kind == "investigations":
        return {"answer": row.answer_due}
    if kind == "callbacks":
        return {"callback": row.created_at + timedelta(hours=POLICY.callback_hours)}
    raise ValueError(f"unknown kind {kind!r}")


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.astimezone(ASTANA).isoformat(timespec="seconds") if moment is not None else None


def deadlines(kind: str, row: Any, history: Sequence[Tuple[datetime, str]], now: datetime) -> List[Dict[str, Any]]:
    """The request's deadlines at ``now``; ``history``: its audited status
    changes (time, status), oldest first."""
    found = []
    for name, due in due_times(kind, row).items():
        meeting = MET_BY[kind][name]
        met_at = next((at for at, status in history if status in meeting), None)
        if met_at is not None:
            state = "met" if met_at <= due else "late"
        elif row.status in meeting:
            state = "met"  # reached without an audit row: when is unknown
        else:
            state = "overdue" if due < now else "pending"
        found.append(
            {"name": name, "due": _iso(due), "met_at": _iso(met_at), "overdue": state == "overdue", "state": state}
        )
    return found


def _target(kind: str, request_id: int) -> str:
    return f"{kind}:{request_id}"


def _history(session: Session, targets: Iterable[str]) -> Dict[str, List[Tuple[datetime, str, str]]]:
    """target → its audited status changes (time, status, staff), oldest first."""
    wanted = sorted(set(targets))
    found: Dict[str, List[Tuple[datetime, str, str]]] = defaultdict(list)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(StaffAction)
            .where(StaffAction.target.in_(wanted[start : start + 500]), StaffAction.action.like("status:%"))
            .order_by(StaffAction.at, StaffAction.id)
        ).scalars()
        for action in rows:
            found[action.target].append((action.at, action.action.split(":", 1)[1], action.staff))
    return found


def _receipts(session: Session, kind: str, ids: Sequence[int]) -> Dict[int, List[Receipt]]:
    """request id → its receipts, oldest first."""
    found: Dict[int, List[Receipt]] = defaultdict(list)
    if kind not in RECEIPT_KINDS or not ids:
        return found
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Receipt)
            .where(Receipt.request_kind == RECEIPT_KINDS[kind], Receipt.request_id.in_(ids[start : start + 500]))
            .order_by(Receipt.created_at, Receipt.id)
        ).scalars()
        for receipt in rows:
            found[receipt.request_id].append(receipt)
    return found


def _summary(kind: str, row: Any) -> Dict[str, Any]:
    if kind == "tickets":
        return {"problem": row.problem}
    if kind == "refunds":
        return {
            "amount": row.amount,
            "payment_date": row.payment_date.isoformat(),
            "right_login": row.right_login,
            "wrong_login": row.wrong_login,
        }
    if kind == "investigations":
        return {"amount": row.amount, "payment_date": row.payment_date.isoformat(), "partner": row.partner}
    return {"topic": row.topic}


def _describe(session: Session, found: Sequence[Tuple[str, Any]], now: datetime) -> List[Dict[str, Any]]:
    """The listing's dicts of these (kind, row) pairs, in their order."""
    history = _history(session, (_target(kind, row.id) for kind, row in found))
    receipts = {kind: _receipts(session, kind, [row.id for k, row in found if k == kind]) for kind in RECEIPT_KINDS}
    spoken = languages(getattr(row, "conversation_id", None) for kind, row in found if kind in RECEIPT_KINDS)
    out = []
    for kind, row in found:
        changes = [(at, status) for at, status, _ in history.get(_target(kind, row.id), [])]
        attached = receipts.get(kind, {}).get(row.id) or []
        language = getattr(row, "language", None) or spoken.get(getattr(row, "conversation_id", None) or "")
        out.append(
            {
                "kind": kind,
                "id": row.id,
                "status": row.status,
                "login": getattr(row, LOGIN_FIELDS[kind][0]) if LOGIN_FIELDS[kind] else None,
                "phone": getattr(row, PHONE_FIELD[kind]),
                "channel": row.channel,
                "language": language,
                "created_at": _iso(row.created_at),
                **_summary(kind, row),
                "receipt_id": attached[-1].id if attached else None,
                "allowed_statuses": list(REQUEST_STATUSES[kind][1]),
                "deadlines": deadlines(kind, row, changes, now),
            }
        )
    return out


# --- search -----------------------------------------------------------------


def phone_digits(text: str) -> Optional[str]:
    """A Kazakhstan number as 11 digits from 7 («+7 701 123 45 67», «8 701 …»,
    «701 123 45 67» → 77011234567), None when the text is no such number."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "7" + digits[1:]
    if len(digits) == 10 and digits[0] == "7":
        return "7" + digits
    return None


def _matches(kind: str, model: Any, search: str) -> Any:
    """A login (either login of a refund), a phone number in any spelling, or
    the request's number («12», «#12», «№12»)."""
    text = search.strip()
    clauses = []
    logins = {text, re.sub(r"\D", "", text)} - {""}
    clauses += [getattr(model, name).in_(logins) for name in LOGIN_FIELDS[kind]]
    phone = phone_digits(text)
    if phone:  # the forms store +7XXXXXXXXXX; older rows may lack the plus or start with 8
        clauses.append(getattr(model, PHONE_FIELD[kind]).in_({"+" + phone, phone, "8" + phone[1:]}))
    number = text.lstrip("#№ ")
    if number.isdigit() and len(number) <= 9:
        clauses.append(model.id == int(number))
    return or_(*clauses) if clauses else false()


def _may_be_overdue(kind: str) -> Tuple[str, ...]:
    """Statuses in which some deadline of the kind can still be unmet."""
    return tuple(s for s in REQUEST_STATUSES[kind][1] if any(s not in met for met in MET_BY[kind].values()))


# --- the API ------------------------------------------------------------------


def listing(
    kind: Optional[str] = None,
    status: Optional[str] = None,
    search: Optional[str] = None,
    overdue_only: bool = False,
    limit: int = 200,
    now: Optional[datetime] = None,
) -> List[Dict[str, Any]]:
    """Requests, newest first, at most ``limit``: of one kind or all, with this
    status, matching ``search`` (a login, a phone, a number), only those with
    an overdue deadline. ValueError for an unknown kind."""
    now = now or utcnow()
    kinds = [kind] if kind else list(KINDS)
    limit = max(int(limit), 0)
    found: List[Tuple[str, Any]] = []
    with new_session() as session:
        for each in kinds:
            model = _model(each)
            query = select(model)
            if status:
                query = query.where(model.status == status)
            if search and search.strip():
                query = query.where(_matches(each, model, search))
            if overdue_only:
                query = query.where(model.status.in_(_may_be_overdue(each)))
            else:
                query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit)
            found += [(each, row) for row in session.execute(query).scalars()]
        found.sort(key=lambda pair: (pair[1].created_at, pair[1].id), reverse=True)
        described = _describe(session, found if overdue_only else found[:limit], now)
    if overdue_only:
        described = [r for r in described if any(d["overdue"] for d in r["deadlines"])]
    return described[:limit]


def _column_values(row: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.name in _HIDDEN:
            continue
        value = getattr(row, column.name)
        if isinstance(value, datetime):
            value = _iso(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[column.name] = value
    return out


def get(kind: str, request_id: int, now: Optional[datetime] = None) -> Dict[str, Any]:
    """One request, every field (the listing's, its columns but the receipt's
    path), its receipts and its audited status changes. NotFound, or
    ValueError for an unknown kind."""
    model = _model(kind)
    now = now or utcnow()
    with new_session() as session:
        row = session.get(model, request_id)
        if row is None:
            raise NotFound(f"no {kind} #{request_id}")
        described = _describe(session, [(kind, row)], now)[0]
        receipts = _receipts(session, kind, [row.id]).get(row.id, [])
        history = _history(session, [_target(kind, row.id)]).get(_target(kind, row.id), [])
        return {
            **_column_values(row),
            **described,
            "receipts": [
                {"id": r.id, "mime": r.mime, "size": r.size, "channel": r.channel, "created_at": _iso(r.created_at)}
                for r in receipts
            ],
            "history": [{"at": _iso(at), "status": status, "staff": who} for at, status, who in history],
        }


def receipt(receipt_id: int) -> Optional[Tuple[Path, str]]:
    """The receipt's file and MIME type, to show it; None when there is no such
    receipt, its file is gone, or its path leads outside the receipts directory."""
    with new_session() as session:
        row = session.get(Receipt, receipt_id)
        if row is None:
            return None
        stored, mime = row.path, row.mime
    root = settings().receipts_dir.resolve()
    path = Path(stored).resolve()
    if not path.is_relative_to(root):
        logger.warning("receipt %s: its path is outside the receipts directory; not shown", receipt_id)
        return None
    if not path.is_file():
        return None
    return path, mime


def audit_view(staff: str, kind: str, request_id: int) -> None:
    """Staff were shown the request's personal data: a StaffAction «view» on «<kind>:<id>»."""
    _model(kind)
    audit(staff, "view", _target(kind, request_id))


def filed(
    since: datetime, until: datetime, now: Optional[datetime] = None, url: Optional[str] = None
) -> List[Dict[str, Any]]:
    """Requests filed in [since, until), oldest first, for the figures
    (bot/office/analytics.py): kind, id, created_at (a datetime), deadlines."""
    now = now or utcnow()
    found = []
    with new_session(url) as session:
        for kind in KINDS:
            model = _model(kind)
            rows = session.execute(
                select(model)
                .where(model.created_at >= since, model.created_at < until)
                .order_by(model.created_at, model.id)
            ).scalars()
            pairs = [(kind, row) for row in rows]
            history = _history(session, (_target(kind, row.id) for _, row in pairs))
            for _, row in pairs:
                changes = [(at, status) for at, status, _ in history.get(_target(kind, row.id), [])]
                found.append(
                    {
                        "kind": kind,
                        "id": row.id,
                        "created_at": row.created_at,
                        "deadlines": deadlines(kind, row, changes, now),
                    }
                )
    found.sort(key=lambda r: r["created_at"])
    return found
