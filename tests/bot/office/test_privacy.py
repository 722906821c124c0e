"""Retention and privacy requests as support staff run them (python -m bot …)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import date, timedelta

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot.office.cli import main
from bot.office.db import get_engine, new_session
from bot.office.models import CallbackRequest, Consent, Receipt, RefundRequest, Subscriber, TechnicianTicket, utcnow

DAY = 86400
OLD_DAYS = 200  # older than the 90-day default
ZHANAR, PETR = "0861111111", "0862222222"


def _save(store, sender: str, events) -> None:
    tracker = DialogueStateTracker.from_events(sender, events, slots=store.domain.slots)
    asyncio.run(store.save(tracker))


@pytest.fixture
def office(database, domain, tmp_path):
    """Two subscribers, each with an old and a recent conversation (in Rasa's
    own SQL tracker store), refunds, a ticket, a consent, a callback and receipts.
    Пётр also paid 5000 ₸ to Жанар's login by mistake and said so in his chat."""
    with get_engine(database).begin() as connection:  # PostgreSQL keeps `events` between tests
        connection.execute(text("DROP TABLE IF EXISTS events"))
    store = SQLTrackerStore(domain, host=database)  # as endpoints.yml: type SQL, url ${DANA_DATABASE_URL}
    now = utcnow()
    people = {
        ZHANAR: {"name": "Жанар Төлеуова", "phone": "+77019876543", "email": "zhanar@example.kz"},
        PETR: {"name": "Пётр Иванов", "phone": "+77051112233", "email": "petr@example.kz"},
    }
    for login, who in people.items():
        who.update(old=f"old-{uuid.uuid4().hex}", new=f"new-{uuid.uuid4().hex}")
        for age, sender in ((OLD_DAYS, who["old"]), (1, who["new"])):
            at = time.time() - age * DAY
            events = [
                UserUttered(f"мой логин {login}, меня зовут {who['name']}, почта {who['email']}", timestamp=at),
                SlotSet("login", login, timestamp=at),
                SlotSet("full_name", who["name"], timestamp=at),
                SlotSet("phone_number", who["phone"], timestamp=at),
                SlotSet("email", who["email"], timestamp=at),
                BotUttered("Спасибо", timestamp=at + 1),
            ]
            if login == PETR and age == 1:
                events.append(UserUttered(f"ошибочно оплатил на {ZHANAR}", timestamp=at + 2))
            _save(store, sender, events)

    receipts = tmp_path / "receipts"
    receipts.mkdir()
    old_photo, shared_photo = receipts / "old.jpg", receipts / "shared.jpg"
    for photo in (old_photo, shared_photo):
        photo.write_bytes(b"\xff\xd8\xff photo")
    with new_session() as session, session.begin():
        for login, who in people.items():
            session.add(
                Subscriber(
                    login=login, full_name=who["name"], contact_phone=who["phone"], area="Алматы", address="Абай 1"
                )
            )
        session.flush()
        for login, who in people.items():
            for age, status in ((OLD_DAYS, "done"), (OLD_DAYS, "open"), (1, "done")):
                session.add(
                    RefundRequest(
                        conversation_id=who["old"] if age == OLD_DAYS else who["new"],
                        right_login=login,
                        wrong_login="0851234572",
                        amount=12000,
                        payment_date=date(2026, 1, 5),
                        payer_name=who["name"],
                        contact_phone=who["phone"],
                        email=who["email"],
                        receipt_required=True,
                        status=status,
                        created_at=now - timedelta(days=age),
                    )
                )
            session.add(
                TechnicianTicket(
                    login=login,
                    problem="internet_down",
                    status="resolved",
                    contact_phone=who["phone"],
                    created_at=now - timedelta(days=OLD_DAYS),
                    callback_due=now,
                    visit_due=now,
                    resolve_due=now,
                )
            )
            session.add(
                Consent(
                    conversation_id=who["old"],
                    purpose="refund",
                    granted=True,
                    created_at=now - timedelta(days=OLD_DAYS),
                )
            )
            session.add(CallbackRequest(conversation_id=who["new"], phone=who["phone"], language="ru"))
        session.add(
            RefundRequest(
                conversation_id=people[PETR]["new"],
                right_login=PETR,
                wrong_login=ZHANAR,
                amount=5000,
                payment_date=date(2026, 11, 1),
                payer_name=people[PETR]["name"],
                contact_phone=people[PETR]["phone"],
                receipt_required=False,
                status="open",
                created_at=now,
            )
        )
        session.add(
            Receipt(
                conversation_id=people[ZHANAR]["old"],
                channel="telegram",
                path=str(old_photo),
                mime="image/jpeg",
                size=10,
                sha256="ab" * 32,
                created_at=now - timedelta(days=OLD_DAYS),
            )
        )
        # The same photo sent by both: one file on disk (receipts are stored by sha256).
        for login in people:
            session.add(
                Receipt(
                    conversation_id=people[login]["new"],
                    channel="telegram",
                    path=str(shared_photo),
                    mime="image/jpeg",
                    size=10,
                    sha256="cd" * 32,
                    created_at=now,
                )
            )
    return {"store": store, "people": people, "old_photo": old_photo, "shared_photo": shared_photo}


