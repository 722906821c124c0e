"""Amounts: every way a customer writes a sum parses back to the same tenge."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.parsing.amount import find_amounts, parse_amount
from tests.properties.spellers import spell_kk, spell_ru
from tests.properties.strategies import filler_words

# Up to 7 digits: an 8+ digit number is taken for a login or an account, not money.
TENGE = st.integers(min_value=1, max_value=9_999_999)
SPACES = st.sampled_from([" ", "\u00a0", "\u202f"])  # phones and Word put no-break spaces
CURRENCIES = [" тг", "тг", " теңге", " тенге", " ₸", "₸", " KZT", " tg"]


@st.composite
def written_in_digits(draw, currencies=[""] + CURRENCIES) -> tuple[int, str]:
    value = draw(TENGE)
    style = draw(st.sampled_from(["plain", "spaced", "comma"]))
    if style == "plain":
        digits = str(value)
    elif style == "spaced":
        digits = f"{value:,}".replace(",", draw(SPACES))
    else:
        digits = f"{value:,}"  # «15,000»: comma as the thousands separator
    return value, digits + draw(st.sampled_from(currencies))


@settings(max_examples=150, deadline=None)
@given(written_in_digits())
@example((15_000, "15 000 ₸"))
@example((1_000_000, "1,000,000 тг"))
def test_digit_forms_parse_back(case):
    value, text = case
    assert parse_amount(text) == value


@settings(max_examples=80, deadline=None)
@given(written_in_digits(CURRENCIES), filler_words(), filler_words())
def test_digits_with_currency_are_found_inside_a_sentence(case, before, after):
    value, written = case
    text = f"{before} {written} {after}".strip()
    assert [a[2] for a in find_amounts(text)] == [value]


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=9_999), st.sampled_from(["мың", "мын", "тысяч", "тыс", "к"]))
def test_n_thousand_is_n_times_1000(n, word):
    assert parse_amount(f"{n} {word}") == n * 1000


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=999_999), st.booleans())
@example(1_200, True)  # «тысяча двести»
def test_russian_number_words_parse_back(value, bare_thousand):
    assert parse_amount(spell_ru(value, bare_thousand)) == value


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=999_999), st.booleans(), st.booleans())
@example(1_500, False, False)  # «мың бес жүз»
@example(100, False, False)  # «жүз»
def test_kazakh_number_words_parse_back(value, say_one, plain):
    assert parse_amount(spell_kk(value, say_one, plain)) == value


@settings(max_examples=80, deadline=None)
@given(st.integers(min_value=1, max_value=999_999), st.sampled_from(["kk", "ru"]))
def test_words_with_currency_are_found_in_a_sentence(value, lang):
    words = spell_kk(value) + " теңге" if lang == "kk" else spell_ru(value) + " тенге"
    text = f"кеше {words} жібердім" if lang == "kk" else f"вчера отправил {words}"
    assert [a[2] for a in find_amounts(text)] == [value]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80) | st.from_regex(r"[\d\s.,тгмыңk₸-]{0,40}", fullmatch=True))
@example("1" * 400)  # a float overflow once
def test_any_text_gives_a_positive_int_or_none(text):
    for value in [parse_amount(text)] + [a[2] for a in find_amounts(text)]:
        assert value is None or (isinstance(value, int) and value > 0)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_found_spans_point_inside_the_text(text):
    for start, end, _ in find_amounts(text, bare_ok=True):
        assert 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end]


# Chat words that look like number parts: «он» is «he» in Russian and «ten» in
# Kazakh, «к»/«т» are a preposition and a letter as well as «thousand».
_NOT_MONEY = st.sampled_from(["он", "она", "к", "т", "с", "в", "оператору", "пошёл", "звонил",
                              "мастеру", "сказал", "интернет", "не", "работает", "жок"])


@settings(max_examples=80, deadline=None)
@given(st.lists(_NOT_MONEY, min_size=4, max_size=8, unique=True).map(" ".join))
@example("он к оператору пошёл")
def test_chat_without_a_sum_names_no_money(text):
    assert find_amounts(text) == []
