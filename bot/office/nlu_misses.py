"""Customer messages Dana did not understand well, as NLU training data to label.

``python -m bot export-misses`` (docs/nlu-misses.md). Reads the ``user`` events
of Rasa's tracker store (table ``events``, same database as the back office);
a message is a miss when its intent is ``nlu_fallback`` or its confidence is
below ``LIMITS.nlu_review_confidence``. Button payloads («/affirm»), empty
texts and texts over ``LIMITS.max_message_chars`` are left out.

Personal data is masked here, before anything is returned: logins, phone
numbers, e-mails and full names that Dana's entity extractor finds become fixed
stand-ins (which it recognises again), written as entity annotations; amounts
and dates keep their text and are annotated; any other run of 5+ digits (and a
phone-like group of digits the extractor missed) becomes zeros. Names the
extractor does not recognise stay: the person labelling deletes them.
"""

from __future__ import annotations

import json
import re
import shlex
import unicodedata
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Optional

import sqlalchemy as sa

from bot.config import ASTANA, LIMITS
from bot.office.db import get_engine
from bot.office.models import RASA_EVENTS

FALLBACK_INTENT = "nlu_fallback"
# Entity → the value that replaces what the customer wrote.
STAND_INS = {
    "login": "0851234567",
    "phone_number": "+7 701 000 00 00",
    "email": "name@example.kz",
    "full_name": "Асанов Асан",
}
KEPT = ("amount", "payment_date")  # annotated, text kept
_LONG_DIGITS = re.compile(r"\d{5,}")
# Digit groups joined by spaces, hyphens or brackets, 7+ digits in all: a phone
# number the extractor did not take (it is not an amount or a date: those are annotated).
_DIGIT_GROUPS = re.compile(r"\+?\d[\d\s\-()]*\d")
_EMAIL_LIKE = re.compile(r"[^\s@()\[\]]+@[^\s@()\[\]]+\.[^\s@()\[\]]+")
_SPACES = re.compile(r"\s+")


@dataclass
class Miss:
    """One masked example and the messages behind it."""

    text: str  # masked, with entity annotations
    intent: str  # predicted intent (the one it is listed under)
    confidences: list[float] = field(default_factory=list)  # of the predicted intent, per message
    fallbacks: int = 0  # how many of the messages went to nlu_fallback
    last_seen: Optional[datetime] = None  # when the latest of the messages was sent

    @property
    def count(self) -> int:
        return len(self.confidences)


@dataclass
class Report:
    misses: list[Miss]
    since: datetime
    until: datetime

    @property
    def messages(self) -> int:
        return sum(m.count for m in self.misses)


# --- masking -----------------------------------------------------------------


def _clean(text: str) -> str:
    """One line of printable text; square brackets (Rasa's entity syntax) become round."""
    kept = []
    for char in text:
        if char.isprintable():
            kept.append(char)
        elif char.isspace() or unicodedata.category(char) == "Cc":
            kept.append(" ")
    return _SPACES.sub(" ", "".join(kept).replace("[", "(").replace("]", ")")).strip()


def _zero_digits(text: str) -> str:
    def groups(match: re.Match) -> str:
        part = match.group()
        if sum(c.isdigit() for c in part) < 7:
            return part
        return re.sub(r"\d", "0", part)

    text = _DIGIT_GROUPS.sub(groups, text)
    text = _LONG_DIGITS.sub(lambda m: "0" * len(m.group()), text)
    return _EMAIL_LIKE.sub(f"[{STAND_INS['email']}](email)", text)


def _spans(text: str, entities: Iterable[dict]) -> list[dict]:
    """Entities to write, in order, overlaps dropped (the earlier, then longer one wins)."""
    chosen: list[dict] = []
    for entity in sorted(entities, key=lambda e: (e["start"], -(e["end"] - e["start"]))):
        kind = entity.get("entity")
        if kind not in STAND_INS and kind not in KEPT:
            continue
        if chosen and entity["start"] < chosen[-1]["end"]:
            continue
        if entity["end"] > entity["start"] and text[entity["start"] : entity["end"]].strip():
            chosen.append(entity)
    return chosen