def _senders(database) -> set[str]:
    with get_engine(database).connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT DISTINCT sender_id FROM events"))}


def _personal(database) -> str:
    """Every back-office row and every tracker event, as one text to search."""
    from bot.office.cli import LISTINGS, _as_dict

    with new_session(database) as session:
        rows = [_as_dict(r) for model in LISTINGS.values() for r in session.query(model).all()]
        rows += [_as_dict(r) for r in session.query(Receipt).all()]
    with get_engine(database).connect() as connection:
        events = [json.loads(d) for (d,) in connection.execute(text("SELECT data FROM events"))]
    return json.dumps([rows, events], ensure_ascii=False, default=str)


def test_purge_removes_old_conversations_and_personal_data_only(office, database, capsys):
    people = office["people"]
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "conversations: 2" in out and "refunds anonymised: 2" in out
    assert not any(who["name"] in out or who["phone"] in out for who in people.values())
    for who in people.values():
        assert asyncio.run(office["store"].retrieve(who["old"])) is None
        recent = asyncio.run(office["store"].retrieve(who["new"]))
        assert recent.get_slot("phone_number") == who["phone"] and recent.latest_message.text
    assert not office["old_photo"].exists() and office["shared_photo"].exists()
    with new_session() as session:
        refunds = session.query(RefundRequest).all()
        old_done = [r for r in refunds if r.status == "done" and r.conversation_id.startswith("old-")]
        assert len(old_done) == 2 and all(
            r.payer_name == "[erased]"
            and r.contact_phone == "[erased]"
            and r.email is None
            and r.amount == 12000
            and r.payment_date == date(2026, 1, 5)
            for r in old_done
        )
        still_open = [r for r in refunds if r.status == "open"]
        assert len(still_open) == 3
        assert all(r.payer_name in ("Жанар Төлеуова", "Пётр Иванов") for r in still_open)
        recent = [r for r in refunds if r.conversation_id.startswith("new-")]
        assert recent and all(r.contact_phone.startswith("+7") for r in recent)
        assert session.query(Consent).count() == 0 and session.query(CallbackRequest).count() == 2
        assert all(t.contact_phone is None for t in session.query(TechnicianTicket).all())
    # Done already: a second run finds nothing more to do.
    assert main(["purge"]) == 0
    assert "conversations: 0" in capsys.readouterr().out


