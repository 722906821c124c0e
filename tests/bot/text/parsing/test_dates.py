from datetime import date

import pytest

from bot.text.parsing.dates import find_dates, parse_payment_date

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("кеше", "2026-11-24"),
        ("вчера", "2026-11-24"),
        ("позавчера", "2026-11-23"),
        ("алдыңгүні", "2026-11-23"),
        ("бүгін таңертең", "2026-11-25"),
        ("25 шілде", "2026-07-25"),
        ("25-ші шілде", "2026-07-25"),
        ("25 июля", "2026-07-25"),
        ("3 күн бұрын", "2026-11-22"),
        ("3 дня назад", "2026-11-22"),
        ("на прошлой неделе", "2026-11-18"),
        ("01.11", "2026-11-01"),
        ("30.12.2025", "2025-12-30"),
    ],
)
def test_relative_and_absolute_dates(text, iso):
    assert parse_payment_date(text, TODAY).isoformat() == iso


def test_a_day_later_this_year_means_last_year():
    # 28 December asked on 25 November: payments are never in the future.
    assert parse_payment_date("28 желтоқсан", TODAY) == date(2025, 12, 28)


def test_date_span_inside_a_sentence():
    text = "кеше 5000 теңге төледім"
    [(start, end, iso)] = find_dates(text, TODAY)
    assert (text[start:end], iso) == ("кеше", "2026-11-24")


def test_no_date():
    assert parse_payment_date("интернет жоқ", TODAY) is None


# TODAY is a Wednesday. «Прошлый/өткен» is the previous Monday–Sunday week; a plain
# weekday is the latest one before today.
@pytest.mark.parametrize(
    "text, iso",
    [
        ("в понедельник оплатил", "2026-11-23"),
        ("во вторник платила", "2026-11-24"),
        ("в прошлую пятницу", "2026-11-20"),
        ("в прошлый понедельник", "2026-11-16"),
        ("в позапрошлую среду", "2026-11-11"),
        ("в эту среду", "2026-11-25"),
        ("в ту субботу", "2026-11-21"),
        ("өткен сенбіде", "2026-11-21"),
        ("өткен дүйсенбіде", "2026-11-16"),
        ("осы аптаның сейсенбісінде", "2026-11-24"),
        ("жұмада төледім", "2026-11-20"),
        ("жексенбі күні кешке салдым", "2026-11-22"),
        ("otken senbide", "2026-11-21"),  # Latin script
        ("v proshlyi chetverg", "2026-11-19"),
        ("на позапрошлой неделе", "2026-11-11"),
        ("неделю назад", "2026-11-18"),
        ("на прошлой неделе во вторник", "2026-11-17"),
        ("в четверг на прошлой неделе", "2026-11-19"),
        ("өткен аптаның жұмасында", "2026-11-20"),
    ],
)
def test_weekdays(text, iso):
    assert parse_payment_date(text, TODAY).isoformat() == iso


