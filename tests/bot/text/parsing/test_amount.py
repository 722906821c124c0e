import pytest

from bot.text.parsing.amount import find_amounts, parse_amount


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


# Forms customers write that the first rules missed; each value checked.
@pytest.mark.parametrize(
    "text, tenge",
    [
        ("12.500 тг", 12_500),  # dot as the thousands separator
        ("7,250 KZT", 7_250),
        ("3 250тг", 3_250),  # currency glued on
        ("6400тңг", 6_400),
        ("6400tg", 6_400),
        ("₸ 6400 салдым", 6_400),  # the sign before the number
        ("8к", 8_000),
        ("2,5к", 2_500),
        ("1,5 тыс", 1_500),
        ("2,5 мың", 2_500),
        ("6 тыщ", 6_000),
        ("мың жарым", 1_500),  # «a thousand and a half»
        ("үш жарым мың", 3_500),
        ("екі мың жарым теңге", 2_500),
        ("полторы тысячи", 1_500),
        ("полтора миллиона", 1_500_000),
        ("три с половиной тысячи", 3_500),
        ("пол тысячи закинул", 500),
        ("полтысячи закинул", 500),
        ("закинула десятку", 10_000),  # banknote slang
        ("скинул двадцатку", 20_000),
        ("кинул косарь", 1_000),
        ("пятерку положил на счет", 5_000),
        ("тысячу закинула", 1_000),
        ("жети мын бес жуз", 7_500),  # Kazakh without its letters
        ("jeti myn tenge", 7_000),  # Latin script
        ("on bes myn saldym", 15_000),
        ("алты мыңға толтырдым", 6_000),  # «мың» with a case ending
        ("сегиз мындай салдым", 8_000),
        ("около трех тысяч", 3_000),  # Russian genitive
        ("не больше пяти тысяч", 5_000),
        ("пят тысяч", 5_000),  # without the soft sign
        ("shest tysyach", 6_000),
        ("11 500 наверное", 11_500),  # thousand groups alone say «money»
        ("примерно 6300", 6_300),
        ("за 4990 какая скорость", 4_990),  # a price
        ("7990", 7_990),  # the whole message
    ],
)
def test_amount_forms_found_in_a_sentence(text, tenge):
    assert [a[2] for a in find_amounts(text)] == [tenge]


def test_amount_span_covers_the_currency():
    text = "кеше 4 990тг салдым"
    [(start, end, value)] = find_amounts(text)
    assert (text[start:end], value) == ("4 990тг", 4_990)


@pytest.mark.parametrize(
    "text",
    [
        "скорость 200 мбит, оплатил вчера",  # a count of something else
        "оплатил за 6 месяцев",
        "переведите 300 долларов",  # another currency
        "сағат 5-те салдым",  # a clock time with its ending
        "мой номер 8 705 123 45 67",  # phone digits in groups
        "бір жарым сағат күттім",  # an hour and a half
        "15 процентов от двух тысяч",  # arithmetic
        "почта ivan1990@mail.ru",
        "в 2024 году оплатил",
        "Толе би 120 үйге маман жіберіңіз",  # a street and a house number
        "он два раза звонил",  # Russian «он» is «he»
        "пятерка по математике",  # banknote slang only beside a payment
    ],
)
def test_numbers_that_are_not_money(text):
    assert find_amounts(text) == []
