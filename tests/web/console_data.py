"""The live Dana's database around the console's browser test (tests/web/test_console.py).

Run as ``python -m tests.web.console_data seed|report|check`` with DANA_DATABASE_URL
pointing at that Dana's database; prints JSON. A separate process, so the test
process's own database settings are left alone.

- seed:   a ticket whose customer can be told (filed 3 h ago: its callback is
          overdue), and five customers of one area who reported no connection
          within minutes (a suspected outage);
- report: the console's analytics for today (Astana), as the page should show them;
- check:  what the steps left in the database.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from typing import Any, Dict

from sqlalchemy import select

from bot.config import ASTANA
from bot.office import analytics, outages
from bot.office.db import new_session
from bot.office.models import (
    Handoff,
    Notification,
    Outage,
    StaffAction,
    StaffUser,
    Subscriber,
    SuspectedOutage,
    TechnicianTicket,
    utcnow,
)
from bot.office.technician import deadlines

TICKET_LOGIN, TICKET_PHONE, TICKET_CONVERSATION = "0851239999", "+77771239999", "console-ticket-customer"
REPORT_AREA = "Павлодар, Орталық ауданы"
REPORTERS = [f"08599000{n:02d}" for n in range(1, 6)]


def seed() -> Dict[str, Any]:
    filed = utcnow() - timedelta(hours=3)
    due = deadlines(filed)
    with new_session() as session, session.begin():
        ticket = TechnicianTicket(login=TICKET_LOGIN, problem="internet_down", contact_phone=TICKET_PHONE,
                                  conversation_id=TICKET_CONVERSATION, channel="rest", language="ru", created_at=filed,
                                  callback_due=due.callback_due, visit_due=due.visit_due, resolve_due=due.resolve_due)
        session.add(ticket)
        for login in REPORTERS:
            if session.get(Subscriber, login) is None:
                session.add(Subscriber(login=login, full_name="Тестов Тест", contact_phone="+77010000000",
                                       area=REPORT_AREA, address=REPORT_AREA))
        session.flush()
        ticket_id = ticket.id
    raised = [outages.report_no_connection(login=login, area=REPORT_AREA, conversation_id=f"console-report-{login}",
                                           channel="rest", language="ru") for login in REPORTERS]
    return {"ticket_id": ticket_id, "ticket_phone": TICKET_PHONE, "raised": [bool(r) for r in raised],
            "area": REPORT_AREA}


def report() -> Dict[str, Any]:
    today = datetime.now(ASTANA).date()
    return json.loads(json.dumps(analytics.report(today, today), default=str))


def check() -> Dict[str, Any]:
    with new_session() as session:
        actions = [(row.staff, row.action, row.target) for row in session.execute(
            select(StaffAction).order_by(StaffAction.id)).scalars()]
        users = {row.username: {"role": row.role, "locked": row.locked_until is not None,
                                "failed": row.failed_logins, "hash": row.password_hash[:7]}
                 for row in session.execute(select(StaffUser)).scalars()}
        handoffs = {row.id: {"status": row.status, "operator": row.operator, "conversation": row.conversation_id}
                    for row in session.execute(select(Handoff)).scalars()}
        tickets = {row.id: row.status for row in session.execute(
            select(TechnicianTicket).where(TechnicianTicket.login == TICKET_LOGIN)).scalars()}
        notified = [(row.conversation_id, row.change) for row in session.execute(select(Notification)).scalars()]
        suspected = [(row.area, row.status, row.outage_id) for row in session.execute(select(SuspectedOutage)).scalars()]
        areas_out = [(row.id, row.area, row.cleared_at is not None, row.expected_end.isoformat() if row.expected_end else None,
                      row.started_at.isoformat()) for row in session.execute(select(Outage)).scalars()]
    return {"actions": actions, "users": users, "handoffs": handoffs, "tickets": tickets, "notified": notified,
            "suspected": suspected, "outages": areas_out}


if __name__ == "__main__":
    print(json.dumps({"seed": seed, "report": report, "check": check}[sys.argv[1]](), ensure_ascii=False, default=str))
