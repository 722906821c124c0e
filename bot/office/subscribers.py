"""The subscriber table as every flow asks it: does a login exist, whose phone is calling."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.office.db import new_session
from bot.office.models import Subscriber


def login_exists(session: Session, login: str) -> bool:
    return session.get(Subscriber, login) is not None


def exists(login: str) -> bool:
    """login_exists in a session of its own (what the login question calls)."""
    with new_session() as session:
        return login_exists(session, login)


def login_for_phone(phone: str) -> str | None:
    """The login of the one subscriber with this contact phone (+7…); None when
    none or several match — two contracts on one phone: Dana asks which one."""
    with new_session() as session:
        logins = (
            session.execute(select(Subscriber.login).where(Subscriber.contact_phone == phone).limit(2)).scalars().all()
        )
    return logins[0] if len(logins) == 1 else None
