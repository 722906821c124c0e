"""Staff accounts for the operator console: users, passwords, login sessions.

Passwords are hashed with scrypt (stdlib, memory-hard) and stored as
``scrypt$n$r$p$salt$hash`` (base64), so the cost can be raised later without
breaking older hashes. A login gives a random session token, which only the
client holds (the database keeps its SHA-256), and a CSRF token the console
sends back with every change. ``LIMITS.staff_lockout_failures`` wrong passwords
in a row lock the account for ``LIMITS.staff_lockout_minutes``; a session ends
after ``LIMITS.staff_session_hours`` or ``LIMITS.staff_idle_minutes`` unused.

Every login, logout and account change is written to ``staff_actions``
(target ``staff:<username>``); passwords and tokens never are. Times are
timezone-aware UTC (ISO strings in the dicts returned, ready for JSON);
``now`` is for tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Dict, List, Optional

from sqlalchemy import delete, or_, select
from sqlalchemy import exc as sa_exc

from bot.config import LANGUAGES, LIMITS
from bot.office.db import new_session
from bot.office.models import StaffAction, StaffSession, StaffUser, utcnow

OPERATOR, SUPERVISOR = "operator", "supervisor"
ROLES = (OPERATOR, SUPERVISOR)
_RANK = {OPERATOR: 1, SUPERVISOR: 2}  # a role may do what any lower one may

USERNAME = re.compile(r"[\w.@+-]{1,64}")  # as the operator API's operator ids

# scrypt's cost: 16 MiB and some 50 ms a hash on a server core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SALT_BYTES, _HASH_BYTES = 16, 32
_MAX_N = 2**20  # a stored hash asking for more memory than 1 GiB is not trusted
LAST_SEEN_EVERY = timedelta(minutes=1)  # a session's last_seen_at is written at most this often


class StaffRefused(Exception):
    """An account change refused; ``reason``: exists, bad_role, bad_username,
    short_password, bad_language, not_found."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LoginRefused(Exception):
    """``reason``: wrong (unknown user or wrong password, told apart by no one),
    locked (``until``: when the lock ends) or disabled."""

    def __init__(self, reason: str, until: Optional[datetime] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


# --- passwords -------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024  # what OpenSSL needs, with room
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_HASH_BYTES)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        if scheme != "scrypt" or not (1 < n_ <= _MAX_N and 0 < r_ <= 64 and 0 < p_ <= 16):
            return False
        expected = base64.b64decode(digest, validate=True)
        given = _scrypt(password, base64.b64decode(salt, validate=True), n_, r_, p_)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked against when the user is unknown, so that takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- accounts --------------------------------------------------------------


def _check_password(password: str) -> None:
    if len(password or "") < LIMITS.staff_password_min_chars:
        raise StaffRefused("short_password")


def _check_language(language: Optional[str]) -> None:
    if language is not None and language not in LANGUAGES:
        raise StaffRefused("bad_language")


def _audit(session: Any, staff: str, action: str, username: str, now: datetime) -> None:
    session.add(StaffAction(at=now, staff=staff, action=action, target=f"staff:{username}"))


def _user(session: Any, username: str, *, lock: bool = False) -> StaffUser:
    query = select(StaffUser).where(StaffUser.username == username)
    row = session.execute(query.with_for_update() if lock else query).scalars().first()
    if row is None:
        raise StaffRefused("not_found")
    return row


def _locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _user_view(user: StaffUser, now: datetime) -> Dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role,
        "disabled": bool(user.disabled),
        "locked_until": user.locked_until.isoformat() if _locked(user, now) else None,
        "failed_logins": user.failed_logins,
        "created_at": user.created_at.isoformat(),
    }


