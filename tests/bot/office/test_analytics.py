"""The console's analytics (bot/office/analytics.py) on a known set of conversations,
ratings and requests; the CSV; labelling a missed message for the next training."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from sqlalchemy import select

from bot.config import ASTANA
from bot.office import analytics
from bot.office.db import new_session
from bot.office.models import CallbackRequest, PaymentInvestigation, RefundRequest, StaffAction, Subscriber
from bot.office.technician import file_ticket
from tests.bot.office.test_stats import Talk, _rate, _store

DAY0, DAY1, DAY2, DAY3 = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=ASTANA)
PHONE = "+7 705 321 98 76"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ASTANA)


def _status(session, kind, row, status, when):
    row.status = status
    session.add(StaffAction(at=when, staff="op1", action=f"status:{status}", target=f"{kind}:{row.id}"))


@pytest.fixture
def three_days(domain, database):
    """1 December: a Telegram chat in Kazakh (3 messages, one not understood), a
    widget chat in Russian handed to an operator (what the customer then writes
    to the operator is not Dana's). 2 December: nothing said, an investigation
    filed. 3 December: a Telegram chat in Russian (3 messages, two not
    understood: «ффф» again and one with a phone number), a call in Russian
    transferred. 30 November: a chat, a rating and a callback outside the range."""
    conversations = {
        "telegram:1": (
            Talk(DAY1, 10, "telegram", "kk")
            .says("сәлем", "greet", ("utter_greet", "utter_greet"))
            .says("интернет жоқ", "internet_down", ("diagnostics_form", "utter_ask_login"))
            .says("ффф", "nlu_fallback", ("utter_default", "utter_default"))
        ),
        "socketio:2": (
            Talk(DAY1, 11, "socketio", "ru")
            .says("соедините с оператором", "request_human")
            .hands_off()
            .says("алло, вы тут?", "greet")
        ),
        "telegram:3": (
            Talk(DAY3, 12, "telegram", "ru")
            .says("привет", "greet", ("utter_greet", "utter_greet"))
            .says("ффф", "nlu_fallback", ("utter_default", "utter_default"))
            .says(f"позвоните {PHONE} срочно", "nlu_fallback", ("utter_default", "utter_default"))
        ),
        "voice:4": Talk(DAY3, 15, "voice", "ru").says("оператор", "request_human").hands_off(pause=False),
        "telegram:5": Talk(DAY0, 20, "telegram", "ru").says("привет", "greet"),
    }
    _store(domain, database, conversations)
    _rate(5, "technician", "telegram", "kk", DAY1)
    _rate(2, "refund", "socketio", "ru", DAY1)
    _rate(4, "technician", "telegram", "ru", DAY3)
    _rate(3, None, "voice", "ru", DAY3)
    _rate(1, "callback", "telegram", "ru", DAY0)
    with new_session() as session, session.begin():
        for login in ("0851234567", "0851234568"):
            session.add(Subscriber(login=login, full_name="Асанов Асан", area="Алматы"))
        session.flush()
        # Scheduled within the hour, resolved a day late.
        t1, _ = file_ticket(
            session,
            login="0851234567",
            problem="internet_down",
            contact_phone="+77011234567",
            channel="telegram",
            language="kk",
            now=at(DAY1, 10),
        )
        _status(session, "tickets", t1, "scheduled", at(DAY1, 11))
        _status(session, "tickets", t1, "resolved", at(date(2026, 12, 4), 11))
        # Nobody has called: callback and visit overdue, resolution not yet due.
        file_ticket(
            session,
            login="0851234568",
            problem="internet_slow",
            contact_phone="+77021234568",
            channel="voice",
            language="ru",
            now=at(DAY3, 9),
        )
        refund = RefundRequest(
            conversation_id="telegram:1",
            right_login="0851234567",
            wrong_login="0851234577",
            amount=5000,
            payment_date=DAY1,
            payer_name="Асанов Асан",
            contact_phone="+77011234567",
            receipt_required=True,
            channel="telegram",
            created_at=at(DAY1, 12),
        )
        session.add_all(
            [
                refund,
                PaymentInvestigation(
                    conversation_id="x:1",
                    login="0851234567",
                    payment_date=DAY1,
                    amount=3000,
                    partner="Kaspi",
                    contact_phone="+77011234567",
                    channel="telegram",
                    created_at=at(DAY2, 10),
                    answer_due=at(date(2026, 12, 5), 10),
                ),
            ]
        )
        called = CallbackRequest(conversation_id="x:2", phone="+77011234567", language="ru", created_at=at(DAY3, 10))
        session.add_all(
            [
                called,
                CallbackRequest(conversation_id="x:3", phone="+77011234567", language="ru", created_at=at(DAY3, 11)),
                CallbackRequest(conversation_id="x:4", phone="+77011234567", language="ru", created_at=at(DAY0, 11)),
            ]
        )
        session.flush()
        _status(session, "refunds", refund, "approved", at(DAY2, 12))
        _status(session, "callbacks", called, "called", at(DAY3, 13))  # an hour after it was due
    return database


def test_conversations_per_day_channel_and_language_with_zeros(three_days):
    figures = analytics.report(DAY1, DAY3, now=NOW)
    assert (figures["since"], figures["until"]) == ("2026-12-01", "2026-12-03")
    counts = {(r["day"], r["channel"], r["language"]): r["conversations"] for r in figures["per_day"]}
    assert len(figures["per_day"]) == 3 * 4  # each day × each channel and language seen
    assert {k: v for k, v in counts.items() if v} == {
        ("2026-12-01", "telegram", "kk"): 1,
        ("2026-12-01", "socketio", "ru"): 1,
        ("2026-12-03", "telegram", "ru"): 1,
        ("2026-12-03", "voice", "ru"): 1,
    }
    assert [k for k, v in counts.items() if k[0] == "2026-12-02"] == [
        ("2026-12-02", "socketio", "ru"),
        ("2026-12-02", "telegram", "kk"),
        ("2026-12-02", "telegram", "ru"),
        ("2026-12-02", "voice", "ru"),
    ]
    assert figures["totals"] == {
        "conversations": 4,
        "contained": 0.5,
        "handed_off": 0.5,
        "fallback": 0.375,
        "messages": 8,  # «ффф», «ффф», the phone: 3 of 3 + 1 + 3 + 1
        "csat_answers": 4,
        "csat_mean": 3.5,
        "csat_satisfied": 0.5,
    }
    assert figures["rates_per_day"] == [
        {"day": "2026-12-01", "contained": 0.5, "handed_off": 0.5, "fallback": 0.25},
        {"day": "2026-12-02", "contained": None, "handed_off": None, "fallback": None},
        {"day": "2026-12-03", "contained": 0.5, "handed_off": 0.5, "fallback": 0.5},
    ]
    assert figures["intents"] == [
        {"intent": "nlu_fallback", "count": 3},
        {"intent": "greet", "count": 2},
        {"intent": "request_human", "count": 2},
        {"intent": "internet_down", "count": 1},
    ]


def test_misses_csat_by_flow_and_requests(three_days):
    figures = analytics.report(DAY1, DAY3, now=NOW)
    misses = {m["example"]: m for m in figures["misses"]}
    assert misses["ффф"] == {
        "example": "ффф",
        "count": 2,
        "guess": "nlu_fallback",
        "last_seen": misses["ффф"]["last_seen"],
    }
    assert misses["ффф"]["last_seen"].startswith("2026-12-03T12:")
    assert len(misses) == 2 and all(PHONE not in m and "321" not in m for m in misses)
    assert "позвоните [+7 701 000 00 00](phone_number) срочно" in misses
    assert figures["csat_by_flow"] == [
        {"flow": "technician", "answers": 2, "mean": 4.5, "satisfied": 1.0},
        {"flow": "refund", "answers": 1, "mean": 2.0, "satisfied": 0.0},
        {"flow": "payment_check", "answers": 0, "mean": None, "satisfied": None},
        {"flow": "callback", "answers": 0, "mean": None, "satisfied": None},  # 30 November's is outside
        {"flow": "handoff", "answers": 0, "mean": None, "satisfied": None},
        {"flow": None, "answers": 1, "mean": 3.0, "satisfied": 0.0},
    ]
    kinds = {r["kind"]: r for r in figures["requests"]}
    tickets = kinds["tickets"]
    assert {k: tickets[k] for k in ("filed", "met", "late", "overdue", "pending", "met_share")} == {
        "filed": 2,
        "met": 2,
        "late": 1,
        "overdue": 2,
        "pending": 1,
        "met_share": 0.4,
    }
    assert [
        (d["deadline"], d["met"], d["late"], d["overdue"], d["pending"], d["met_share"]) for d in tickets["by_deadline"]
    ] == [("callback", 1, 0, 1, 0, 0.5), ("visit", 1, 0, 1, 0, 0.5), ("resolve", 0, 1, 0, 1, 0.0)]
    assert {k: kinds["refunds"][k] for k in ("filed", "met", "met_share")} == {"filed": 1, "met": 1, "met_share": 1.0}
    assert {k: kinds["investigations"][k] for k in ("filed", "pending", "met_share")} == {
        "filed": 1,
        "pending": 1,
        "met_share": None,
    }
    assert {k: kinds["callbacks"][k] for k in ("filed", "met", "late", "overdue", "met_share")} == {
        "filed": 2,
        "met": 0,
        "late": 1,
        "overdue": 1,
        "met_share": 0.0,
    }
    filed = {(r["day"], r["kind"]): r["filed"] for r in figures["requests_per_day"]}
    assert len(filed) == 3 * 4 and sum(filed.values()) == 6
    assert {k: v for k, v in filed.items() if v} == {
        ("2026-12-01", "tickets"): 1,
        ("2026-12-01", "refunds"): 1,
        ("2026-12-02", "investigations"): 1,
        ("2026-12-03", "tickets"): 1,
        ("2026-12-03", "callbacks"): 2,
    }


def test_a_range_with_nothing_in_it(database):
    figures = analytics.report(DAY1, DAY2, now=NOW)
    assert figures["per_day"] == [
        {"day": "2026-12-01", "channel": None, "language": None, "conversations": 0},
        {"day": "2026-12-02", "channel": None, "language": None, "conversations": 0},
    ]
    assert figures["totals"]["conversations"] == 0 and figures["totals"]["contained"] is None
    assert figures["intents"] == [] and figures["misses"] == []
    assert all(r["filed"] == 0 and r["met_share"] is None for r in figures["requests"])
    with pytest.raises(ValueError):
        analytics.report(DAY2, DAY1)


def _sections(text: str) -> dict:
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    sections, current = {"title": rows[0]}, None
    for row in rows[1:]:
        if not row:
            current = None
        elif current is None:
            current = row[0]
            sections[current] = []
        else:
            sections[current].append(row)
    return sections


def test_csv_parses_back(three_days):
    figures = analytics.report(DAY1, DAY3, now=NOW)
    figures["misses"].append(
        {"example": '=HYPERLINK("http://x", "a, b")', "count": 1, "last_seen": None, "guess": "greet"}
    )
    sections = _sections(analytics.to_csv(figures))
    assert sections["title"] == ["Dana", "since", "2026-12-01", "until", "2026-12-03", "Astana time"]
    header, *rows = sections["per_day"]
    assert header == ["day", "channel", "language", "conversations"] and len(rows) == 12
    assert ["2026-12-01", "telegram", "kk", "1"] in rows and ["2026-12-02", "voice", "ru", "0"] in rows
    header, total = sections["totals"]
    assert dict(zip(header, total, strict=True)) == {
        "conversations": "4",
        "contained": "0.5",
        "handed_off": "0.5",
        "fallback": "0.375",
        "messages": "8",
        "csat_answers": "4",
        "csat_mean": "3.5",
        "csat_satisfied": "0.5",
    }
    assert sections["rates_per_day"][2] == ["2026-12-02", "", "", ""]
    assert sections["intents"][1] == ["nlu_fallback", "3"]
    examples = [row[0] for row in sections["misses"][1:]]
    assert "ффф" in examples and '\'=HYPERLINK("http://x", "a, b")' in examples  # no formula in Excel
    header, *kinds = sections["requests"]
    assert header == ["kind", "deadline", "filed", "met", "late", "overdue", "pending", "met_share"]
    assert kinds[0] == ["tickets", "all", "2", "2", "1", "2", "1", "0.4"]
    assert kinds[1] == ["tickets", "callback", "", "1", "0", "1", "0", "0.5"]
    assert ["investigations", "all", "1", "0", "0", "0", "1", ""] in kinds
    assert ["2026-12-03", "callbacks", "2"] in sections["requests_per_day"]
    assert sections["csat_by_flow"][-1] == ["", "1", "3.0", "0.0"]


# --- labelling -------------------------------------------------------------------


def _blocks(path):
    return [
        (b["intent"], (b.get("metadata") or {}).get("language"), b["examples"].splitlines())
        for b in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
    ]


def test_label_writes_rasa_yaml_once_per_example(database, tmp_path):
    path = tmp_path / "labelled.yml"
    assert analytics.label("интернет жоқ", "internet_down", "sup1", path) == path
    analytics.label("  Интернет   ЖОҚ ", "internet_down", "sup1", path)  # the same example: written once
    analytics.label("интернет не работает", "internet_down", "sup2", path)
    analytics.label(f"мой номер {PHONE}, логин [0861234511](login)", "request_callback", "sup2", path)
    analytics.label("ок", "affirm", "sup2", path, language="ru")
    assert _blocks(path) == [
        ("internet_down", "kk", ["- интернет жоқ"]),
        ("affirm", "ru", ["- ок"]),
        ("internet_down", "ru", ["- интернет не работает"]),
        ("request_callback", "ru", ["- мой номер +0 000 000 00 00, логин [0851234567](login)"]),
    ]
    data = load_data(str(path))
    assert sorted((m.get("intent"), m.get("text")) for m in data.intent_examples) == [
        ("affirm", "ок"),
        ("internet_down", "интернет жоқ"),
        ("internet_down", "интернет не работает"),
        ("request_callback", "мой номер +0 000 000 00 00, логин 0851234567"),
    ]
    assert [m.get("metadata") for m in data.intent_examples if m.get("text") == "интернет жоқ"] == [
        {"intent": {"language": "kk"}}
    ]
    logins = [e for m in data.intent_examples for e in m.get("entities") or []]
    assert [(e["entity"], e["value"]) for e in logins] == [("login", "0851234567")]
    text = path.read_text(encoding="utf-8")
    assert "# --- Kazakh (kk) ---" in text and "# --- Russian (ru) ---" in text and "add_nlu_examples.py" in text
    with new_session() as session:
        done = session.execute(select(StaffAction).where(StaffAction.action == "label")).scalars().all()
    assert [(a.staff, a.target) for a in done] == [
        ("sup1", "nlu:kk:internet_down"),
        ("sup1", "nlu:kk:internet_down"),
        ("sup2", "nlu:ru:internet_down"),
        ("sup2", "nlu:ru:request_callback"),
        ("sup2", "nlu:ru:affirm"),
    ]


def test_label_moves_an_example_labelled_again(database, tmp_path):
    path = tmp_path / "labelled.yml"
    analytics.label("интернет жоқ", "internet_down", "sup1", path)
    analytics.label("интернет жоқ", "internet_slow", "sup1", path)
    assert _blocks(path) == [("internet_slow", "kk", ["- интернет жоқ"])]


def test_label_refuses_what_it_cannot_write(database, tmp_path):
    path = tmp_path / "labelled.yml"
    for example, intent, reason in [
        ("интернет жоқ", "no_such_intent", "unknown_intent"),
        ("интернет жоқ", "nlu_fallback", "unknown_intent"),
        ("   ", "greet", "no_example"),
        ("ok", "affirm", "unknown_language"),
    ]:
        with pytest.raises(ValueError, match=reason):
            analytics.label(example, intent, "sup1", path)
    with pytest.raises(ValueError, match="unknown_language"):
        analytics.label("ok", "affirm", "sup1", path, language="en")
    assert not path.exists()
    path.write_text("nlu: [unclosed", encoding="utf-8")
    with pytest.raises(ValueError, match="unreadable_file"):
        analytics.label("интернет жоқ", "internet_down", "sup1", path)


def test_label_default_file_and_the_add_script(database, tmp_path, monkeypatch):
    """The labelled file is what scripts/add_nlu_examples.py takes: each example
    goes to its language's topic file, a language the label named included."""
    monkeypatch.setenv("DANA_LABELLED_FILE", str(tmp_path / "var" / "labelled.yml"))
    written = analytics.label("интернет жоқ", "internet_down", "sup1")
    analytics.label("интернет не работает", "internet_down", "sup1")
    analytics.label("ок", "affirm", "sup1", language="kk")  # the detector cannot tell: the label says
    assert written == tmp_path / "var" / "labelled.yml"
    from scripts import add_nlu_examples as add

    for lang in ("kk", "ru"):
        (tmp_path / "nlu" / lang).mkdir(parents=True)
        (tmp_path / "nlu" / lang / "diagnostics.yml").write_text(
            f'version: "3.1"\nnlu:\n- intent: internet_down\n  metadata: {{language: {lang}}}\n'
            "  examples: |\n    - нет\n"
        )
    monkeypatch.setattr(add, "ROOT", tmp_path)
    monkeypatch.setattr(sys, "argv", ["add", str(written), "--lang", "auto"])
    assert add.main() == 0
    kk = load_data(str(tmp_path / "nlu" / "kk" / "diagnostics.yml"))
    ru = load_data(str(tmp_path / "nlu" / "ru" / "diagnostics.yml"))
    assert [m.get("text") for m in kk.intent_examples] == ["нет", "интернет жоқ"]
    assert [m.get("text") for m in ru.intent_examples] == ["нет", "интернет не работает"]
    general = load_data(str(tmp_path / "nlu" / "kk" / "general.yml"))
    assert [(m.get("intent"), m.get("text")) for m in general.intent_examples] == [("affirm", "ок")]
