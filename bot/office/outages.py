"""Mass outages: declared and cleared by staff, suspected from customers' reports.

One service for the admin CLI (``python -m bot outage / clear-outage /
suspected``) and the operator console (channels/console.py).

* ``declare`` an outage for an area (an area some subscriber is in: a mistyped
  one would apply to nobody), ``clear`` it: everyone Dana told about it hears
  it is over (bot/office/notices.py, at allowed hours). Both audited in
  ``staff_actions``.
* Suspected outages. A customer who says the internet is down and gives a login
  whose area has no outage declared leaves a ``ConnectionReport``
  (actions/diagnostics.py, off the customer's turn). When
  ``LIMITS.suspected_outage_reports`` different logins of one area reported
  within ``LIMITS.suspected_outage_minutes``, and the area has neither an active
  outage nor an open suspicion, a ``SuspectedOutage`` is raised and the contact
  centre hears of it on the hand-off webhook (``event: suspected_outage``: the
  area, how many, first and last report time; no personal data). Staff
  ``confirm`` it — the outage is declared and the customers who reported it are
  told (and later told it is over) — or ``dismiss`` it; after a dismissal only
  reports made after it count towards the next one.

Raised once across servers: on PostgreSQL the area's transactions (a report, a
declaration, a confirmation) take a transaction-level advisory lock on the
area, and a partial unique index allows one open suspicion per area (SQLite
serialises writers by itself; the index holds there too).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence, Set

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import ASTANA, LIMITS
from bot.office import notices
from bot.office.db import new_session
from bot.office.diagnostics import active_outage
from bot.office.handoff_delivery import _post, webhook_url
from bot.office.models import (
    ConnectionReport,
    Notification,
    Outage,
    OutageNotice,
    StaffAction,
    Subscriber,
    SuspectedOutage,
    utcnow,
)

logger = logging.getLogger(__name__)

OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"
_background: Set[asyncio.Task] = set()  # keeps the reports being recorded alive


class OutageRefused(Exception):
    """A step staff asked for that cannot be done; ``reason`` says why."""

    def __init__(self, reason: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(reason)
        # unknown_area | ends_in_the_past | not_found | confirmed | dismissed
        # (the last two: the suspicion was decided already)
        self.reason = reason
        self.suggestions = list(suggestions)  # unknown_area: the nearest known areas


# --- times as staff type them --------------------------------------------------

_RELATIVE = re.compile(r"\+(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _moment(text: str, now: datetime, sign: int) -> datetime:
    match = _RELATIVE.fullmatch(text.strip())
    if match:
        return now + sign * timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO time nor +Nd / +Nh / +Nm: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ASTANA)


def parse_until(text: str, now: datetime) -> datetime:
    """An expected end: an ISO time (Astana unless it says otherwise), or
    +2d / +4h / +90m from ``now``. ValueError for anything else."""
    return _moment(text, now, +1)


def parse_since(text: str, now: datetime) -> datetime:
    """A start: an ISO time (Astana unless it says otherwise), or +7d / +12h /
    +30m back from ``now``. ValueError for anything else."""
    return _moment(text, now, -1)


# --- outages ------------------------------------------------------------------


def areas() -> List[str]:
    """The known areas: the subscribers' areas, sorted."""
    with new_session() as session:
        return _areas(session)


def declare(
    area: str, until: Optional[datetime], staff: str, note: str = "", now: Optional[datetime] = None
) -> Dict[str, Any]:
    """Declare an outage for ``area`` until ``until`` (None: end unknown). An open
    suspicion for the area is confirmed by it (its reporters are told). The
    outage as ``active()`` lists it. OutageRefused: unknown_area (with the
    nearest names), ends_in_the_past."""
    now, area = now or utcnow(), area.strip()
    until = _aware(until)
    with new_session() as session, session.begin():
        outage = _new_outage(session, area, until, staff, note, now)
        told = 0
        for suspicion in session.execute(
            select(SuspectedOutage)
            .where(SuspectedOutage.area == area, SuspectedOutage.status == OPEN)
            .with_for_update()
        ).scalars():
            told += _settle(session, suspicion, outage, staff, now)
        return _outage_view(outage, told, now)


