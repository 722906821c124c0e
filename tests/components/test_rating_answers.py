"""The trained model takes a rating answer for ``rate_service`` with its mark, and
nothing else for one (the rating question: actions/csat.py)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "dana.tar.gz"


@pytest.fixture(scope="module")
def parse():
    if not MODEL.exists():
        pytest.skip("needs the trained model: run scripts/setup.sh (make test does)")
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(str(MODEL))

    def parsed(text: str, lang: str) -> dict:
        # A conversation under way: its language is known (a first message with no
        # language evidence would be asked which language first).
        tracker = DialogueStateTracker.from_events("t", [SlotSet("language", lang)], slots=agent.domain.slots)
        return asyncio.run(agent.processor.parse_message(UserMessage(text), tracker))

    return parsed


@pytest.mark.parametrize("text, lang, rating", [
    ("5", "kk", 5), ("1", "ru", 1), ("бес", "kk", 5), ("пять", "ru", 5), ("төрт", "kk", 4), ("три", "ru", 3),
    ("бестік", "kk", 5), ("5 балл", "kk", 5), ("на пятёрку", "ru", 5), ("ставлю 4", "ru", 4),
    ("бестен бес", "kk", 5), ("4 из 5", "ru", 4),
])
def test_a_rating_answer_is_understood(parse, text, lang, rating):
    parsed = parse(text, lang)
    assert parsed["intent"]["name"] == "rate_service", parsed["intent"]
    assert [e["value"] for e in parsed["entities"] if e["entity"] == "rating"] == [rating]


@pytest.mark.parametrize("text, lang, intent", [
    ("5000", "ru", "inform"), ("0851234567", "kk", "inform"), ("спасибо", "ru", "thank"), ("рахмет", "kk", "thank"),
    ("интернет не работает", "ru", "internet_down"), ("ЕНТ канша балл", "kk", "out_of_scope"),
])
def test_numbers_and_words_that_are_no_rating_keep_their_meaning(parse, text, lang, intent):
    assert parse(text, lang)["intent"]["name"] == intent
