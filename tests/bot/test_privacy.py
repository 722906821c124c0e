"""Retention and privacy requests as support staff run them (python -m bot …)."""
from __future__ import annotations

import json
import time
import uuid
from datetime import date, timedelta

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.__main__ import main
from bot.db import new_session
from bot.models import Consent, Receipt, RefundRequest, Subscriber, TechnicianTicket, utcnow

DAY = 86400
OLD_DAYS = 200  # older than the 90-day default


@pytest.fixture
def office(database, domain, tmp_path):
    """Two subscribers, each with an old and a recent conversation, requests and a receipt."""
    store = SQLTrackerStore(domain, host=database)
    now = utcnow()
    people = {}
    with new_session() as session, session.begin():
        for login, name, phone in (("0861111111", "Жанар Төлеуова", "+77019876543"),
                                   ("0862222222", "Пётр Иванов", "+77051112233")):
            session.add(Subscriber(login=login, full_name=name, contact_phone=phone, area="Алматы",
                                   address="Абай 1"))
            people[login] = {"old": f"old-{uuid.uuid4().hex}", "new": f"new-{uuid.uuid4().hex}", "name": name,
                             "phone": phone}
    for login, who in people.items():
        for age, sender in ((OLD_DAYS, who["old"]), (1, who["new"])):
            at = time.time() - age * DAY
            tracker = DialogueStateTracker.from_events(sender, [
                UserUttered(f"мой логин {login}, меня зовут {who['name']}", timestamp=at),
                BotUttered("Спасибо", timestamp=at + 1)], slots=domain.slots)
            import asyncio
            asyncio.run(store.save(tracker))
    receipt_file = tmp_path / "receipt.jpg"
    receipt_file.write_bytes(b"\xff\xd8\xff photo")
    with new_session() as session, session.begin():
        for login, who in people.items():
            for age, status in ((OLD_DAYS, "done"), (OLD_DAYS, "open"), (1, "done")):
                session.add(RefundRequest(
                    conversation_id=who["old"] if age == OLD_DAYS else who["new"], right_login=login,
                    wrong_login="0851234572", amount=12000, payment_date=date(2026, 1, 5), payer_name=who["name"],
                    contact_phone=who["phone"], email="zhanar@example.kz", receipt_required=True, status=status,
                    created_at=now - timedelta(days=age)))
            session.add(TechnicianTicket(login=login, problem="internet_down", status="resolved",
                                         contact_phone=who["phone"], created_at=now - timedelta(days=OLD_DAYS),
                                         callback_due=now, visit_due=now, resolve_due=now))
            session.add(Consent(conversation_id=who["old"], purpose="refund", granted=True,
                                created_at=now - timedelta(days=OLD_DAYS)))
        session.add(Receipt(conversation_id=people["0861111111"]["old"], channel="telegram", path=str(receipt_file),
                            mime="image/jpeg", size=10, sha256="ab" * 32, created_at=now - timedelta(days=OLD_DAYS)))
    return {"store": store, "people": people, "receipt": receipt_file}


def _senders(database) -> set[str]:
    from sqlalchemy import text

    from bot.db import get_engine

    with get_engine(database).connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT DISTINCT sender_id FROM events"))}


def test_purge_removes_old_conversations_and_personal_data_only(office, database, capsys):
    people = office["people"]
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "conversations: 2" in out
    senders = _senders(database)
    assert all(p["old"] not in senders and p["new"] in senders for p in people.values())
    assert not office["receipt"].exists()
    with new_session() as session:
        refunds = session.query(RefundRequest).all()
        old_done = [r for r in refunds if r.status == "done" and r.conversation_id.startswith("old-")]
        assert old_done and all(r.payer_name == "[erased]" and r.email is None and r.amount == 12000
                                for r in old_done)
        still_open = [r for r in refunds if r.status == "open"]
        assert still_open and all(r.payer_name in ("Жанар Төлеуова", "Пётр Иванов") for r in still_open)
        recent = [r for r in refunds if r.conversation_id.startswith("new-")]
        assert all(r.contact_phone.startswith("+7") for r in recent)
        assert session.query(Consent).count() == 0


def test_purge_dry_run_changes_nothing(office, database, capsys):
    before = _senders(database)
    assert main(["purge", "--dry-run"]) == 0
    assert "would remove" in capsys.readouterr().out
    assert _senders(database) == before and office["receipt"].exists()


def test_export_holds_the_subscriber_and_nobody_else(office, capsys, tmp_path):
    out_file = tmp_path / "export.json"
    assert main(["export-subscriber", "0861111111", "--out", str(out_file)]) == 0
    data = json.loads(out_file.read_text())
    assert data["subscriber"]["full_name"] == "Жанар Төлеуова"
    assert len(data["refunds"]) == 3 and len(data["tickets"]) == 1 and len(data["receipts"]) == 1
    texts = [e.get("text") for events in data["conversations"].values() for e in events]
    assert any("0861111111" in (t or "") for t in texts)
    assert "Пётр" not in out_file.read_text() and "0862222222" not in json.dumps(data["conversations"])


def test_unknown_login_is_a_clear_error(office, capsys):
    assert main(["export-subscriber", "0869999999"]) == 1
    assert "no subscriber" in capsys.readouterr().err


def test_erase_removes_one_subscribers_data_and_keeps_the_others(office, database):
    people = office["people"]
    assert main(["erase-subscriber", "0861111111", "--yes"]) == 0
    senders = _senders(database)
    assert people["0861111111"]["old"] not in senders and people["0861111111"]["new"] not in senders
    assert people["0862222222"]["old"] in senders and people["0862222222"]["new"] in senders
    assert not office["receipt"].exists()
    with new_session() as session:
        erased = session.get(Subscriber, "0861111111")
        assert erased.full_name == "[erased]" and erased.contact_phone is None
        assert session.get(Subscriber, "0862222222").full_name == "Пётр Иванов"
        mine = session.query(RefundRequest).filter_by(right_login="0861111111").all()
        assert mine and all(r.payer_name == "[erased]" and r.amount == 12000 for r in mine)
        theirs = session.query(RefundRequest).filter_by(right_login="0862222222").all()
        assert all(r.payer_name == "Пётр Иванов" for r in theirs)
        ticket = session.query(TechnicianTicket).filter_by(login="0861111111").one()
        assert ticket.contact_phone is None and ticket.status == "resolved"


def test_erase_asks_first_and_refuses_without_a_terminal(office, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["erase-subscriber", "0861111111"]) == 2
    assert "--yes" in capsys.readouterr().err
    with new_session() as session:
        assert session.get(Subscriber, "0861111111").full_name == "Жанар Төлеуова"