def test_purge_dry_run_changes_nothing(office, database, capsys):
    before = _personal(database)
    assert main(["purge", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would remove" in out and "conversations: 2" in out
    assert _personal(database) == before and office["old_photo"].exists()


def test_purge_older_than_days_chooses_the_cutoff(office, database, capsys):
    assert main(["purge", "--older-than-days", "365"]) == 0
    assert "conversations: 0" in capsys.readouterr().out
    assert len(_senders(database)) == 4


def test_export_holds_the_subscriber_and_nobody_else(office, capsys, tmp_path):
    out_file = tmp_path / "export.json"
    assert main(["export-subscriber", ZHANAR, "--out", str(out_file)]) == 0
    assert ZHANAR not in capsys.readouterr().out
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert data["subscriber"]["full_name"] == "Жанар Төлеуова"
    assert data["subscriber"]["created_at"].startswith(str(utcnow().year))
    assert len(data["tickets"]) == 1 and len(data["receipts"]) == 2 and len(data["consents"]) == 1
    assert len(data["callbacks"]) == 1 and data["callbacks"][0]["phone"] == "+77019876543"
    # Her three refunds, and Пётр's payment to her login without his name, phone or chat.
    assert sorted(r["amount"] for r in data["refunds"]) == [5000, 12000, 12000, 12000]
    assert set(data["conversations"]) == {office["people"][ZHANAR]["old"], office["people"][ZHANAR]["new"]}
    texts = [e.get("text") or "" for events in data["conversations"].values() for e in events]
    assert any(ZHANAR in t and "Жанар" in t for t in texts)
    times = [e["time"] for events in data["conversations"].values() for e in events]
    assert times and all(t.startswith("20") and "T" in t for t in times)
    dumped = out_file.read_text(encoding="utf-8")
    assert "Пётр" not in dumped and PETR not in dumped and "+77051112233" not in dumped


def test_unknown_login_is_a_clear_error(office, capsys):
    assert main(["export-subscriber", "0869999999"]) == 1
    err = capsys.readouterr().err
    assert "no subscriber" in err and "0869999999" not in err
    assert main(["erase-subscriber", "0869999999", "--yes"]) == 1


def test_erase_removes_one_subscribers_data_and_keeps_the_others(office, database, capsys):
    people = office["people"]
    assert main(["erase-subscriber", ZHANAR, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "conversations: 2" in out and ZHANAR not in out
    remaining = _personal(database)
    assert not any(clue in remaining for clue in ("Жанар", "+77019876543", "zhanar@example.kz"))
    assert _senders(database) == {people[PETR]["old"], people[PETR]["new"]}
    petr_chat = asyncio.run(office["store"].retrieve(people[PETR]["new"]))  # mentions her login: his, kept
    assert petr_chat.get_slot("login") == PETR and ZHANAR in petr_chat.latest_message.text
    assert not office["old_photo"].exists() and office["shared_photo"].exists()  # Пётр's receipt still uses it
    with new_session() as session:
        erased = session.get(Subscriber, ZHANAR)
        assert erased.full_name == "[erased]" and erased.contact_phone is None and erased.address is None
        assert session.get(Subscriber, PETR).full_name == "Пётр Иванов"
        mine = session.query(RefundRequest).filter_by(right_login=ZHANAR).all()
        assert len(mine) == 3 and all(r.payer_name == "[erased]" and r.amount == 12000 for r in mine)
        assert sorted(r.status for r in mine) == ["done", "done", "open"]
        theirs = session.query(RefundRequest).filter_by(right_login=PETR).all()
        assert len(theirs) == 4 and all(r.payer_name == "Пётр Иванов" for r in theirs)
        ticket = session.query(TechnicianTicket).filter_by(login=ZHANAR).one()
        assert ticket.contact_phone is None and ticket.status == "resolved"
        assert {c.phone for c in session.query(CallbackRequest).all()} == {"+77051112233"}


def test_erase_asks_first_and_refuses_without_a_terminal(office, database, monkeypatch, capsys):
    before = _personal(database)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["erase-subscriber", ZHANAR]) == 2
    assert "--yes" in capsys.readouterr().err
    assert _personal(database) == before


def test_erase_on_a_terminal_shows_counts_and_needs_the_login_typed(office, database, monkeypatch, capsys):
    before = _personal(database)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert main(["erase-subscriber", ZHANAR]) == 1
    out = capsys.readouterr().out
    assert "would erase" in out and "conversations: 2" in out and "cancelled" in out
    assert _personal(database) == before and office["old_photo"].exists()
    monkeypatch.setattr("builtins.input", lambda prompt: ZHANAR)
    assert main(["erase-subscriber", ZHANAR]) == 0
    assert "Жанар" not in _personal(database)


def test_ratings_outlive_their_conversation_without_its_id(office, capsys):
    """A rating keeps its mark, flow, channel, language and day for python -m bot stats;
    retention and erasure take away the conversation it was given in."""
    from bot.office.models import CsatAnswer

    people = office["people"]
    with new_session() as session, session.begin():
        for login, age in ((ZHANAR, OLD_DAYS), (ZHANAR, 1), (PETR, 1)):
            sender = people[login]["old" if age == OLD_DAYS else "new"]
            session.add(CsatAnswer(conversation_id=sender, rating=5, flow="refund", channel="telegram",
                                   language="ru", created_at=utcnow() - timedelta(days=age)))

    def linked() -> list:
        with new_session() as session:
            return sorted(r.conversation_id or "-" for r in session.query(CsatAnswer).all())

    assert main(["purge"]) == 0
    assert "ratings anonymised: 1" in capsys.readouterr().out
    assert linked() == sorted(["-", people[ZHANAR]["new"], people[PETR]["new"]])
    assert main(["export-subscriber", ZHANAR]) == 0
    assert [r["conversation_id"] for r in json.loads(capsys.readouterr().out)["ratings"]] == [people[ZHANAR]["new"]]
    assert main(["erase-subscriber", ZHANAR, "--yes"]) == 0
    assert "ratings anonymised: 1" in capsys.readouterr().out
    assert linked() == sorted(["-", "-", people[PETR]["new"]])
    with new_session() as session:
        assert [r.rating for r in session.query(CsatAnswer).all()] == [5, 5, 5]
