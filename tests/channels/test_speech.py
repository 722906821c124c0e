"""channels/speech.py: chat answers made speakable (pure functions)."""
from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import List

import pytest

from channels.speech import button_hint, clean, language_of, speakable, spell_digits

NO_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2300-\u23FF\u2B00-\u2BFF\uFE0F\u200D]")


def assert_speakable(text: str) -> None:
    assert "http" not in text and "www." not in text
    assert not NO_EMOJI.search(text), text
    assert not re.search(r"[*_`]", text), text


def test_drops_emoji_urls_and_markdown():
    said = clean("Готово ✅ 👍🏽 *Важно*: оплатите на https://beeline.kz/pay?x=1 или www.beeline.kz `сейчас` _быстро_")
    assert_speakable(said)
    assert said == "Готово Важно: оплатите на или сейчас быстро"


def test_markdown_link_keeps_its_title():
    assert clean("Откройте [личный кабинет](https://my.beeline.kz).") == "Откройте личный кабинет."


def test_guillemets_and_kazakh_text_are_kept():
    assert clean("«Үйдегі интернет» қызметі 🏠") == "«Үйдегі интернет» қызметі"


def test_login_spelled_digit_by_digit():
    assert clean("Ваш логин 0851234567?") == "Ваш логин 0 8 5 1 2 3 4 5 6 7?"


@pytest.mark.parametrize("phone", ["+77011234567", "8 701 123 45 67", "+7 (701) 123-45-67"])
def test_phone_spelled_digit_by_digit(phone):
    assert clean(f"Номер {phone}.") == "Номер +7 7 0 1 1 2 3 4 5 6 7."


def test_other_numbers_untouched():
    assert clean("Звоните 3131, стоимость 5 990 тг.") == "Звоните 3131, стоимость 5 990 тг."


def test_spell_digits():
    assert spell_digits("0851234567") == "0 8 5 1 2 3 4 5 6 7"
    assert spell_digits("+77011234567") == "+7 7 0 1 1 2 3 4 5 6 7"


def test_language_of():
    assert language_of("Сәлеметсіз бе") == "kk"
    assert language_of("Интернет істемейді") == "kk"  # і alone is enough
    assert language_of("Здравствуйте") == "ru"
    assert language_of("") == "ru"


def test_buttons_become_a_spoken_hint_in_the_message_language():
    ru = speakable("Интернет снова работает?", [{"title": "Да ✅", "payload": "/affirm"},
                                                  {"title": "Нет", "payload": "/deny"}])
    assert ru == "Интернет снова работает? Варианты: Да, Нет."
    kk = speakable("Интернет қайта жұмыс істей ме", [{"title": "Иә"}, {"title": "Жоқ"}])
    assert kk == "Интернет қайта жұмыс істей ме. Нұсқалар: Иә, Жоқ."


def test_buttons_without_text_and_empty_titles():
    assert speakable(None, [{"title": "Қазақша"}, {"title": "🙂"}]) == "Нұсқалар: Қазақша."
    assert button_hint([], "ru") == ""
    assert speakable("") == ""


def test_the_hint_is_the_domains_voice_response_in_the_answers_language():
    from bot.server.nlg import text_outside_a_turn
    from channels.speech import OPTIONS

    for language in ("kk", "ru"):
        said = text_outside_a_turn(OPTIONS, language, channel="voice", values={"options": "A, B"})
        assert button_hint(["A", "B"], language) == said
    # No language (or one Dana does not speak): Russian, as the response's default variation.
    assert button_hint(["Да"], None) == button_hint(["Да"], "en") == "Варианты: Да."


def test_multiline_answer_becomes_one_line():
    said = speakable("Шаг 1: перезагрузите роутер 🔌\n\nШаг 2: проверьте кабель\n- подробнее: https://x.kz")
    assert_speakable(said)
    assert said == "Шаг 1: перезагрузите роутер. Шаг 2: проверьте кабель. подробнее:"


# --- no customer text in channels/ -----------------------------------------------
# What a customer reads or hears lives in domain/responses (channels.yml for what a
# channel says by itself, through bot.server.nlg.text_outside_a_turn), never in a
# string literal in channels/*.py. Comments and docstrings may quote it.

CHANNELS = Path(__file__).resolve().parents[2] / "channels"
CYRILLIC = re.compile("[\u0400-\u052F]")


def cyrillic_strings(source: str) -> List[str]:
    """String literals with Cyrillic letters, docstrings and other bare string
    statements (a string that is a whole statement) left out, as are comments."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.NL, tokenize.COMMENT)]
    found = []
    for i, token in enumerate(tokens):
        if token.type != tokenize.STRING or not CYRILLIC.search(token.string):
            continue
        start = i
        while start > 0 and tokens[start - 1].type == tokenize.STRING:  # "a" "b": one literal
            start -= 1
        end = i
        while end + 1 < len(tokens) and tokens[end + 1].type == tokenize.STRING:
            end += 1
        before = tokens[start - 1].type if start else tokenize.NEWLINE
        after = tokens[end + 1].type if end + 1 < len(tokens) else tokenize.ENDMARKER
        statement = (before in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
                     and after in (tokenize.NEWLINE, tokenize.ENDMARKER))
        if not statement:
            found.append(token.string)
    return found


def test_the_cyrillic_finder_skips_only_comments_and_docstrings():
    source = ('"""Модуль."""\n'
              'X = 1  # «Не расслышала»\n'
              'def f():\n'
              '    """Докстрока."""\n'
              '    return ("Привет"\n'
              '            "мир", f"Сәлем {X}", "ok")\n'
              'class C:\n'
              '    "Строка класса"\n'
              '    TEXT = {"ru": "Варианты"}\n')
    assert cyrillic_strings(source) == ['"Привет"', '"мир"', 'f"Сәлем {X}"', '"Варианты"']


def test_no_customer_text_in_channel_code():
    found = {(path.name, string) for path in sorted(CHANNELS.rglob("*.py"))
             for string in cyrillic_strings(path.read_text(encoding="utf-8"))}
    assert not found, (
        f"customer text in channels/: {sorted(found)} — make it a response in "
        "domain/responses/channels.yml and say it with bot.server.nlg.text_outside_a_turn")
