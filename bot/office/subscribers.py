"""The subscriber table as every flow asks it: does a login exist."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.office.models import Subscriber


def login_exists(session: Session, login: str) -> bool:
    return session.get(Subscriber, login) is not None
