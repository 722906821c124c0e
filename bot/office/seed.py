"""Demo back office: one login for every branch Dana can take (README lists them).

Idempotent: existing rows are kept; the demo outage is re-opened with a fresh
ETA when it has lapsed, so the outage login always shows an outage.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.office.models import Outage, Subscriber, utcnow
from bot.office.technician import file_ticket

OUTAGE_AREA = "Астана, Есіл ауданы"
DEMO_SUBSCRIBERS = [
    # login, owner, phone, area, fee_paid, line_status — what Dana finds
    ("0851234567", "Асанов Асан Асанұлы", "+77011234567", "Алматы, Бостандық ауданы", True, "ok"),  # healthy
    ("0851234568", "Серіков Ерлан Маратұлы", "+77021234568", "Алматы, Алмалы ауданы", True, "cable_cut"),  # cable cut
    ("0851234569", "Иванова Мария Петровна", "+77051234569", OUTAGE_AREA, True, "ok"),  # outage
    (
        "0851234570",
        "Жұмабекова Айгүл Серікқызы",
        "+77071234570",
        "Шымкент, Әл-Фараби ауданы",
        True,
        "link_down",
    ),  # open ticket
    (
        "0851234571",
        "Ким Олег Викторович",
        "+77471234571",
        "Қарағанды, Қазыбек би ауданы",
        False,
        "cable_cut",
    ),  # fee unpaid
    ("0851234572", "Асанов Асан Асанұлы", "+77011234572", "Алматы, Бостандық ауданы", True, "ok"),  # same owner as …67
    ("0851239999", "Петрова Анна Сергеевна", "+77771239999", "Алматы, Медеу ауданы", True, "ok"),  # other owner
]
OPEN_TICKET_LOGIN = "0851234570"


def seed(session: Session, now: datetime | None = None) -> None:
    now = now or utcnow()
    for login, name, phone, area, fee_paid, line in DEMO_SUBSCRIBERS:
        if session.get(Subscriber, login) is None:
            session.add(
                Subscriber(
                    login=login,
                    full_name=name,
                    contact_phone=phone,
                    area=area,
                    address=f"{area}, демо мекенжай",
                    equipment="Wi-Fi роутер",
                    balance=0 if not fee_paid else 5000,
                    fee_paid=fee_paid,
                    line_status=line,
                )
            )
    session.flush()
    from bot.office.diagnostics import active_outage

    if active_outage(session, OUTAGE_AREA, now) is None:
        session.add(
            Outage(
                area=OUTAGE_AREA,
                started_at=now - timedelta(hours=1),
                expected_end=now + timedelta(hours=4),
                note="магистральдық кабель / магистральный кабель",
            )
        )
    file_ticket(
        session,
        login=OPEN_TICKET_LOGIN,
        problem="internet_down",
        contact_phone="+77071234570",
        channel="seed",
        language="kk",
        now=now,
    )
