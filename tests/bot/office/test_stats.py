"""python -m bot stats on a known set of conversations, stored as Rasa stores them."""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import ASTANA
from bot.office import csat
from bot.office.cli import main
from bot.office.stats import report
from bot.server.tracker_store import DanaTrackerStore

DAY1, DAY2 = date(2026, 12, 1), date(2026, 12, 2)


class Talk:
    """Events of one sender, a minute apart, from an Astana time on."""

    def __init__(self, day: date, hour: int, channel: str, language: str) -> None:
        self.clock = datetime(day.year, day.month, day.day, hour, 0, tzinfo=ASTANA).timestamp()
        self.channel, self.events = channel, []
        self.session()
        self.add(SlotSet("language", language))

    def add(self, event):
        self.clock += 60
        event.timestamp = self.clock
        self.events.append(event)
        return self

    def session(self):
        return self.add(ActionExecuted("action_session_start")).add(SessionStarted()).add(ActionExecuted("action_listen"))

    def says(self, text, intent, *answers, message_id=True):
        self.add(UserUttered(text, {"name": intent, "confidence": 0.9}, input_channel=self.channel,
                             message_id=f"m{len(self.events)}" if message_id else None))
        for action, response in answers:
            self.add(ActionExecuted(action))
            if response:
                self.add(BotUttered("…", metadata={"utter_action": response}))
        return self.add(ActionExecuted("action_listen"))

    def hands_off(self, pause=True):
        self.add(ActionExecuted("action_handoff"))
        self.add(BotUttered("…", metadata={"utter_action": "utter_handoff"}))
        self.add(BotUttered(None, data={"custom": {"handoff": {"reason": "requested"}}}))
        if pause:
            self.add(ConversationPaused())
        return self.add(ActionExecuted("action_listen"))


def _store(domain, database, conversations: dict) -> None:
    store = DanaTrackerStore(domain, host=database)
    for sender, talk in conversations.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, talk.events, slots=domain.slots)))


def _rate(rating, flow, channel, language, day, hour=18):
    csat.record(conversation_id=f"{channel}:x", rating=rating, flow=flow, channel=channel, language=language,
                now=datetime(day.year, day.month, day.day, hour, tzinfo=ASTANA))


@pytest.fixture
def two_days(domain, database):
    """Day 1: a Telegram chat in Kazakh with one miss (NLU fallback) in three messages;
    a widget chat in Russian handed to an operator, who then has it (the message
    sent to them is not Dana's); another Telegram chat whose first message went to
    Rasa's own fallback. Day 2: the first Telegram customer again, a new session
    (with a turn Dana put back herself after a language choice); a call in Russian
    transferred (no pause on the phone). The day before: one more, outside the period."""
    first = (Talk(DAY1, 10, "telegram", "kk")
             .says("сәлем", "greet", ("utter_greet", "utter_greet"))
             .says("интернет жоқ", "internet_down", ("diagnostics_form", "utter_ask_login"))
             .says("ффф", "nlu_fallback", ("utter_default", "utter_default")))
    first.clock = datetime(2026, 12, 2, 9, tzinfo=ASTANA).timestamp()
    first.session().add(SlotSet("language", "kk"))
    first.says("қазақша", "switch_language", ("action_language_switched", "utter_language_chosen"))
    first.says("рахмет", "thank", ("utter_thank", "utter_thank"), message_id=False)
    conversations = {
        "telegram:1": first,
        "socketio:2": (Talk(DAY1, 11, "socketio", "ru").says("соедините с оператором", "request_human")
                       .hands_off().says("алло, вы тут?", "greet")),
        "telegram:3": (Talk(DAY1, 12, "telegram", "kk")
                       .says("ыыы", "out_of_scope", ("action_default_fallback", "utter_default"))
                       .add(UserUtteranceReverted())
                       .says("маған қоңырау шалыңыз", "request_callback", ("action_callback_window", None))),
        "voice:4": Talk(DAY2, 15, "voice", "ru").says("оператор", "request_human").hands_off(pause=False),
        "telegram:5": Talk(date(2026, 11, 30), 20, "telegram", "ru").says("привет", "greet"),
    }
    conversations["socketio:2"].add(ConversationResumed())
    _store(domain, database, conversations)
    _rate(5, "technician", "telegram", "kk", DAY1)
    _rate(4, "callback", "telegram", "kk", DAY1)
    _rate(2, "handoff", "socketio", "ru", DAY1)
    _rate(3, "refund", "voice", "ru", DAY2)
    _rate(1, "refund", "voice", "ru", date(2026, 11, 30))
    return database


