"""Operator console accounts (bot/office/staff.py) and their CLI, on SQLite and
PostgreSQL (the ``database`` fixture)."""

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.config import LIMITS
from bot.office import staff
from bot.office.cli import main
from bot.office.db import new_session
from bot.office.models import StaffAction, StaffSession, StaffUser

T0 = datetime(2026, 11, 18, 7, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


def _hash_of(username):
    with new_session() as s:
        return s.execute(select(StaffUser.password_hash).where(StaffUser.username == username)).scalar_one()


def _actions(username=None):
    with new_session() as s:
        rows = s.execute(select(StaffAction).order_by(StaffAction.id)).scalars().all()
    return [(r.staff, r.action, r.target) for r in rows if username is None or r.target == f"staff:{username}"]


def _fail(username, password="wrong password!", now=T0):
    with pytest.raises(staff.LoginRefused) as refused:
        staff.login(username, password, now=now)
    return refused.value


def test_passwords_are_salted_scrypt_and_never_stored(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    staff.create_user("bolat", staff.SUPERVISOR, PASSWORD)
    first, second = _hash_of("aigerim"), _hash_of("bolat")
    assert first.startswith(f"scrypt${2**14}$8$1$") and first != second  # same password, other salt
    assert PASSWORD not in first and staff.verify_password(PASSWORD, first)
    assert not staff.verify_password("correct horse batterY", first)
    assert not staff.verify_password(PASSWORD, "scrypt$nonsense") and not staff.verify_password(PASSWORD, "")
    listed = staff.users()
    assert [u["username"] for u in listed] == ["aigerim", "bolat"]
    assert all("hash" not in key for u in listed for key in u) and PASSWORD not in json.dumps(listed)


def test_accounts_refused(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    for args, reason in [
        (("aigerim", staff.OPERATOR, PASSWORD), "exists"),
        (("dana", "admin", PASSWORD), "bad_role"),
        (("two words", staff.OPERATOR, PASSWORD), "bad_username"),
        (("x" * 65, staff.OPERATOR, PASSWORD), "bad_username"),
        (("dana", staff.OPERATOR, "x" * (LIMITS.staff_password_min_chars - 1)), "short_password"),
    ]:
        with pytest.raises(staff.StaffRefused) as refused:
            staff.create_user(*args)
        assert refused.value.reason == reason
    for change in (lambda: staff.unlock("nobody"), lambda: staff.disable("nobody")):
        with pytest.raises(staff.StaffRefused, match="not_found"):
            change()
    with pytest.raises(staff.StaffRefused, match="short_password"):
        staff.set_password("aigerim", "short")


def test_login_gives_a_session_and_wrong_or_unknown_is_the_same_refusal(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    found = staff.login("aigerim", PASSWORD, language="ru", now=T0)
    assert found["username"] == "aigerim" and found["role"] == staff.OPERATOR and found["language"] == "ru"
    assert datetime.fromisoformat(found["expires_at"]) == T0 + timedelta(hours=LIMITS.staff_session_hours)
    assert found["token"] != found["csrf"] and len(found["token"]) >= 40
    with new_session() as s:
        stored = s.execute(select(StaffSession)).scalar_one()
    assert stored.token_hash != found["token"] and found["token"] not in stored.token_hash  # only its SHA-256
    assert staff.session(found["token"], now=T0) == {
        "username": "aigerim",
        "role": staff.OPERATOR,
        "csrf": found["csrf"],
        "language": "ru",
        "expires_at": found["expires_at"],
    }
    wrong, unknown = _fail("aigerim"), _fail("nobody", PASSWORD)
    assert wrong.reason == unknown.reason == "wrong" and wrong.until is unknown.until is None
    assert staff.session("not a token", now=T0) is None and staff.session("", now=T0) is None


def test_five_failures_lock_until_unlocked_or_the_lock_is_over(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    earlier = staff.login("aigerim", PASSWORD, now=T0)
    for _ in range(LIMITS.staff_lockout_failures - 1):
        assert _fail("aigerim").reason == "wrong"
    locked = _fail("aigerim")  # the Nth
    until = T0 + timedelta(minutes=LIMITS.staff_lockout_minutes)
    assert locked.reason == "locked" and locked.until == until
    assert _fail("aigerim", PASSWORD).reason == "locked"  # even the right password
    assert staff.session(earlier["token"], now=T0) is None  # a locked account's sessions are refused
    assert staff.users(now=T0)[0]["locked_until"] == until.isoformat()

    staff.unlock("aigerim", by="supervisor1")
    assert staff.login("aigerim", PASSWORD, now=T0)["username"] == "aigerim"
    assert staff.users(now=T0)[0]["failed_logins"] == 0

    for _ in range(LIMITS.staff_lockout_failures):
        _fail("aigerim")
    assert _fail("aigerim", PASSWORD, now=until - timedelta(seconds=1)).reason == "locked"
    assert staff.login("aigerim", PASSWORD, now=until)["role"] == staff.OPERATOR  # the lock is over


def test_a_success_resets_the_count_and_an_expired_lock_gives_a_fresh_count(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    for _ in range(LIMITS.staff_lockout_failures - 1):
        _fail("aigerim")
    staff.login("aigerim", PASSWORD, now=T0)
    for _ in range(LIMITS.staff_lockout_failures - 1):
        assert _fail("aigerim").reason == "wrong"  # not locked: counted from 0 again
    assert _fail("aigerim").reason == "locked"
    later = T0 + timedelta(minutes=LIMITS.staff_lockout_minutes)
    assert _fail("aigerim", now=later).reason == "wrong"  # one failure after the lock is not a new lock


def test_sessions_end_after_the_shift_when_idle_and_on_logout(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    idle = timedelta(minutes=LIMITS.staff_idle_minutes)
    token = staff.login("aigerim", PASSWORD, now=T0)["token"]
    # Used every 20 minutes: alive until the absolute expiry, not after.
    moment = T0
    while moment + timedelta(minutes=20) < T0 + timedelta(hours=LIMITS.staff_session_hours):
        moment += timedelta(minutes=20)
        assert staff.session(token, now=moment) is not None, moment
    assert staff.session(token, now=T0 + timedelta(hours=LIMITS.staff_session_hours)) is None

    token = staff.login("aigerim", PASSWORD, now=T0)["token"]
    assert staff.session(token, now=T0 + idle - timedelta(seconds=1)) is not None
    # That use was written (more than a minute after the last): idle counts from it.
    assert staff.session(token, now=T0 + 2 * idle - timedelta(seconds=2)) is not None
    assert staff.session(token, now=T0 + 4 * idle) is None
    assert staff.session(token, now=T0 + 4 * idle - timedelta(hours=1)) is None  # ended for good

    token = staff.login("aigerim", PASSWORD, now=T0)["token"]
    assert staff.set_language(token, "kk", now=T0) and staff.session(token, now=T0)["language"] == "kk"
    with pytest.raises(staff.StaffRefused, match="bad_language"):
        staff.set_language(token, "en", now=T0)
    assert staff.logout(token, now=T0) is True
    assert staff.session(token, now=T0) is None and staff.logout(token, now=T0) is False
    assert not staff.set_language(token, "ru", now=T0)


def test_last_seen_written_at_most_once_a_minute(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    token = staff.login("aigerim", PASSWORD, now=T0)["token"]

    def last_seen():
        with new_session() as s:
            return s.execute(select(StaffSession.last_seen_at)).scalar_one()

    staff.session(token, now=T0 + timedelta(seconds=30))
    assert last_seen() == T0
    staff.session(token, now=T0 + timedelta(seconds=90))
    assert last_seen() == T0 + timedelta(seconds=90)


def test_csrf_and_roles(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    found = staff.session(staff.login("aigerim", PASSWORD, now=T0)["token"], now=T0)
    assert staff.csrf_ok(found, found["csrf"])
    assert not staff.csrf_ok(found, found["csrf"][:-1] + "x") and not staff.csrf_ok(found, "")
    assert not staff.csrf_ok(found, None) and not staff.csrf_ok(None, found["csrf"])
    assert staff.allowed(staff.SUPERVISOR, staff.OPERATOR) and staff.allowed(staff.SUPERVISOR, staff.SUPERVISOR)
    assert staff.allowed(staff.OPERATOR, staff.OPERATOR) and not staff.allowed(staff.OPERATOR, staff.SUPERVISOR)
    assert not staff.allowed(None, staff.OPERATOR) and not staff.allowed("admin", staff.OPERATOR)
    assert not staff.allowed(staff.SUPERVISOR, "admin")


def test_a_disabled_user_cannot_log_in_and_loses_their_sessions(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    token = staff.login("aigerim", PASSWORD, now=T0)["token"]
    staff.disable("aigerim", by="supervisor1")
    assert staff.session(token, now=T0) is None
    assert _fail("aigerim", PASSWORD).reason == "disabled"
    assert _fail("aigerim").reason == "wrong"  # the wrong password tells nothing more
    assert staff.users()[0]["disabled"] is True


def test_a_new_password_ends_the_sessions(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    token = staff.login("aigerim", PASSWORD, now=T0)["token"]
    staff.set_password("aigerim", "another long password", by="supervisor1")
    assert staff.session(token, now=T0) is None
    assert _fail("aigerim", PASSWORD).reason == "wrong"
    assert staff.login("aigerim", "another long password", now=T0)


def test_audit_rows_without_passwords_or_tokens(database):
    staff.create_user("aigerim", staff.OPERATOR, PASSWORD, by="supervisor1")
    found = staff.login("aigerim", PASSWORD, now=T0)
    staff.logout(found["token"], now=T0)
    for _ in range(LIMITS.staff_lockout_failures):
        _fail("aigerim")
    staff.unlock("aigerim", by="supervisor1")
    staff.set_password("aigerim", "another long password", by="supervisor1")
    staff.disable("aigerim", by="supervisor1")
    _fail("Aigerim's password typed here")  # an unknown name is not kept: it may be a password
    target = "staff:aigerim"
    assert _actions("aigerim") == [
        ("supervisor1", "user_created", target),
        ("aigerim", "login", target),
        ("aigerim", "logout", target),
        *[("aigerim", "login_failed", target)] * LIMITS.staff_lockout_failures,
        ("aigerim", "locked", target),
        ("supervisor1", "unlocked", target),
        ("supervisor1", "password_set", target),
        ("supervisor1", "disabled", target),
    ]
    assert _actions()[-1] == ("?", "login_failed", "staff:?")
    written = json.dumps(_actions())
    for secret in (PASSWORD, found["token"], found["csrf"], "Aigerim's password"):
        assert secret not in written


def _cli(capsys, monkeypatch, *argv, stdin=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_adds_lists_unlocks_and_disables(database, capsys, monkeypatch):
    code, out, _ = _cli(capsys, monkeypatch, "staff", "add", "aigerim", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0 and "aigerim" in out
    code, _, _ = _cli(
        capsys, monkeypatch, "staff", "add", "bolat", "--role", "supervisor", "--password-stdin", stdin=PASSWORD
    )
    assert code == 0
    assert staff.login("aigerim", PASSWORD)["role"] == staff.OPERATOR  # the newline is not part of it
    assert staff.login("bolat", PASSWORD)["role"] == staff.SUPERVISOR

    code, _, err = _cli(capsys, monkeypatch, "staff", "add", "aigerim", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "already exists" in err
    code, _, err = _cli(capsys, monkeypatch, "staff", "add", "dana", "--password-stdin", stdin="short\n")
    assert code == 2 and f"at least {LIMITS.staff_password_min_chars} characters" in err

    for _ in range(LIMITS.staff_lockout_failures):
        _fail("aigerim", now=datetime.now(timezone.utc))
    table = _cli(capsys, monkeypatch, "staff", "list")[1].splitlines()
    assert table[0].split()[:2] == ["username", "role"] and set(table[1]) <= {"-", " "}
    assert "hash" not in "".join(table) and len(table) == 4
    listed = {u["username"]: u for u in json.loads(_cli(capsys, monkeypatch, "staff", "list", "--json")[1])}
    assert listed["aigerim"]["locked_until"] and listed["bolat"]["locked_until"] is None

    assert _cli(capsys, monkeypatch, "staff", "unlock", "aigerim")[0] == 0
    assert staff.login("aigerim", PASSWORD)["username"] == "aigerim"
    code, _, err = _cli(capsys, monkeypatch, "staff", "unlock", "nobody")
    assert code == 1 and "no staff account 'nobody'" in err

    assert _cli(capsys, monkeypatch, "staff", "disable", "bolat")[0] == 0
    assert _fail("bolat", PASSWORD).reason == "disabled"
    assert ("cli:", "user_created") == (_actions("aigerim")[0][0][:4], _actions("aigerim")[0][1])


def test_cli_password_asked_twice(database, capsys, monkeypatch):
    answers = iter(["first long password", "first long password", "second long password", "typo long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert _cli(capsys, monkeypatch, "staff", "add", "aigerim")[0] == 0
    code, _, err = _cli(capsys, monkeypatch, "staff", "passwd", "aigerim")
    assert code == 2 and "differ" in err
    assert staff.login("aigerim", "first long password")
    code = _cli(capsys, monkeypatch, "staff", "passwd", "aigerim", "--password-stdin", stdin="a third password\n")[0]
    assert code == 0
    assert staff.login("aigerim", "a third password")


def test_concurrent_failures_all_count_on_postgresql(database):
    """Servers checking passwords at once: the row lock makes each failure count."""
    if not database.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; the row lock is PostgreSQL's")
    from concurrent.futures import ThreadPoolExecutor

    staff.create_user("aigerim", staff.OPERATOR, PASSWORD)
    attempts = LIMITS.staff_lockout_failures - 1
    with ThreadPoolExecutor(attempts) as pool:
        reasons = list(pool.map(lambda _: _fail("aigerim").reason, range(attempts)))
    assert reasons == ["wrong"] * attempts
    assert staff.users(now=T0)[0]["failed_logins"] == attempts
    assert _fail("aigerim").reason == "locked"