def create_user(
    username: str, role: str, password: str, *, by: Optional[str] = None, now: Optional[datetime] = None
) -> Dict[str, Any]:
    """A new account; ``by``: who made it, for the audit (default: the user)."""
    now = now or utcnow()
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise StaffRefused("bad_username")
    if role not in ROLES:
        raise StaffRefused("bad_role")
    _check_password(password)
    password_hash = hash_password(password)
    try:
        with new_session() as session, session.begin():
            if session.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
                raise StaffRefused("exists")
            user = StaffUser(username=username, role=role, password_hash=password_hash, created_at=now)
            session.add(user)
            session.flush()
            _audit(session, by or username, "user_created", username, now)
            return _user_view(user, now)
    except sa_exc.IntegrityError:  # made at the same moment by another server
        raise StaffRefused("exists") from None


def set_password(username: str, password: str, *, by: Optional[str] = None, now: Optional[datetime] = None) -> None:
    """A new password; the user's sessions end (a leaked password's sessions with it)."""
    now = now or utcnow()
    _check_password(password)
    password_hash = hash_password(password)
    with new_session() as session, session.begin():
        user = _user(session, username, lock=True)
        user.password_hash = password_hash
        session.execute(delete(StaffSession).where(StaffSession.username == username))
        _audit(session, by or username, "password_set", username, now)


def unlock(username: str, *, by: Optional[str] = None, now: Optional[datetime] = None) -> None:
    now = now or utcnow()
    with new_session() as session, session.begin():
        user = _user(session, username, lock=True)
        user.failed_logins, user.locked_until = 0, None
        _audit(session, by or username, "unlocked", username, now)


def disable(username: str, *, by: Optional[str] = None, now: Optional[datetime] = None) -> None:
    """The account can no longer log in; its sessions end at once."""
    now = now or utcnow()
    with new_session() as session, session.begin():
        user = _user(session, username, lock=True)
        user.disabled = True
        session.execute(delete(StaffSession).where(StaffSession.username == username))
        _audit(session, by or username, "disabled", username, now)


def users(now: Optional[datetime] = None) -> List[Dict[str, Any]]:
    """Every account, by name; no password hashes."""
    now = now or utcnow()
    with new_session() as session:
        rows = session.execute(select(StaffUser).order_by(StaffUser.username)).scalars()
        return [_user_view(row, now) for row in rows]


def allowed(role: Optional[str], needed_role: str) -> bool:
    """May ``role`` do what ``needed_role`` may? A supervisor may do all an operator may."""
    return role in _RANK and needed_role in _RANK and _RANK[role] >= _RANK[needed_role]


# --- logins and sessions ---------------------------------------------------


def login(
    username: str, password: str, language: Optional[str] = None, now: Optional[datetime] = None
) -> Dict[str, Any]:
    """A new session: ``{"token", "csrf", "username", "role", "language", "expires_at"}``, or LoginRefused."""
    now = now or utcnow()
    _check_language(language)
    username, password = str(username or ""), str(password or "")
    refused: Optional[LoginRefused] = None
    with new_session() as session, session.begin():
        user = None
        if USERNAME.fullmatch(username):  # anything else is no one's name
            query = select(StaffUser).where(StaffUser.username == username).with_for_update()
            user = session.execute(query).scalars().first()
        if user is None:
            verify_password(password, _dummy_hash())
            # The name is not kept: it may be a password typed in the wrong field.
            _audit(session, "?", "login_failed", "?", now)
            refused = LoginRefused("wrong")
        elif _locked(user, now):
            _audit(session, username, "login_failed", username, now)
            refused = LoginRefused("locked", until=user.locked_until)
        else:
            if user.locked_until is not None:  # a lock that is over: a fresh count
                user.failed_logins, user.locked_until = 0, None
            if not verify_password(password, user.password_hash):
                user.failed_logins = (user.failed_logins or 0) + 1
                _audit(session, username, "login_failed", username, now)
                if user.failed_logins >= LIMITS.staff_lockout_failures:
                    user.locked_until = now + timedelta(minutes=LIMITS.staff_lockout_minutes)
                    _audit(session, username, "locked", username, now)
                    refused = LoginRefused("locked", until=user.locked_until)
                else:
                    refused = LoginRefused("wrong")
            elif user.disabled:
                _audit(session, username, "login_failed", username, now)
                refused = LoginRefused("disabled")
            else:
                user.failed_logins = 0
                return _start_session(session, user, language, now)
    assert refused is not None
    raise refused  # after the commit: the count and the audit stay


