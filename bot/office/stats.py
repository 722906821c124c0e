"""``python -m bot stats``: how Dana's conversations went, per day, channel and language.

Conversations are read from Rasa's tracker store (table ``events``, the same
database as the back office) with plain SQL; ratings from ``csat_answers``
(bot/office/csat.py).

- A **conversation** is one session of one sender (Rasa starts a new one after
  ``session_config``'s idle minutes) with a customer message in the period.
  Its day (Astana) and channel are its first customer message's; its language
  the last one the ``language`` slot took.
- **Handed off**: Dana passed it to an operator — a message carrying the
  hand-off signal (``{"handoff": …}``, actions/handoff.py) or a pause
  (``ConversationPaused``). **Contained**: the others.
- **Fallback**: a customer message Dana did not understand — NLU said
  ``nlu_fallback``, or Dana answered ``utter_default`` (the first miss, Rasa's
  ``action_default_fallback``, a long message with no topic to offer), or
  ``action_default_fallback`` ran. The share is of the messages Dana answered:
  those sent while an operator had the conversation, and turns Dana injected
  herself (no message id), are not counted. ``choose_topic`` (two or more
  topics offered) is a question back, not a miss.
- **CSAT**: the answers given in the period (by their own day, channel and
  language): how many, their mean, and the share of ``LIMITS.csat_satisfied_from``
  and above («4–5»).
- **Intents** (``Conversation.intents``, for bot/office/analytics.py): what NLU
  made of the customer messages Dana answered (``nlu_fallback`` included).

This module is the back office's one reader of conversations in ``events``:
``conversations`` for the figures, ``languages`` for a request's conversation.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from bot.config import ASTANA, DEFAULT_LANGUAGE, LANGUAGES, LIMITS
from bot.office.csat import answers
from bot.office.db import get_engine
from bot.office.models import RASA_EVENTS

DIMENSIONS = ("day", "channel", "language")
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_RESPONSE = "utter_default"
FALLBACK_ACTION = "action_default_fallback"
DEFAULT_CHANNEL = "rest"  # as actions/conversation.py: a message with no input channel came over REST

# Event kinds that matter here; their JSON is parsed only where the columns do not say enough.
_KINDS = ("user", "bot", "action", "slot", "session_started", "pause", "resume")


@dataclass
class Conversation:
    started: float  # unix time of the first customer message
    channel: str
    language: str
    handed_off: bool = False
    turns: int = 0  # customer messages Dana answered
    fallbacks: int = 0  # … of which she did not understand
    intents: Counter = field(default_factory=Counter)  # of those messages, by the intent NLU gave

    @property
    def day(self) -> str:
        return datetime.fromtimestamp(self.started, ASTANA).date().isoformat()


@dataclass
class _Session:
    """One sender's session while it is read."""

    language: str
    conversation: Optional[Conversation] = None
    paused: bool = False
    missed: bool = False  # the current turn went to the fallback

    def end_turn(self) -> None:
        if self.conversation is not None and self.missed:
            self.conversation.fallbacks += 1
        self.missed = False


def _rows(since: datetime, until: datetime, url: Optional[str]) -> Iterator[sa.engine.Row]:
    engine = get_engine(url)
    if not sa.inspect(engine).has_table("events"):
        return  # no conversation stored yet
    query = (
        sa.select(RASA_EVENTS)
        .where(
            RASA_EVENTS.c.type_name.in_(_KINDS),
            RASA_EVENTS.c.timestamp >= since.timestamp(),
            RASA_EVENTS.c.timestamp < until.timestamp(),
        )
        .order_by(RASA_EVENTS.c.sender_id, RASA_EVENTS.c.id)
        .execution_options(yield_per=1000)
    )
    with engine.connect() as connection:
        yield from connection.execute(query)


def _data(row: sa.engine.Row) -> Dict[str, Any]:
    try:
        data = json.loads(row.data or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read(session: _Session, row: sa.engine.Row) -> None:
    """One event of the session's sender, in order."""
    kind = row.type_name
    if kind == "pause":
        session.paused = True
        if session.conversation is not None:
            session.conversation.handed_off = True
    elif kind == "resume":
        session.paused = False
    elif kind == "slot":
        data = _data(row)
        if data.get("name") == "language" and data.get("value") in LANGUAGES:
            session.language = data["value"]
            if session.conversation is not None:
                session.conversation.language = session.language
    elif kind == "user":
        data = _data(row)
        if not data.get("message_id"):
            return  # put back by an action (a language choice, an external intent), not sent
        session.end_turn()
        if session.conversation is None:
            channel = data.get("input_channel") or DEFAULT_CHANNEL
            session.conversation = Conversation(row.timestamp, channel, session.language)
        if not session.paused:
            session.conversation.turns += 1
            session.missed = row.intent_name == FALLBACK_INTENT
            if row.intent_name:
                session.conversation.intents[row.intent_name] += 1
    elif kind == "action" and row.action_name == FALLBACK_ACTION and not session.paused:
        session.missed = True
    elif kind == "bot" and session.conversation is not None:
        data = _data(row)
        custom = (data.get("data") or {}).get("custom")
        if isinstance(custom, dict) and "handoff" in custom:
            session.conversation.handed_off = True
        if (data.get("metadata") or {}).get("utter_action") == FALLBACK_RESPONSE and not session.paused:
            session.missed = True


def conversations(since: datetime, until: datetime, url: Optional[str] = None) -> List[Conversation]:
    """The conversations whose events fall in [since, until), in sender order."""
    found: List[Conversation] = []
    sender, session = None, _Session(DEFAULT_LANGUAGE)

    def close() -> None:
        session.end_turn()
        if session.conversation is not None:
            found.append(session.conversation)

    for row in _rows(since, until, url):
        if row.sender_id != sender:
            close()
            sender, session = row.sender_id, _Session(DEFAULT_LANGUAGE)
        elif row.type_name == "session_started":
            close()
            # The new session starts unpaused (Rasa loads only the latest session);
            # its slots are copied over after this event, the language among them.
            session = _Session(session.language)
        _read(session, row)
    close()
    return found


@dataclass
class _Group:
    conversations: int = 0
    handed_off: int = 0
    turns: int = 0
    fallbacks: int = 0
    ratings: List[int] = field(default_factory=list)

    def add(self, talk: Conversation) -> None:
        self.conversations += 1
        self.handed_off += talk.handed_off
        self.turns += talk.turns
        self.fallbacks += talk.fallbacks

    def row(self) -> Dict[str, Any]:
        satisfied = [r for r in self.ratings if r >= LIMITS.csat_satisfied_from]
        return {
            "conversations": self.conversations,
            "contained": _share(self.conversations - self.handed_off, self.conversations),
            "handed_off": _share(self.handed_off, self.conversations),
            "turns": self.turns,
            "fallback": _share(self.fallbacks, self.turns),
            "csat_answers": len(self.ratings),
            "csat_mean": round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None,
            "csat_satisfied": _share(len(satisfied), len(self.ratings)),
        }


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def astana_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ASTANA)


