import pytest

from bot.parsing.amount import find_amounts, parse_amount


@pytest.mark.parametrize(
    "text, tenge",
    [
        ("5 мың", 5000),
        ("пять тысяч двести", 5200),
        ("15 000 тг", 15000),
        ("бес мың екі жүз теңге", 5200),
        ("он мың теңге", 10000),
        ("12 000 теңге төледім", 12000),
        ("5к", 5000),
        ("десять тысяч", 10000),
        ("2,5 тыс", 2500),
        ("триста", 300),
        ("5000", 5000),
    ],
)
def test_amount_in_digits_and_words(text, tenge):
    assert parse_amount(text) == tenge


def test_amount_inside_a_sentence_points_at_its_words():
    text = "оплатил 7000 на логин 0851234567"
    [(start, end, value)] = find_amounts(text)
    assert (text[start:end], value) == ("7000", 7000)


@pytest.mark.parametrize(
    "text",
    ["он оплатил вчера", "мой логин 0851234567", "у меня один роутер", "интернет не работает"],
)
def test_no_amount_where_none_is_meant(text):
    assert find_amounts(text) == []


def test_login_is_not_taken_for_money_even_as_a_bare_answer():
    assert parse_amount("0851234567") is None
