"""Phones: any spelling of a Kazakhstan mobile becomes +77XXXXXXXXX, and nothing else does."""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.parsing.phone import find_phones, normalise_phone
from tests.properties.strategies import filler_words

LOCAL = st.from_regex(r"7[0-9]{9}", fullmatch=True)  # 7xx + 7 digits after the country code
SEP = st.sampled_from(["", " ", "-"])


@st.composite
def written_phone(draw) -> tuple[str, str]:
    """(normalised, as a customer writes it): +7 / 8 / 7 / no prefix, spaces, dashes, brackets."""
    local = draw(LOCAL)
    prefix = draw(st.sampled_from(["+7", "+7 ", "8", "8 ", "7", ""]))
    code, rest = local[:3], local[3:]
    if draw(st.booleans()):
        code = f"({code})"
    sep = draw(SEP)
    body = sep.join([rest[:3], rest[3:5], rest[5:]])
    return "+7" + local, f"{prefix}{code}{draw(SEP)}{body}"


@settings(max_examples=150, deadline=None)
@given(written_phone())
def test_every_spelling_normalises_to_plus7(case):
    normalised, written = case
    assert normalise_phone(written) == normalised


@settings(max_examples=100, deadline=None)
@given(written_phone(), filler_words(), filler_words())
def test_phone_is_found_inside_chat_text(case, before, after):
    normalised, written = case
    text = f"{before} {written} {after}"
    assert [p[2] for p in find_phones(text)] == [normalised]
    [(start, end, _)] = find_phones(text)
    assert normalise_phone(text[start:end]) == normalised


@settings(max_examples=80, deadline=None)
@given(written_phone())
def test_normalisation_is_idempotent(case):
    once = normalise_phone(case[1])
    assert normalise_phone(once) == once


def _well_formed(value: str) -> bool:
    return len(value) == 12 and value.startswith("+77") and value[1:].isascii() and value[1:].isdigit()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"[+78()\-\s\d]{0,25}", fullmatch=True))
@example("7" + "\u0660" * 9)  # Arabic-Indic digits once came out as «+77٠٠٠…»
def test_any_text_gives_a_well_formed_number_or_none(text):
    value = normalise_phone(text)
    assert value is None or _well_formed(value)
    assert all(_well_formed(p[2]) for p in find_phones(text))