@pytest.mark.parametrize(
    "text, span, iso",
    [
        ("позавчера вечером оплатила", "позавчера вечером", "2026-11-23"),
        ("кеше кешке салдым", "кеше кешке", "2026-11-24"),
        ("кеше күндіз", "кеше күндіз", "2026-11-24"),
        ("сегодня утром закинул", "сегодня утром", "2026-11-25"),
        ("вчера в 9 вечера", "вчера в 9 вечера", "2026-11-24"),
        ("бүгін сағат 10-да", "бүгін сағат 10-да", "2026-11-25"),
        ("в среду после обеда", "в среду после обеда", "2026-11-18"),
        ("кеше түнде, әлі жоқ", "кеше түнде", "2026-11-24"),  # not past the comma
    ],
)
def test_time_of_day_stays_in_the_span(text, span, iso):
    [(start, end, found)] = find_dates(text, TODAY)
    assert (text[start:end], found) == (span, iso)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("12-ші қарашада", "2026-11-12"),
        ("девятого ноября", "2026-11-09"),
        ("тридцать первого октября", "2026-10-31"),
        ("первое ноября", "2026-11-01"),
        ("жиырма үшінші қазанда", "2026-10-23"),
        ("қазанның 3-інде", "2026-10-03"),
        ("қарашаның онында", "2026-11-10"),  # a day in words after the month
        ("өткен айдың 7-сі", "2026-10-07"),
        ("первого числа оплатил", "2026-11-01"),
        ("7-го числа прошлого месяца", "2026-10-07"),
        ("оплатил 3-го", "2026-11-03"),
        ("28-го числа оплатила", "2026-10-28"),  # still ahead this month: last month's
        ("айдың 20-сында салдым", "2026-11-20"),
        ("5ноября", "2026-11-05"),
        ("3 декабря", "2025-12-03"),
        ("5 қарашада", "2026-11-05"),
        ("14 октябрь", "2026-10-14"),
        ("2 сәуірде", "2026-04-02"),
        ("12 noyabrya", "2026-11-12"),
        ("3 qarasha", "2026-11-03"),
        ("5 ноября 2025 года", "2025-11-05"),
        ("1/11", "2026-11-01"),
        ("1/11/2026", "2026-11-01"),
        ("15-11-2026", "2026-11-15"),
    ],
)
def test_days_months_and_numbers(text, iso):
    assert parse_payment_date(text, TODAY).isoformat() == iso


@pytest.mark.parametrize(
    "text, iso",
    [
        ("айдың басында төледім", "2026-11-01"),
        ("в конце прошлого месяца", "2026-10-31"),
        ("в середине октября", "2026-10-15"),
        ("өткен айдың ортасында", "2026-10-15"),
        ("в прошлом месяце", "2026-10-25"),
        ("бес күн бұрын", "2026-11-20"),
        ("пару дней назад", "2026-11-23"),
        ("две недели назад", "2026-11-11"),
        ("дня три назад", "2026-11-22"),
        ("3 дня тому назад", "2026-11-22"),
        ("2-3 дня назад", "2026-11-23"),  # the nearer day
        ("бір ай бұрын", "2026-10-25"),
        ("месяц назад", "2026-10-25"),
        ("3 часа назад", "2026-11-25"),
        ("keshe keshke", "2026-11-24"),
        ("5 dney nazad", "2026-11-20"),
    ],
)
def test_parts_of_months_and_time_ago(text, iso):
    assert parse_payment_date(text, TODAY).isoformat() == iso


def test_a_week_this_side_of_today_names_no_past_day():
    assert parse_payment_date("в эту пятницу", TODAY) is None  # Friday is still ahead


@pytest.mark.parametrize(
    "text",
    [
        "кешеден бері интернет жоқ",  # «since»: when an outage began
        "с понедельника не работает",
        "интернет жоқ кеше кештен бері",
        "до 5 числа надо оплатить",
        "абонплата списывается в начале месяца?",  # a schedule, not a payment
        "мастер придёт в субботу",
        "ертең сенбіде келіңіз",
        "2.5 мың салдым",  # money, not 2 May
        "за последнюю неделю пропадает связь",
        "Жұма ағай келді",  # a name
        "қанша күн бұрын өтінім беру керек",  # «how many days before»
        "среда разработки",
    ],
)
def test_no_payment_date(text):
    assert find_dates(text, TODAY) == []


def test_a_year_only_counts_when_it_can_be_one():
    text = "20 сәуір 5500 тг төледім"  # 5500 is the sum, not the year
    [(start, end, iso)] = find_dates(text, TODAY)
    assert (text[start:end], iso) == ("20 сәуір", "2026-04-20")


@pytest.mark.parametrize("text, time", [
    ("вчера в 14:30", "14:30"), ("25.07 9:05", "09:05"), ("кеше сағат 14-те", "14:00"),
    ("около 9 часов", "09:00"), ("вчера в 9 вечера", "21:00"), ("вчера в 2 часа дня", "14:00"),
    ("25.07.2026", None), ("2 часа назад", None), ("в среду", None), ("в 9", None),
])
def test_the_payment_time_said_with_the_date(text, time):
    from bot.text.parsing.dates import parse_payment_time

    assert parse_payment_time(text) == time