def _extractor() -> Callable[[str], list[dict]]:
    """Dana's entity extractor, imported when first needed (it loads lexicons and
    Rasa, whose import warnings are no news to someone exporting misses)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nlu.components.entity_extractor import extract_entities
    return extract_entities


def mask(text: str) -> str:
    """A customer message as a training example with no personal data left that
    Dana can recognise: stand-ins and annotations, other long numbers zeroed."""
    text = _clean(text)
    out, position = [], 0
    for entity in _spans(text, _extractor()(text)):
        start, end, kind = entity["start"], entity["end"], entity["entity"]
        out.append(_zero_digits(text[position:start]))
        value = STAND_INS.get(kind) or text[start:end].strip()
        out.append(f"[{value}]({kind})")
        position = end
    out.append(_zero_digits(text[position:]))
    return _SPACES.sub(" ", "".join(out)).strip()


# Rasa's entity marks: «[0851234567](login)» and «[қазақша]{"entity": "language", …}».
_MARK = re.compile(r"\[([^\]]+)\]\([^)]+\)|\[([^\]]+)\]\{[^}]*\}")
_ANNOTATION = re.compile(r"\[([^\]\[]+)\]\(([\w-]+)\)")


def as_example(example: str) -> str:
    """An example someone hands back (a miss labelled in the console) made safe
    to keep as training data, without the extractor: one line; outside entity
    marks, long numbers and phone-like digits become zeros and e-mails the
    stand-in, stray brackets round; a login, phone, e-mail or name mark holds
    its stand-in. What ``mask`` wrote comes back unchanged."""
    text = _SPACES.sub(" ", "".join(c if c.isprintable() else " " for c in example)).strip()

    def between(part: str) -> str:
        return _zero_digits(part.replace("[", "(").replace("]", ")"))

    out, position = [], 0
    for mark in _ANNOTATION.finditer(text):
        value, kind = mark.group(1).strip(), mark.group(2)
        if kind in STAND_INS:
            value = STAND_INS[kind]
        elif kind not in KEPT:
            value = _LONG_DIGITS.sub(lambda m: "0" * len(m.group()), value)
        out += [between(text[position : mark.start()]), f"[{value}]({kind})"]
        position = mark.end()
    out.append(between(text[position:]))
    return _SPACES.sub(" ", "".join(out)).strip()


def plain(example: str) -> str:
    """An example's text without the annotation marks."""
    return _MARK.sub(lambda m: m.group(1) or m.group(2), example)


def _key(example: str) -> str:
    return " ".join(example.lower().split())


# --- reading -----------------------------------------------------------------


def _intent_of(parse_data: dict) -> tuple[Optional[str], float, bool]:
    """(predicted intent, its confidence, went to fallback) of one message."""
    intent = parse_data.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name != FALLBACK_INTENT:
        return name, confidence, False
    for ranked in parse_data.get("intent_ranking") or []:
        if ranked.get("name") and ranked["name"] != FALLBACK_INTENT:
            return ranked["name"], float(ranked.get("confidence") or 0.0), True
    return None, 0.0, True


def _is_miss(event: dict) -> Optional[tuple[str, str, float, bool]]:
    """(text, predicted intent, confidence, fallback) when the message is one to review."""
    text = event.get("text")
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
        return None
    if len(text) > LIMITS.max_message_chars:
        return None
    intent, confidence, fallback = _intent_of(event.get("parse_data") or {})
    if not fallback and intent is not None and confidence >= LIMITS.nlu_review_confidence:
        return None
    return text, intent or FALLBACK_INTENT, confidence, fallback


def _user_events(since: datetime, until: datetime, url: Optional[str]) -> Iterator[dict]:
    engine = get_engine(url)
    if not sa.inspect(engine).has_table("events"):
        return  # no conversation stored yet
    query = (
        sa.select(RASA_EVENTS.c.data)
        .where(
            RASA_EVENTS.c.type_name == "user",
            RASA_EVENTS.c.timestamp >= since.timestamp(),
            RASA_EVENTS.c.timestamp < until.timestamp(),
        )
        .order_by(RASA_EVENTS.c.id)
        .execution_options(yield_per=500)
    )
    with engine.connect() as connection:
        for data in connection.execute(query).scalars():
            try:
                event = json.loads(data)
            except (TypeError, ValueError):
                continue
            if isinstance(event, dict):
                yield event


