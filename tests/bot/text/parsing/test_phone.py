"""Phones: Dana's reader turns the words into digits, phonenumbers (region KZ) says what they are."""
import pytest

from bot.text.parsing.phone import (FOREIGN, LANDLINE, MISSING, MOBILE, SERVICE, TOO_LONG, TOO_SHORT, UNKNOWN,
                               check_phone, find_phones, normalise_phone)


@pytest.mark.parametrize("text, number", [
    ("+7 727 350 06 06", "+77273500606"),  # Almaty: once read as a mobile, «727» taken for an operator code
    ("8 (727) 350 06 06", "+77273500606"),  # Kar-Tel's own number as the privacy policy writes it
    ("8 (7172) 55-66-77", "+77172556677"),  # Astana: once not read at all (a four-digit code)
    ("+7 7172 556677", "+77172556677"),
    ("87172556677", "+77172556677"),
    ("8 7212 55 66 77", "+77212556677"),  # Karaganda
])
def test_a_city_landline_is_read_as_that_landline(text, number):
    assert check_phone(text).kind == LANDLINE
    assert normalise_phone(text) == number
    assert [p[2] for p in find_phones(f"үйдің телефоны {text}, хабарласыңыз")] == [number]


@pytest.mark.parametrize("text", [
    "8 701 123 45 67", "+7 (701) 123-45-67", "8-701-123-4567", "870 11 234 567", "+7 70 11 23 45 67",
    "8 7 0 1 1 2 3 4 5 6 7", "+8 701 123 45 67",  # the trunk 8 written with a plus
    "восемь семь ноль один один два три четыре пять шесть семь",
    "восемь семьсот один сто двадцать три сорок пять шестьдесят семь",
    "восемь семьсот один, сто двадцать три, сорок пять, шестьдесят семь",  # speech-to-text's pauses
    "плюс семь семьсот один 123 45 67",
    "сегіз жеті жүз бір жүз жиырма үш қырық бес алпыс жеті",
    "сегиз жети жуз бир жуз жиырма уш кырык бес алпыс жети",  # typed without the Kazakh letters
    "segiz jeti juz bir 123 45 67", "vosem sem nol odin 1234567",
    "8 701 сто двадцать три 45 67",
])
def test_a_spoken_or_spelled_mobile_is_read(text):
    assert check_phone(text) == check_phone("+77011234567")
    assert check_phone(text).kind == MOBILE
    assert [p[2] for p in find_phones(f"нөмірім {text} рахмет")] == ["+77011234567"]


def test_groups_said_as_numbers_keep_their_order():
    # «сто, сорок пять» is two groups (100, 45); without the pause «сто сорок пять» is 145.
    assert normalise_phone("восемь семьсот один, сто, сорок пять, шестьдесят семь") == "+77011004567"
    assert normalise_phone("сегіз жеті жүз бір, бір жүз, он бір, он екі") == "+77011001112"


@pytest.mark.parametrize("text, problem", [
    ("8 701 123 45", TOO_SHORT),
    ("8 701 123 45 6", TOO_SHORT),  # a digit short after the trunk 8
    ("55-66-77", TOO_SHORT),  # a city number without its code
    ("3131", TOO_SHORT),
    ("8 701 123 45 678", TOO_LONG),
    ("+1 212 555 0100", FOREIGN),
    ("+7 495 123 45 67", FOREIGN),  # Moscow shares +7
    ("8 916 123 45 67", FOREIGN),  # a Russian mobile
    ("+998 90 123 45 67", FOREIGN),
    ("998 90 123 45 67", FOREIGN),  # the plus left out
    ("8 10 1 212 555 0100", FOREIGN),  # dialled abroad from Kazakhstan
    ("8 800 080 31 31", SERVICE),  # toll-free
    ("8 809 123 45 67", SERVICE),  # premium
    ("+7 751 123 45 67", SERVICE),  # VoIP
    ("8 709 123 45 67", UNKNOWN),  # no operator has 709
    ("+7 727 123 45 67", UNKNOWN),  # no Almaty number starts 727 1…
    ("0851234567", UNKNOWN),  # a login given as a phone
    ("не знаю", MISSING),
    ("", MISSING),
])
def test_an_unusable_number_says_what_is_wrong(text, problem):
    check = check_phone(text)
    assert (check.value, check.problem) == (None, problem)
    assert find_phones(text) == []


def test_the_phone_not_the_login_is_judged_when_both_are_given():
    assert check_phone("логин 0851234567, нөмір 8 701 123 45").problem == TOO_SHORT


@pytest.mark.parametrize("text", [
    "логин 0851234567", "15 000 тг төледім", "25.07.2026 төледім", "карта 4400 4301 2345 6789",
    "5000 теңге 3 күн бұрын", "ab8701123456", "он бес мың теңге", "7" + "\u0660" * 9,
])
def test_other_numbers_are_no_phone(text):
    assert find_phones(text) == []


def test_two_numbers_are_two_phones():
    assert [p[2] for p in find_phones("87011234567 немесе 8 7172 55 66 77")] == ["+77011234567", "+77172556677"]
    assert [p[2] for p in find_phones("87011234567 87021234568")] == ["+77011234567", "+77021234568"]


def test_span_covers_the_plus_and_a_closed_bracket():
    text = "номер (701) 123-45-67 и +7 727 350 06 06"
    assert [text[s:e] for s, e, _ in find_phones(text)] == ["(701) 123-45-67", "+7 727 350 06 06"]


def test_a_kazakh_ending_after_the_digits_is_no_obstacle():
    assert [p[2] for p in find_phones("87011234567-ге немесе 87021234568ге хабарласыңыз")] == [
        "+77011234567", "+77021234568"]
