"""The console's requests list (bot/office/requests.py): deadlines met, late, overdue
at a fixed time; search by login, phone and number; one request whole; receipts."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from bot.config import ASTANA
from bot.office import notices, requests
from bot.office.db import new_session
from bot.office.models import (
    CallbackRequest,
    PaymentInvestigation,
    Receipt,
    RefundRequest,
    StaffAction,
)
from bot.office.technician import file_ticket
from bot.server.tracker_store import DanaTrackerStore

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=ASTANA)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ASTANA)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _status(session, kind: str, row, status: str, when: datetime, audited: bool = True) -> None:
    row.status = status
    if audited:
        session.add(StaffAction(at=when, staff="op1", action=f"status:{status}", target=f"{kind}:{row.id}"))


@pytest.fixture
def filed(seeded, tmp_path, monkeypatch, domain):
    """Requests filed 16–21 November (Astana), their status changes audited as
    notices.set_request_status audits them; looked at on 21 November, 10:00."""
    monkeypatch.setenv("DANA_RECEIPTS_DIR", str(tmp_path / "receipts"))
    ids = {}
    with new_session() as session, session.begin():
        # Called back and scheduled within the hour; resolved a day late.
        a, _ = file_ticket(
            session,
            login="0851234567",
            problem="internet_down",
            contact_phone="+77011234567",
            channel="telegram",
            language="kk",
            now=at(16, 10),
            conversation_id="telegram:a",
        )
        _status(session, "tickets", a, "scheduled", at(16, 11))
        _status(session, "tickets", a, "resolved", at(20, 10))
        # Filed yesterday, nobody called: the callback is overdue, the visit due this very minute.
        b, _ = file_ticket(
            session,
            login="0851234568",
            problem="internet_slow",
            contact_phone="+77021234568",
            channel="socketio",
            language="ru",
            now=at(20, 10),
        )
        _status(session, "tickets", b, "open", at(20, 11))  # «open» again is no step
        # Cancelled before the callback was due: every clock stops.
        f, _ = file_ticket(
            session,
            login="0851234571",
            problem="cable_damaged",
            contact_phone=None,
            channel="voice",
            language="kk",
            now=at(16, 12),
        )
        _status(session, "tickets", f, "cancelled", at(16, 13))
        r = RefundRequest(
            conversation_id="telegram:r",
            right_login="0851234567",
            wrong_login="0851234572",
            amount=5000,
            payment_date=date(2026, 11, 15),
            payer_name="Асанов Асан Асанұлы",
            contact_phone="+77011234567",
            email="asan@example.kz",
            receipt_required=False,
            channel="telegram",
            created_at=at(16, 10),
        )
        i = PaymentInvestigation(
            conversation_id="whatsapp:i",
            login="0851234569",
            payment_date=date(2026, 11, 15),
            amount=12000,
            partner="Kaspi",
            contact_phone="87051234569",  # an older spelling
            channel="whatsapp",
            created_at=at(17, 10),
            answer_due=at(20, 10),
        )
        c = CallbackRequest(
            conversation_id="rest:c",
            phone="+77471234571",
            topic="тариф",
            language="ru",
            channel="rest",
            created_at=at(21, 9),
        )
        d = CallbackRequest(
            conversation_id="rest:d",
            phone="+77771239999",
            topic="роутер",
            language="kk",
            channel="rest",
            created_at=at(16, 10),
        )
        e = CallbackRequest(
            conversation_id="rest:e",
            phone="+77771239999",
            topic="",
            language="kk",
            channel="rest",
            created_at=at(16, 12),
        )
        session.add_all([r, i, c, d, e])
        session.flush()
        _status(session, "refunds", r, "approved", at(19, 11))
        _status(session, "callbacks", d, "called", at(16, 10, 30))
        _status(session, "callbacks", e, "failed", at(16, 13), audited=False)  # set by hand: no audit row
        receipts = tmp_path / "receipts" / "2026-11"
        receipts.mkdir(parents=True)
        (receipts / "check.png").write_bytes(b"\x89PNG\r\n\x1a\nrest")
        receipt = Receipt(
            conversation_id="whatsapp:i",
            channel="whatsapp",
            request_kind="investigation",
            request_id=i.id,
            path=str(receipts / "check.png"),
            mime="image/png",
            size=12,
            sha256="0" * 64,
            created_at=at(17, 10),
        )
        session.add(receipt)
        session.flush()
        ids = {
            "a": a.id,
            "b": b.id,
            "f": f.id,
            "r": r.id,
            "i": i.id,
            "c": c.id,
            "d": d.id,
            "e": e.id,
            "receipt": receipt.id,
        }
    # The refund's customer chose Russian in the conversation (refunds store no language).
    store = DanaTrackerStore(domain, host=seeded)
    events = [
        SlotSet("language", "kk", timestamp=at(16, 9).timestamp()),
        SlotSet("language", "ru", timestamp=at(16, 9, 5).timestamp()),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("telegram:r", events, slots=domain.slots)))
    return ids


def _mine(rows):
    """Without the demo ticket ``seed`` files at the real time."""
    return [r for r in rows if r["channel"] != "seed"]


def _by_key(rows):
    return {(r["kind"], r["id"]): r for r in _mine(rows)}


def _states(row):
    return {d["name"]: d["state"] for d in row["deadlines"]}


def test_deadlines_met_late_overdue_and_pending_at_a_fixed_time(filed):
    rows = _by_key(requests.listing(now=NOW))
    a = rows[("tickets", filed["a"])]
    assert a["deadlines"] == [
        {"name": "callback", "due": iso(at(16, 12)), "met_at": iso(at(16, 11)), "overdue": False, "state": "met"},
        {"name": "visit", "due": iso(at(17, 10)), "met_at": iso(at(16, 11)), "overdue": False, "state": "met"},
        {"name": "resolve", "due": iso(at(19, 10)), "met_at": iso(at(20, 10)), "overdue": False, "state": "late"},
    ]
    b = rows[("tickets", filed["b"])]
    assert b["deadlines"][0] == {
        "name": "callback",
        "due": iso(at(20, 12)),
        "met_at": None,
        "overdue": True,
        "state": "overdue",
    }
    assert _states(b) == {"callback": "overdue", "visit": "pending", "resolve": "pending"}  # due at NOW: not yet late
    assert _states(rows[("tickets", filed["f"])]) == {"callback": "met", "visit": "met", "resolve": "met"}
    assert rows[("refunds", filed["r"])]["deadlines"] == [  # due 3 days after filing (POLICY.refund_answer_days)
        {"name": "answer", "due": iso(at(19, 10)), "met_at": iso(at(19, 11)), "overdue": False, "state": "late"}
    ]
    assert rows[("investigations", filed["i"])]["deadlines"] == [
        {"name": "answer", "due": iso(at(20, 10)), "met_at": None, "overdue": True, "state": "overdue"}
    ]
    assert rows[("callbacks", filed["c"])]["deadlines"] == [  # within POLICY.callback_hours of filing
        {"name": "callback", "due": iso(at(21, 11)), "met_at": None, "overdue": False, "state": "pending"}
    ]
    assert rows[("callbacks", filed["d"])]["deadlines"][0]["state"] == "met"
    # «failed» set with no audit row: met, at a time nobody knows.
    assert rows[("callbacks", filed["e"])]["deadlines"] == [
        {"name": "callback", "due": iso(at(16, 14)), "met_at": None, "overdue": False, "state": "met"}
    ]
    # A day later the callback still waiting is overdue too.
    later = _by_key(requests.listing(kind="callbacks", now=NOW + timedelta(days=1)))
    assert _states(later[("callbacks", filed["c"])]) == {"callback": "overdue"}


def test_overdue_only_newest_first_and_limited(filed):
    overdue = _mine(requests.listing(overdue_only=True, now=NOW))
    assert [(r["kind"], r["id"]) for r in overdue] == [("tickets", filed["b"]), ("investigations", filed["i"])]
    everything = _mine(requests.listing(now=NOW))
    assert len(everything) == 8
    created = [r["created_at"] for r in everything]
    assert created == sorted(created, reverse=True) and created[0] == iso(at(21, 9))
    newest = requests.listing(kind="callbacks", limit=2, now=NOW)
    assert [r["id"] for r in newest] == [filed["c"], filed["e"]]
    assert [r["id"] for r in requests.listing(kind="callbacks", status="called", now=NOW)] == [filed["d"]]
    assert requests.listing(overdue_only=True, kind="refunds", now=NOW) == []


def test_each_kind_shows_its_summary_receipt_and_allowed_statuses(filed):
    rows = _by_key(requests.listing(now=NOW))
    a = rows[("tickets", filed["a"])]
    assert {k: a[k] for k in ("status", "login", "phone", "channel", "language", "problem", "receipt_id")} == {
        "status": "resolved",
        "login": "0851234567",
        "phone": "+77011234567",
        "channel": "telegram",
        "language": "kk",
        "problem": "internet_down",
        "receipt_id": None,
    }
    assert a["allowed_statuses"] == ["open", "scheduled", "resolved", "cancelled"]
    assert a["created_at"] == "2026-11-16T10:00:00+05:00"
    r = rows[("refunds", filed["r"])]
    assert {k: r[k] for k in ("login", "right_login", "wrong_login", "amount", "payment_date", "phone")} == {
        "login": "0851234567",
        "right_login": "0851234567",
        "wrong_login": "0851234572",
        "amount": 5000,
        "payment_date": "2026-11-15",
        "phone": "+77011234567",
    }
    assert r["language"] == "ru"  # the conversation's last language
    i = rows[("investigations", filed["i"])]
    assert (i["partner"], i["amount"], i["receipt_id"], i["language"]) == ("Kaspi", 12000, filed["receipt"], None)
    c = rows[("callbacks", filed["c"])]
    assert (c["topic"], c["phone"], c["login"], c["language"]) == ("тариф", "+77471234571", None, "ru")
    assert c["allowed_statuses"] == ["open", "called", "failed"]


@pytest.mark.parametrize(
    "search",
    [
        "0851234567",
        " 0851234567 ",
        "+7 701 123 45 67",
        "8 (701) 123-45-67",
        "87011234567",
        "77011234567",
        "701 123 45 67",
    ],
)
def test_search_by_login_or_phone_in_any_spelling(filed, search):
    found = {(r["kind"], r["id"]) for r in requests.listing(search=search, now=NOW)}
    assert found == {("tickets", filed["a"]), ("refunds", filed["r"])}


def test_search_by_the_wrong_login_an_older_phone_spelling_and_the_number(filed):
    assert [(r["kind"], r["id"]) for r in requests.listing(search="0851234572", now=NOW)] == [("refunds", filed["r"])]
    assert [(r["kind"], r["id"]) for r in requests.listing(search="+7 705 123 45 69", now=NOW)] == [
        ("investigations", filed["i"])
    ]  # stored as 8705…
    for number in (str(filed["c"]), f"#{filed['c']}", f"№ {filed['c']}"):
        assert [r["id"] for r in requests.listing(kind="callbacks", search=number, now=NOW)] == [filed["c"]]
    numbered = {(r["kind"], r["id"]) for r in requests.listing(search=str(filed["i"]), now=NOW)}
    assert ("investigations", filed["i"]) in numbered and all(key[1] == filed["i"] for key in numbered)
    assert requests.listing(search="Асанов", now=NOW) == []  # names are not searched
    assert requests.listing(search="+7 700 000 00 00", now=NOW) == []


def test_one_request_whole_and_its_view_audited(filed):
    found = requests.get("refunds", filed["r"], now=NOW)
    assert found["payer_name"] == "Асанов Асан Асанұлы" and found["email"] == "asan@example.kz"
    assert found["conversation_id"] == "telegram:r" and "receipt_path" not in found
    assert found["history"] == [{"at": iso(at(19, 11)), "status": "approved", "staff": "op1"}]
    assert found["deadlines"][0]["state"] == "late" and found["created_at"] == iso(at(16, 10))
    investigation = requests.get("investigations", filed["i"], now=NOW)
    assert investigation["receipts"] == [
        {"id": filed["receipt"], "mime": "image/png", "size": 12, "channel": "whatsapp", "created_at": iso(at(17, 10))}
    ]
    assert investigation["answer_due"] == iso(at(20, 10))
    with pytest.raises(requests.NotFound):
        requests.get("tickets", 9999)
    with pytest.raises(ValueError):
        requests.get("handoffs", 1)
    requests.audit_view("op7", "refunds", filed["r"])
    with new_session() as session:
        viewed = session.execute(select(StaffAction).where(StaffAction.action == "view")).scalars().all()
    assert [(v.staff, v.target) for v in viewed] == [("op7", f"refunds:{filed['r']}")]
    with pytest.raises(ValueError):
        requests.audit_view("op7", "subscribers", 1)


def test_a_status_set_by_staff_meets_the_deadline(filed):
    notices.set_request_status("callbacks", filed["c"], "called", "op2")
    row = _by_key(requests.listing(kind="callbacks"))[("callbacks", filed["c"])]
    assert row["status"] == "called" and row["deadlines"][0]["met_at"] is not None
    assert row["deadlines"][0]["state"] in ("met", "late") and not row["deadlines"][0]["overdue"]


def test_receipt_files_only_from_the_receipts_directory(filed, tmp_path):
    path, mime = requests.receipt(filed["receipt"])
    assert path.read_bytes().startswith(b"\x89PNG") and mime == "image/png"
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    link = tmp_path / "receipts" / "2026-11" / "link.png"
    link.symlink_to(outside)
    with new_session() as session, session.begin():
        rows = [
            Receipt(conversation_id="x", channel="telegram", path=p, mime="image/png", size=1, sha256="1" * 64)
            for p in (
                str(outside),
                str(tmp_path / "receipts" / ".." / "secret.png"),
                str(link),
                str(tmp_path / "receipts" / "2026-11" / "gone.png"),
            )
        ]
        session.add_all(rows)
        session.flush()
        refused = [r.id for r in rows]
    assert [requests.receipt(receipt_id) for receipt_id in refused] == [None, None, None, None]
    assert requests.receipt(99999) is None


def test_unknown_kind_is_refused(filed):
    with pytest.raises(ValueError):
        requests.listing(kind="outages")