def find_misses(
    since: datetime, *, until: Optional[datetime] = None, limit: Optional[int] = None, url: Optional[str] = None
) -> Report:
    """The misses since ``since``, masked and merged by text, most frequent first
    (at most ``limit`` examples)."""
    until = until or datetime.now(timezone.utc)
    by_key: dict[str, list[tuple[str, str, float, bool]]] = defaultdict(list)
    seen: dict[str, float] = {}
    for event in _user_events(since, until, url):
        found = _is_miss(event)
        if found:
            text, intent, confidence, fallback = found
            masked = mask(text)
            if masked:
                by_key[_key(masked)].append((masked, intent, confidence, fallback))
                if isinstance(event.get("timestamp"), (int, float)):
                    seen[_key(masked)] = max(seen.get(_key(masked), 0.0), event["timestamp"])
    misses = []
    for key, messages in by_key.items():
        text = Counter(m[0] for m in messages).most_common(1)[0][0]
        intent = Counter(m[1] for m in messages).most_common(1)[0][0]
        last = datetime.fromtimestamp(seen[key], timezone.utc) if key in seen else None
        misses.append(
            Miss(
                text=text,
                intent=intent,
                confidences=[m[2] for m in messages],
                fallbacks=sum(m[3] for m in messages),
                last_seen=last,
            )
        )
    misses.sort(key=lambda m: (-m.count, _key(m.text)))
    if limit is not None:
        misses = misses[: max(limit, 0)]
    return Report(misses=misses, since=since, until=until)


# --- writing -----------------------------------------------------------------


def _when(moment: datetime) -> str:
    return moment.astimezone(ASTANA).strftime("%Y-%m-%d %H:%M")


def _confidence(miss: Miss) -> str:
    low, high = min(miss.confidences), max(miss.confidences)
    shown = f"{low:.2f}" if round(low, 2) == round(high, 2) else f"{low:.2f}–{high:.2f}"
    if miss.fallbacks:
        shown += ", fallback" + (f" {miss.fallbacks}×" if miss.count > 1 else "")
    return shown


def to_yaml(report: Report, file_name: str = "FILE") -> str:
    """Rasa NLU YAML: one block per predicted intent, the counts in comments."""
    groups: dict[str, list[Miss]] = defaultdict(list)
    for miss in report.misses:
        groups[miss.intent].append(miss)
    order = sorted(groups, key=lambda intent: (-sum(m.count for m in groups[intent]), intent))
    lines = [
        f"# Messages Dana did not understand well: {report.messages} "
        f"({len(report.misses)} distinct), {_when(report.since)} – {_when(report.until)} Astana time.",
        f"# A miss: intent {FALLBACK_INTENT} or confidence below {LIMITS.nlu_review_confidence}; "
        "each block is the intent Dana guessed.",
        "# Personal data is replaced by stand-ins ([0851234567](login), [+7 701 000 00 00](phone_number),",
        "# [name@example.kz](email), [Асанов Асан](full_name)) and long numbers by zeros; names Dana did",
        "# not recognise may remain: delete such examples.",
        "# To label: move each example under the intent it really means (another or a new",
        "# «- intent:» block), or delete it. Then add them to nlu/ and retrain:",
        f"#   .venv/bin/python scripts/add_nlu_examples.py {shlex.quote(file_name)} --lang auto",
        "#   make train",
        'version: "3.1"',
        "nlu:",
    ]
    if not order:
        lines[-1] = "nlu: []"
    for intent in order:
        misses = groups[intent]
        lines.append(
            f"# {intent}: {sum(m.count for m in misses)} message(s); per example, in order: "
            "times seen, confidence of this intent"
        )
        lines += [f"#   {number}. {m.count}×, {_confidence(m)}" for number, m in enumerate(misses, 1)]
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {m.text}" for m in misses]
    return "\n".join(lines) + "\n"
