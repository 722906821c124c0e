"""The speech test: every response Dana can say has a voice variation a caller on
3131 can follow by ear (docs/channels/voice.md).

A caller hears, not reads: no buttons or links, no abbreviations or digit
strings for text-to-speech to mangle, nothing that points to the line they are
already on, and short enough to remember before the question comes.
"""
from __future__ import annotations

import asyncio
import re
import string

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.server.nlg import TERM_PREFIX, VOICE_CHANNEL, DanaNaturalLanguageGenerator

DOMAIN = Domain.load("domain")
SAID = sorted(name for name in DOMAIN.responses if not name.startswith(TERM_PREFIX))

# Fragments text-to-speech reads wrongly or a caller cannot act on.
ABBREVIATIONS = re.compile(
    r"\bмин\.|\bч\.|\bч\b|\bсағ\.|\bтәул\.|\bтех\.|№|\bт\.\s?[едбп]\.|\bг\.|\bтг\b|\be-?mail\b"
    r"|www|https?:|\.kz\b", re.IGNORECASE)
RANGE = re.compile(r"[\d}]\s*[–—-]\s*[\d{]")
# The caller is on 3131 already and has no chat on this line.
THIS_LINE = re.compile(
    r"3131|\{support_phone\}|напиш|жазыңыз|отправьте|жіберіңіз|нажмите|басыңыз|кнопк|түйме"
    r"|\bниже\b|төменде|\bсюда\b|осында|этот чат|этом чате|осы чат", re.IGNORECASE)
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")
MARKDOWN = re.compile(r"[*_`#\[\]]")
MAX_BEFORE_QUESTION = 200
MAX_CHARS = 280


def voice_variations(name: str) -> list[dict]:
    return [v for v in DOMAIN.responses[name] if v.get("channel") == VOICE_CHANNEL]


def template_text(text: str) -> str:
    """The text with each {placeholder} counted as a short word."""
    return re.sub(r"\{[^}]+\}", "ХХХХХХ", text)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s]


@pytest.mark.parametrize("name", SAID)
def test_every_response_has_kazakh_russian_and_default_voice_variations(name):
    languages = []
    for variation in voice_variations(name):
        condition = variation.get("condition") or []
        languages.append(next((c["value"] for c in condition if c.get("name") == "language"), None))
    assert sorted(languages, key=str) == sorted(["kk", "ru", None], key=str), (
        f"{name}: voice variations for {languages}, want kk, ru and one without a language")


@pytest.mark.parametrize("name", SAID)
def test_voice_variations_are_speakable(name):
    for variation in voice_variations(name):
        text = variation.get("text") or ""
        where = f"{name} ({variation.get('condition') or 'default'}): «{text}»"
        assert text.strip(), where
        assert not (variation.get("buttons") or variation.get("image") or variation.get("custom")), (
            f"{where}: a caller cannot press or see anything")
        outside = re.sub(r"\{[^}]+\}", "", text)
        assert not re.search(r"\d", outside), f"{where}: digits — say numbers with {{name_words}}"
        assert not ABBREVIATIONS.search(text), f"{where}: abbreviation {ABBREVIATIONS.search(text)[0]!r}"
        assert not RANGE.search(text), f"{where}: a «–» range is read as a minus"
        assert not THIS_LINE.search(text), f"{where}: points to the line the caller is on"
        assert not EMOJI.search(text) and not MARKDOWN.search(outside), f"{where}: emoji or markup"
        counted = template_text(text)
        assert len(counted) <= MAX_CHARS, f"{where}: {len(counted)} characters to listen to"
        said = sentences(counted)
        question = next((i for i, s in enumerate(said) if s.endswith("?")), len(said))
        before = " ".join(said[:question])
        assert question <= 2 and len(before) <= MAX_BEFORE_QUESTION, (
            f"{where}: {question} sentences / {len(before)} characters before the question")
        assert len(said) <= 3, f"{where}: {len(said)} sentences"


def test_kazakh_voice_variations_are_kazakh():
    for name in SAID:
        for variation in voice_variations(name):
            condition = variation.get("condition") or []
            language = next((c["value"] for c in condition if c.get("name") == "language"), "ru")
            text = variation.get("text") or ""
            kazakh_letters = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ") & set(text)
            if language == "ru":
                assert not kazakh_letters, f"{name}: Kazakh letters in the Russian voice text «{text}»"


# Any slot or action value a response may name, with a plausible value.
SAMPLE = {"login": "0851234567", "phone_number": "+77051234567", "ticket_id": "42",
          "amount": "5 000", "eta": "2026-11-18T13:00:00+00:00", "outage_eta": "2026-11-18T13:00:00+00:00",
          "callback_due": "2026-11-18T13:00:00+00:00",
          "visit_due": "2026-11-19T13:00:00+00:00", "resolve_due": "2026-11-21T13:00:00+00:00",
          "callback_from": "2026-11-19T09:00:00+05:00", "payment_date": "2026-11-17",
          "ticket_status": "open"}


def _base(field: str) -> str:
    """«callback_due_dat» → «callback_due», «visit_days_words_gen» → «visit_days»."""
    field = re.sub(r"_(dat|loc|abl|gen|acc|ins)$", "", field)
    return re.sub(r"_words$", "", field)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", ["kk", "ru", None])
def test_voice_variations_fill_in_on_the_voice_channel(language):
    """Every placeholder of a voice text has a value on the phone: numbers in
    words, dates with month names, nothing left in braces."""
    nlg = DanaNaturalLanguageGenerator(domain=DOMAIN)
    events = [SlotSet("language", language)] if language else []
    tracker = DialogueStateTracker.from_events("voice-test", events, slots=DOMAIN.slots)
    for name in SAID:
        fields = set().union(*(_fields(v.get("text") or "") for v in voice_variations(name)))
        bases = {_base(f) for f in fields} - set(nlg.placeholders)
        given = {base: SAMPLE.get(base, "Алматы") for base in bases}
        said = asyncio.run(nlg.generate(name, tracker, VOICE_CHANNEL, **given))
        assert said and said.get("text"), name
        text = said["text"]
        assert "{" not in text and "}" not in text, f"{name}: «{text}»"
        assert not re.search(r"\d{2}\.\d{2}", text), f"{name}: a date in digits «{text}»"
        assert "open" not in text, f"{name}: a status code «{text}»"
