"""Phones: any spelling of a Kazakhstan mobile or landline becomes +7XXXXXXXXXX, and nothing else does.

The ranges are Kazakhstan's numbering plan as the phonenumbers library knows it:
a number outside them (+7 703 …, +7 727 1…) is no Kazakhstan number, so the
strategies draw from the plan itself, not from «7 and nine digits».
"""
from __future__ import annotations

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.parsing.phone import LANDLINE, MOBILE, check_phone, find_phones, normalise_phone
from tests.properties.spellers import spell_kk, spell_ru
from tests.properties.strategies import filler_words

_KZ = phonenumbers.PhoneMetadata.metadata_for_region("KZ")


def _national(desc) -> st.SearchStrategy[str]:
    """National numbers (10 digits after +7) of one of the plan's ranges, ASCII digits."""
    return st.from_regex(desc.national_number_pattern.replace(r"\d", "[0-9]"), fullmatch=True)


LOCAL = _national(_KZ.mobile)  # 70x, 747, 76x, 77x, 785 + 7 digits
LANDLINE_LOCAL = _national(_KZ.fixed_line)  # 7172 Astana, 727 Almaty, … + the subscriber's digits
SEP = st.sampled_from(["", " ", "-"])


@st.composite
def written_phone(draw, local=LOCAL) -> tuple[str, str]:
    """(normalised, as a customer writes it): +7 / 8 / 7 / no prefix, spaces, dashes, brackets."""
    local = draw(local)
    prefix = draw(st.sampled_from(["+7", "+7 ", "8", "8 ", "7", ""]))
    split = draw(st.sampled_from([3, 4, 5]))  # operator code 7xx, or a city's 727 / 7172 / 7xxxx
    code, rest = local[:split], local[split:]
    if draw(st.booleans()):
        code = f"({code})"
    sep = draw(SEP)
    body = sep.join([rest[:-4], rest[-4:-2], rest[-2:]])
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


@settings(max_examples=100, deadline=None)
@given(written_phone(LANDLINE_LOCAL), filler_words(), filler_words())
def test_a_landline_is_read_as_a_landline(case, before, after):
    normalised, written = case
    assert check_phone(written).kind == LANDLINE
    assert [p[2] for p in find_phones(f"{before} {written} {after}")] == [normalised]


@settings(max_examples=80, deadline=None)
@given(written_phone())
def test_a_mobile_is_read_as_a_mobile(case):
    assert check_phone(case[1]).kind == MOBILE


DIGIT_WORDS = {
    "ru": ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"],
    "kk": ["нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз"],
}
PREFIXES = {"ru": ["", "восемь", "плюс семь", "8", "+7"], "kk": ["", "сегіз", "плюс жеті", "8", "+7"]}


@st.composite
def spoken_phone(draw) -> tuple[str, str, str]:
    """(normalised, kind, as dictated): digit by digit, or in groups said as numbers
    («семьсот один», «жеті жүз бір»), the pauses between groups as commas the way
    speech-to-text writes them."""
    kind = draw(st.sampled_from([MOBILE, LANDLINE]))
    local = draw(LOCAL if kind == MOBILE else LANDLINE_LOCAL)
    language = draw(st.sampled_from(["ru", "kk"]))
    say_one, plain = draw(st.booleans()), draw(st.booleans())
    said, rest = [], local
    while rest:
        size = min(len(rest), draw(st.sampled_from([1, 2, 3])))
        group, rest = rest[:size], rest[size:]
        if group.startswith("0") or size == 1 or draw(st.booleans()):
            said.append(" ".join(DIGIT_WORDS[language][int(d)] for d in group))
        elif language == "ru":
            said.append(spell_ru(int(group)))
        else:
            said.append(spell_kk(int(group), say_one=say_one, plain=plain))
    prefix = draw(st.sampled_from(PREFIXES[language]))
    return "+7" + local, kind, " ".join(filter(None, [prefix, ", ".join(said)]))


@settings(max_examples=150, deadline=None)
@given(spoken_phone(), filler_words(), filler_words())
@example(("+77011234567", MOBILE, "восемь семьсот один, сто двадцать три, сорок пять, шестьдесят семь"), "", "")
@example(("+77011234567", MOBILE, "сегіз жеті жүз бір, жүз жиырма үш, қырық бес, алпыс жеті"), "", "")
@example(("+77172556677", LANDLINE, "восемь семь один семь два, пятьдесят пять, шестьдесят шесть, семьдесят семь"),
         "", "")
def test_a_dictated_number_is_read(case, before, after):
    normalised, kind, said = case
    assert check_phone(said) == check_phone(normalised)
    assert check_phone(said).kind == kind
    assert [p[2] for p in find_phones(f"{before} {said} {after}")] == [normalised]


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
