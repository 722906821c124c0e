"""bot/text/language/reply.py: the one rule for the reply language — each kind of
evidence, their order, the callers' defaults and what «undecided» means."""
from __future__ import annotations

import pytest

from bot.config import DEFAULT_LANGUAGE
from bot.text.language.reply import (
    BOTH,
    KAZAKH,
    RUSSIAN,
    UNDECIDED,
    client_language,
    letters_language,
    metadata_hints,
    reply_language,
    said_in,
    start_language,
    start_text,
)

# --- each kind of evidence alone ----------------------------------------------------


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_conversations_language(language):
    assert reply_language(conversation=language) == language


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_messages_own_language(language):
    assert reply_language(message=language) == language


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_channel_hint(language):
    assert reply_language(hints=[language]) == language


def test_no_evidence_gives_the_default_kazakh():
    assert DEFAULT_LANGUAGE == KAZAKH
    assert reply_language() == KAZAKH


@pytest.mark.parametrize("not_evidence", [None, "", "en", "KK", "kz", "russian", 0, ["kk"]])
def test_only_kk_and_ru_count_as_evidence(not_evidence):
    assert reply_language(conversation=not_evidence, message=not_evidence, hints=[not_evidence]) == KAZAKH
    assert reply_language(conversation=not_evidence, default=RUSSIAN) == RUSSIAN


# --- the order ----------------------------------------------------------------------------


def test_the_conversations_language_wins_over_the_message_and_the_channel():
    assert reply_language(conversation="ru", message="kk", hints=["kk"]) == "ru"
    assert reply_language(conversation="kk", message="ru", hints=["ru"]) == "kk"


def test_the_message_wins_over_the_channel():
    assert reply_language(message="ru", hints=["kk"]) == "ru"
    assert reply_language(conversation=None, message="kk", hints=["ru", "ru"]) == "kk"


def test_hints_count_in_the_order_given_skipping_non_evidence():
    assert reply_language(hints=["ru", "kk"]) == "ru"
    assert reply_language(hints=[None, "en", "kk", "ru"]) == "kk"


def test_any_evidence_wins_over_the_default():
    assert reply_language(hints=["ru"], default=KAZAKH) == "ru"
    assert reply_language(message="kk", default=RUSSIAN) == "kk"
    assert reply_language(conversation="ru", default=UNDECIDED) == "ru"


# --- undecided ---------------------------------------------------------------------------


def test_undecided_is_said_in_both_languages_kazakh_first():
    assert reply_language(message=None, hints=[None, None], default=UNDECIDED) is UNDECIDED
    assert BOTH == ("kk", "ru")
    assert said_in(UNDECIDED) == ("kk", "ru")


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_decided_language_is_said_alone(language):
    assert said_in(language) == (language,)


# --- reading the evidence ---------------------------------------------------------------


@pytest.mark.parametrize(
    "code, hint",
    [("ru", "ru"), ("kk", "kk"), ("be", "ru"), ("uk", "ru"), ("uk-UA", "ru"), ("ru-RU", "ru"),
     ("kk-KZ", "kk"), ("en", None), ("en-US", None), ("", None), (None, None), ("RU", None)],
)
def test_telegrams_client_language_is_a_hint(code, hint):
    assert client_language(code) == hint
    # Telegram's /start: the hint, else Kazakh.
    assert reply_language(hints=[client_language(code)]) == (hint or "kk")


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_start_event_carries_the_hint_and_is_read_back(language):
    text = start_text(language)
    assert text == '/greet{"detected_language": "%s"}' % language
    assert start_language(text) == language
    assert start_language('/greet{"detected_language" : "%s", "x": 1}' % language) == language


def test_a_start_event_without_a_hint_and_other_text_give_none():
    assert start_text(None) == "/greet"
    assert start_language("/greet") is None
    assert start_language('/greet{"detected_language": "en"}') is None
    assert start_language("пропал интернет") is None
    assert start_language(" " * 200 + '/greet{"detected_language": "kk"}') is None  # only its start is read


def test_metadata_hints_in_order():
    assert metadata_hints({"language": "ru", "ivr_language": "kk"}) == ["ru", "kk"]
    assert metadata_hints({"ivr_language": "kk"}) == [None, "kk"]
    assert metadata_hints(None) == [] and metadata_hints("kk") == []
    assert reply_language(hints=metadata_hints({"language": "en", "ivr_language": "ru"}), default=UNDECIDED) == "ru"


@pytest.mark.parametrize(
    "text, language",
    [("Сәлеметсіз бе", "kk"), ("Интернет істемейді", "kk"), ("Здравствуйте", None), ("", None), ("ok 👍", None)],
)
def test_danas_own_text_is_kazakh_by_its_letters(text, language):
    assert letters_language(text) == language


# --- each caller's question, as they ask it -------------------------------------------------


def test_the_callers_defaults():
    # Actions (actions/base.py): the slot, else Kazakh.
    assert reply_language(conversation=None) == "kk"
    # The NLG's values (bot/server/nlg.py): the slot, else Russian, the default variation's language.
    assert reply_language(conversation=None, default=RUSSIAN) == "ru"
    # A failure answer without a tracker (bot/server/message_guard.py): both languages.
    assert said_in(reply_language(message=None, hints=metadata_hints({}), default=UNDECIDED)) == ("kk", "ru")
    # The voice channel's hand-off queue: the conversation's, else the IVR's, else Kazakh.
    assert reply_language(conversation="ru", hints=["kk"]) == "ru"
    assert reply_language(conversation=None, hints=[None]) == "kk"