def report(
    since: Optional[date] = None,
    until: Optional[date] = None,
    by: Sequence[str] = DIMENSIONS,
    url: Optional[str] = None,
) -> Dict[str, Any]:
    """The figures per group of ``by`` (days in Astana time, ``until`` included)
    and for the whole period. Defaults: the last ``LIMITS.stats_days`` days."""
    until = until or datetime.now(ASTANA).date()
    since = since or until - timedelta(days=LIMITS.stats_days - 1)
    by = [d for d in DIMENSIONS if d in by] or list(DIMENSIONS)
    start, end = astana_day_start(since), astana_day_start(until + timedelta(days=1))
    groups: Dict[Tuple[str, ...], _Group] = defaultdict(_Group)
    total = _Group()
    for talk in conversations(start, end, url):
        values = {"day": talk.day, "channel": talk.channel, "language": talk.language}
        for group in (groups[tuple(values[d] for d in by)], total):
            group.add(talk)
    for answer in answers(start, end, url):
        day = answer.created_at.astimezone(ASTANA).date().isoformat()
        values = {"day": day, "channel": answer.channel, "language": answer.language}
        groups[tuple(values[d] for d in by)].ratings.append(answer.rating)
        total.ratings.append(answer.rating)
    rows = [{**dict(zip(by, key, strict=True)), **groups[key].row()} for key in sorted(groups)]
    return {"since": since.isoformat(), "until": until.isoformat(), "by": by, "rows": rows, "total": total.row()}


def figures(talks: Iterable[Conversation] = (), ratings: Iterable[int] = ()) -> Dict[str, Any]:
    """The figures ``report`` gives one group, for any conversations and ratings."""
    group = _Group(ratings=list(ratings))
    for talk in talks:
        group.add(talk)
    return group.row()


def languages(conversation_ids: Iterable[Optional[str]], url: Optional[str] = None) -> Dict[str, str]:
    """The language each conversation last had (its ``language`` slot), for
    those still in the tracker store (retention deletes old ones)."""
    wanted = sorted({c for c in conversation_ids if c})
    engine = get_engine(url)
    found: Dict[str, str] = {}
    if not wanted or not sa.inspect(engine).has_table("events"):
        return found
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            query = (
                sa.select(RASA_EVENTS.c.sender_id, RASA_EVENTS.c.data)
                .where(
                    RASA_EVENTS.c.type_name == "slot",
                    RASA_EVENTS.c.sender_id.in_(wanted[start : start + 500]),
                    RASA_EVENTS.c.data.like("%language%"),  # a coarse filter; the JSON decides
                )
                .order_by(RASA_EVENTS.c.id)
            )
            for row in connection.execute(query):
                data = _data(row)
                if data.get("name") == "language" and data.get("value") in LANGUAGES:
                    found[row.sender_id] = data["value"]
    return found


# Column titles of the printed table, and how each figure is shown.
_TITLES = {
    "conversations": "conversations",
    "contained": "contained",
    "handed_off": "hand-off",
    "turns": "messages",
    "fallback": "fallback",
    "csat_answers": "CSAT n",
    "csat_mean": "CSAT mean",
    "csat_satisfied": f"CSAT {LIMITS.csat_satisfied_from}–{LIMITS.csat_highest}",
}
_SHARES = ("contained", "handed_off", "fallback", "csat_satisfied")


def _shown(name: str, value: Any) -> Any:
    if value is None:
        return "—"
    if name in _SHARES:
        return f"{value:.1%}"
    if name == "csat_mean":
        return f"{value:.2f}"
    return value


def as_table(figures: Dict[str, Any]) -> str:
    """The report as a text table, the whole period's total last."""
    from tabulate import tabulate

    by = figures["by"]
    headers = list(by) + list(_TITLES.values())
    body = [[row[d] for d in by] + [_shown(k, row[k]) for k in _TITLES] for row in figures["rows"]]
    total = figures["total"]
    body.append(["total"] + [""] * (len(by) - 1) + [_shown(k, total[k]) for k in _TITLES])
    title = f"{figures['since']} – {figures['until']} (Astana time)"
    align = ["left"] * len(by) + ["right"] * len(_TITLES)
    # Figures are shown as formatted here («4.50», «60.0%»), not re-read as numbers.
    return title + "\n" + tabulate(body, headers=headers, colalign=align, disable_numparse=True)