def _start_session(session: Any, user: StaffUser, language: Optional[str], now: datetime) -> Dict[str, Any]:
    idle_since = now - timedelta(minutes=LIMITS.staff_idle_minutes)
    session.execute(  # the user's sessions that are over, so the table does not grow
        delete(StaffSession).where(
            StaffSession.username == user.username,
            or_(StaffSession.expires_at <= now, StaffSession.last_seen_at <= idle_since),
        )
    )
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=LIMITS.staff_session_hours)
    session.add(
        StaffSession(
            token_hash=_token_hash(token),
            username=user.username,
            role=user.role,
            csrf=csrf,
            language=language,
            created_at=now,
            expires_at=expires_at,
            last_seen_at=now,
        )
    )
    _audit(session, user.username, "login", user.username, now)
    return {
        "token": token,
        "csrf": csrf,
        "username": user.username,
        "role": user.role,
        "language": language,
        "expires_at": expires_at.isoformat(),
    }


def _live(session: Any, token: str, now: datetime) -> Optional[StaffSession]:
    """The token's session if it is still good, else None (and an ended one is deleted)."""
    if not isinstance(token, str) or not token:
        return None
    row = session.execute(select(StaffSession).where(StaffSession.token_hash == _token_hash(token))).scalars().first()
    if row is None:
        return None
    user = session.execute(select(StaffUser).where(StaffUser.username == row.username)).scalars().first()
    over = now >= row.expires_at or now - row.last_seen_at >= timedelta(minutes=LIMITS.staff_idle_minutes)
    if over or user is None or user.disabled:
        session.execute(delete(StaffSession).where(StaffSession.id == row.id))
        return None
    if _locked(user, now):  # kept: the session is good again once the lock is over
        return None
    row.role = user.role
    return row


def session(token: str, now: Optional[datetime] = None) -> Optional[Dict[str, Any]]:
    """The logged-in user behind ``token``: ``{"username", "role", "csrf", "language",
    "expires_at"}``, or None (unknown, over, or the account now disabled or locked)."""
    now = now or utcnow()
    with new_session() as db, db.begin():
        row = _live(db, token, now)
        if row is None:
            return None
        if now - row.last_seen_at >= LAST_SEEN_EVERY:  # not a write on every request
            row.last_seen_at = now
        return {
            "username": row.username,
            "role": row.role,
            "csrf": row.csrf,
            "language": row.language,
            "expires_at": row.expires_at.isoformat(),
        }


def logout(token: str, now: Optional[datetime] = None) -> bool:
    """Ends the session; False if there was none."""
    now = now or utcnow()
    if not isinstance(token, str) or not token:
        return False
    with new_session() as db, db.begin():
        token_hash = _token_hash(token)
        username = db.execute(select(StaffSession.username).where(StaffSession.token_hash == token_hash)).scalar()
        if username is None:
            return False
        if not db.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash)).rowcount:
            return False  # another request logged it out first
        _audit(db, username, "logout", username, now)
        return True


def set_language(token: str, language: Optional[str], now: Optional[datetime] = None) -> bool:
    """The console's language for this session (kk, ru or None); False if the session is over."""
    now = now or utcnow()
    _check_language(language)
    with new_session() as db, db.begin():
        row = _live(db, token, now)
        if row is None:
            return False
        row.language = language
        return True


def csrf_ok(found_session: Optional[Dict[str, Any]], given: Optional[str]) -> bool:
    """Is ``given`` the session's CSRF token?"""
    expected = (found_session or {}).get("csrf")
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