def clear(outage_id: int, staff: str, now: Optional[datetime] = None) -> int:
    """The outage is over: everyone told about it is told so (at allowed hours).
    How many will be told; 0 when it was cleared already. OutageRefused: not_found."""
    now = now or utcnow()
    with new_session() as session, session.begin():
        outage = session.get(Outage, outage_id, with_for_update=True)
        if outage is None:
            raise OutageRefused("not_found")
        told = 0
        if outage.cleared_at is None:
            # A «we found it» still waiting for the morning: «it is over» says enough.
            session.execute(
                delete(Notification).where(
                    Notification.change == f"outage:{outage_id}:found", Notification.sent_at.is_(None)
                )
            )
            told = notices.outage_cleared(session, outage, now)
        session.add(StaffAction(staff=staff, action="outage_cleared", target=f"outage:{outage_id}"))
        return told


def active(now: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """Outages begun and not cleared, oldest first: id, area, started_at,
    expected_end, note, told (conversations told about it) and overdue (its
    expected end has passed: customers no longer hear of it, and those told
    hear it is over only once staff clear it)."""
    now = now or utcnow()
    with new_session() as session:
        told = (
            select(OutageNotice.outage_id, func.count(OutageNotice.id).label("told"))
            .group_by(OutageNotice.outage_id)
            .subquery()
        )
        rows = session.execute(
            select(Outage, func.coalesce(told.c.told, 0))
            .outerjoin(told, told.c.outage_id == Outage.id)
            .where(Outage.cleared_at.is_(None), Outage.started_at <= now)
            .order_by(Outage.started_at, Outage.id)
        )
        return [_outage_view(outage, count, now) for outage, count in rows]


def affected(outage_id: int) -> List[Dict[str, Any]]:
    """Who was told about the outage (staff only): conversation_id, channel,
    told_at, login (None when not known). OutageRefused: not_found."""
    with new_session() as session:
        if session.get(Outage, outage_id) is None:
            raise OutageRefused("not_found")
        rows = session.execute(
            select(OutageNotice)
            .where(OutageNotice.outage_id == outage_id)
            .order_by(OutageNotice.told_at, OutageNotice.id)
        ).scalars()
        return [
            {
                "conversation_id": row.conversation_id,
                "channel": row.channel,
                "told_at": _iso(row.told_at),
                "login": row.login,
            }
            for row in rows
        ]


# --- suspected outages -----------------------------------------------------------


def report_no_connection(
    *,
    login: str,
    area: str,
    conversation_id: str,
    channel: str,
    language: str,
    now: Optional[datetime] = None,
) -> Optional[Dict[str, Any]]:
    """A customer said the internet is down and gave ``login`` (of ``area``).
    Recorded unless the area has an outage (the customer was told of it); the
    suspicion this report raised (``webhook_event``'s fields), else None."""
    now = now or utcnow()
    with new_session() as session, session.begin():
        _lock_area(session, area)
        if active_outage(session, area, now) is not None:
            return None
        session.add(
            ConnectionReport(
                login=login,
                area=area,
                conversation_id=conversation_id,
                channel=channel,
                language=language,
                created_at=now,
            )
        )
        session.flush()  # SQLite: the write lock from here on, so the count below is the latest
        return _raise_if_burst(session, area, now)


def suspected() -> List[Dict[str, Any]]:
    """Open suspicions, oldest first: id, area, reports (different logins that
    reported since the first report, now), first_report_at, last_report_at,
    raised_at, and logins (the reporters', for staff)."""
    with new_session() as session:
        rows = (
            session.execute(
                select(SuspectedOutage).where(SuspectedOutage.status == OPEN).order_by(SuspectedOutage.raised_at)
            )
            .scalars()
            .all()
        )
        return [_suspicion_view(session, row) for row in rows]


def confirm(
    suspected_id: int, staff: str, until: Optional[datetime], note: str = "", now: Optional[datetime] = None
) -> Dict[str, Any]:
    """Staff confirm the suspicion: the outage is declared (as ``declare``), the
    customers who reported it since its first report are told (their
    conversations' channel and language, at allowed hours) and will hear when it
    is over. The outage as ``active()`` lists it, with suspected_id.
    OutageRefused: not_found, confirmed / dismissed (decided already), and
    ``declare``'s."""
    now = now or utcnow()
    until = _aware(until)
    with new_session() as session, session.begin():
        area = session.execute(select(SuspectedOutage.area).where(SuspectedOutage.id == suspected_id)).scalar()
        if area is None:
            raise OutageRefused("not_found")
        _lock_area(session, area)  # before the row: declare() takes them in this order too
        row = session.get(SuspectedOutage, suspected_id, with_for_update=True)
        if row.status != OPEN:
            raise OutageRefused(row.status)
        outage = _new_outage(session, area, until, staff, note, now)
        told = _settle(session, row, outage, staff, now)
        return {**_outage_view(outage, told, now), "suspected_id": suspected_id}


def dismiss(suspected_id: int, staff: str, now: Optional[datetime] = None) -> Dict[str, Any]:
    """Staff judge it no outage. Only reports made after this count towards the
    area's next suspicion. OutageRefused: not_found, confirmed / dismissed."""
    now = now or utcnow()
    with new_session() as session, session.begin():
        row = session.get(SuspectedOutage, suspected_id, with_for_update=True)
        if row is None:
            raise OutageRefused("not_found")
        if row.status != OPEN:
            raise OutageRefused(row.status)
        row.status, row.decided_by, row.decided_at = DISMISSED, staff, now
        session.add(StaffAction(staff=staff, action="suspected_dismissed", target=f"suspected:{suspected_id}"))
        return {
            "id": row.id,
            "area": row.area,
            "status": row.status,
            "decided_by": staff,
            "decided_at": _iso(now),
        }


def webhook_event(raised: Dict[str, Any]) -> Dict[str, Any]:
    """What the contact centre receives: the area and the counts, no personal data."""
    return {
        "event": "suspected_outage",
        "suspected_id": raised["id"],
        "area": raised["area"],
        "reports": raised["reports"],
        "first_report_at": raised["first_report_at"],
        "last_report_at": raised["last_report_at"],
        "raised_at": raised["raised_at"],
    }


async def announce(raised: Dict[str, Any], delays: Optional[tuple] = None) -> bool:
    """POST the suspicion to the hand-off webhook, signed and retried as hand-offs
    are (bot/office/handoff_delivery.py); True once the contact centre took it."""
    if not webhook_url():
        return False
    body = json.dumps(webhook_event(raised), ensure_ascii=False).encode()
    suspected_id = raised["id"]
    return (await _post(body, f"suspected-outage-{suspected_id}", delays, f"suspected outage {suspected_id}"))[1]


def report_in_background(
    *, login: str, area: str, conversation_id: str, channel: str, language: str, now: Optional[datetime] = None
) -> None:
    """From an action: record the report, and announce a suspicion it raised,
    after the customer's answer and whatever happens (errors are logged)."""
    report = dict(login=login, area=area, conversation_id=conversation_id, channel=channel, language=language, now=now)
    task = asyncio.get_running_loop().create_task(_report_and_announce(report))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _report_and_announce(report: Dict[str, Any]) -> None:
    try:
        raised = await asyncio.to_thread(lambda: report_no_connection(**report))
        if raised:
            logger.warning(
                "suspected outage #%s in %s: %s logins since %s",
                raised["id"],
                raised["area"],
                raised["reports"],
                raised["first_report_at"],
            )
            await announce(raised)
    except Exception:  # the customer has their answer; a lost report is one of many
        logger.exception("could not record or announce a report of no connection")


# --- inside a transaction ---------------------------------------------------------


def _areas(session: Session) -> List[str]:
    return sorted(session.execute(select(Subscriber.area).distinct()).scalars())


def _lock_area(session: Session, area: str) -> None:
    """PostgreSQL: one transaction at a time per area (reports, declarations,
    confirmations), until it ends. SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"dana-outage-area:{area}".encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _new_outage(session: Session, area: str, until: Optional[datetime], staff: str, note: str, now: datetime) -> Outage:
    if until is not None and until <= now:
        raise OutageRefused("ends_in_the_past")
    known = _areas(session)
    if area not in known:  # an outage applies to the subscribers of its area: a mistyped one to nobody
        raise OutageRefused("unknown_area", difflib.get_close_matches(area, known, n=3, cutoff=0.5))
    _lock_area(session, area)
    outage = Outage(area=area, started_at=now, expected_end=until, note=note or "")
    session.add(outage)
    session.flush()
    session.add(StaffAction(staff=staff, action="outage_declared", target=f"outage:{outage.id}"))
    return outage


def _settle(session: Session, suspicion: SuspectedOutage, outage: Outage, staff: str, now: datetime) -> int:
    """The suspicion is confirmed by ``outage``: its reporters are told. How many."""
    suspicion.status, suspicion.decided_by, suspicion.decided_at = CONFIRMED, staff, now
    suspicion.outage_id = outage.id
    reports = session.execute(
        select(ConnectionReport)
        .where(ConnectionReport.area == suspicion.area, ConnectionReport.created_at >= suspicion.first_report_at)
        .order_by(ConnectionReport.created_at, ConnectionReport.id)
    ).scalars()
    told, seen = 0, set()
    for report in reports:
        if report.conversation_id in seen:
            continue
        seen.add(report.conversation_id)
        told += notices.outage_found(session, outage, report.conversation_id, report.channel, report.login) is not None
    session.add(StaffAction(staff=staff, action="suspected_confirmed", target=f"suspected:{suspicion.id}"))
    return told


def _raise_if_burst(session: Session, area: str, now: datetime) -> Optional[Dict[str, Any]]:
    """Raise a suspicion for the area if its reports make a burst (module doc)."""
    if session.execute(
        select(SuspectedOutage.id).where(SuspectedOutage.area == area, SuspectedOutage.status == OPEN)
    ).first():
        return None
    since = now - timedelta(minutes=LIMITS.suspected_outage_minutes)
    counted = [ConnectionReport.area == area, ConnectionReport.created_at >= since, ConnectionReport.created_at <= now]
    # Reports before the area's last decision or cleared outage were answered by them.
    decided = session.execute(select(func.max(SuspectedOutage.decided_at)).where(SuspectedOutage.area == area)).scalar()
    cleared = session.execute(
        select(func.max(Outage.cleared_at)).where(Outage.area == area, Outage.cleared_at <= now)
    ).scalar()
    counted += [ConnectionReport.created_at > moment for moment in (decided, cleared) if moment is not None]
    logins = session.execute(
        select(ConnectionReport.login, func.min(ConnectionReport.created_at), func.max(ConnectionReport.created_at))
        .where(*counted)
        .group_by(ConnectionReport.login)
    ).all()
    if len(logins) < LIMITS.suspected_outage_reports:
        return None
    suspicion = SuspectedOutage(
        area=area,
        status=OPEN,
        reports=len(logins),
        first_report_at=min(first for _, first, _ in logins),
        raised_at=now,
    )
    try:
        with session.begin_nested():  # the report stays if this fails
            session.add(suspicion)
    except IntegrityError:  # another server's suspicion for the area is open (the partial unique index)
        return None
    return {
        "id": suspicion.id,
        "area": area,
        "reports": len(logins),
        "first_report_at": _iso(suspicion.first_report_at),
        "last_report_at": _iso(max(last for _, _, last in logins)),
        "raised_at": _iso(now),
    }


def _suspicion_view(session: Session, row: SuspectedOutage) -> Dict[str, Any]:
    reporters = session.execute(
        select(ConnectionReport.login, func.min(ConnectionReport.created_at), func.max(ConnectionReport.created_at))
        .where(ConnectionReport.area == row.area, ConnectionReport.created_at >= row.first_report_at)
        .group_by(ConnectionReport.login)
        .order_by(func.min(ConnectionReport.created_at), ConnectionReport.login)
    ).all()
    return {
        "id": row.id,
        "area": row.area,
        "reports": len(reporters),
        "first_report_at": _iso(row.first_report_at),
        "last_report_at": _iso(max((last for _, _, last in reporters), default=row.raised_at)),
        "raised_at": _iso(row.raised_at),
        "logins": [login for login, _, _ in reporters],
    }


def _outage_view(outage: Outage, told: int, now: datetime) -> Dict[str, Any]:
    return {
        "id": outage.id,
        "area": outage.area,
        "started_at": _iso(outage.started_at),
        "expected_end": _iso(outage.expected_end),
        "note": outage.note or "",
        "told": int(told),
        "overdue": outage.expected_end is not None and outage.expected_end <= now,
    }


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=ASTANA)  # staff's times are Astana's unless they say otherwise


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.astimezone(timezone.utc).isoformat() if moment else None