def test_each_day_channel_and_language(two_days):
    figures = report(DAY1, DAY2)
    rows = {(r["day"], r["channel"], r["language"]): r for r in figures["rows"]}
    assert rows[("2026-12-01", "telegram", "kk")] == {
        "day": "2026-12-01", "channel": "telegram", "language": "kk",
        "conversations": 2, "contained": 1.0, "handed_off": 0.0,
        "turns": 5, "fallback": 0.4,  # «ффф» and «ыыы» of 3 + 2 messages
        "csat_answers": 2, "csat_mean": 4.5, "csat_satisfied": 1.0,
    }
    assert rows[("2026-12-01", "socketio", "ru")] == {
        "day": "2026-12-01", "channel": "socketio", "language": "ru",
        "conversations": 1, "contained": 0.0, "handed_off": 1.0,
        "turns": 1, "fallback": 0.0,  # «алло, вы тут?» went to the operator
        "csat_answers": 1, "csat_mean": 2.0, "csat_satisfied": 0.0,
    }
    assert rows[("2026-12-02", "telegram", "kk")]["turns"] == 1  # the turn put back is no message
    assert rows[("2026-12-02", "voice", "ru")] == {
        "day": "2026-12-02", "channel": "voice", "language": "ru",
        "conversations": 1, "contained": 0.0, "handed_off": 1.0, "turns": 1, "fallback": 0.0,
        "csat_answers": 1, "csat_mean": 3.0, "csat_satisfied": 0.0,
    }
    assert len(rows) == 4  # 30 November is outside
    assert figures["total"] == {
        "conversations": 5, "contained": 0.6, "handed_off": 0.4, "turns": 8, "fallback": 0.25,
        "csat_answers": 4, "csat_mean": 3.5, "csat_satisfied": 0.5,
    }


def test_grouped_by_one_dimension(two_days):
    rows = report(DAY1, DAY2, by=["channel"])["rows"]
    assert [(r["channel"], r["conversations"], r["handed_off"], r["csat_answers"]) for r in rows] == [
        ("socketio", 1, 1.0, 1), ("telegram", 3, 0.0, 2), ("voice", 1, 1.0, 1)]
    assert [(r["day"], r["conversations"]) for r in report(DAY1, DAY2, by=["day"])["rows"]] == [
        ("2026-12-01", 3), ("2026-12-02", 2)]


def test_the_command_prints_a_table_and_json(two_days, capsys):
    assert main(["stats", "--since", "2026-12-01", "--until", "2026-12-02", "--by", "language"]) == 0
    table = capsys.readouterr().out
    assert "2026-12-01 – 2026-12-02" in table and "CSAT 4–5" in table
    lines = {line.split()[0]: line.split() for line in table.splitlines()[3:]}
    assert lines["kk"][1:] == ["3", "100.0%", "0.0%", "6", "33.3%", "2", "4.50", "100.0%"]
    assert lines["total"][1:] == ["5", "60.0%", "40.0%", "8", "25.0%", "4", "3.50", "50.0%"]
    assert main(["stats", "--since", "2026-12-02", "--until", "2026-12-02", "--by", "day", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["rows"] == [{"day": "2026-12-02", **figures["total"]}]
    assert figures["total"]["conversations"] == 2 and figures["total"]["csat_mean"] == 3.0
    assert main(["list", "ratings", "--json"]) == 0  # the answers themselves
    listed = json.loads(capsys.readouterr().out)
    assert [(r["rating"], r["flow"], r["channel"]) for r in listed][:2] == [(5, "technician", "telegram"),
                                                                            (4, "callback", "telegram")]


def test_no_conversations_yet(database, capsys):
    assert main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["rows"] == [] and figures["total"]["conversations"] == 0 and figures["total"]["contained"] is None
    assert main(["stats", "--since", "2026-12-02", "--until", "2026-12-01"]) == 2
