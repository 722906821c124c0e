"""Payment dates: absolute and relative forms in both languages land on the right day."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.text.parsing.dates import find_dates, parse_payment_date
from tests.properties.strategies import filler_words

KK_MONTHS = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
             "қыркүйек", "қазан", "қараша", "желтоқсан"]
RU_MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря"]
# «Today» anywhere in several years, leap ones included.
TODAY = st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))
# Up to 60 days back: older payments are out of the claim window anyway.
DAYS_BACK = st.integers(min_value=0, max_value=60)


def ru_days(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "день"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "дня"
    return "дней"


@st.composite
def absolute_form(draw, paid: date, today: date) -> str:
    forms = [f"{paid.day} {KK_MONTHS[paid.month - 1]}", f"{paid.day} {RU_MONTHS[paid.month - 1]}",
             f"{paid.day}-ші {KK_MONTHS[paid.month - 1]}", f"{paid.day:02d}.{paid.month:02d}",
             f"{paid.day}.{paid.month:02d}", f"{paid.day:02d}.{paid.month:02d}.{paid.year}",
             f"{paid.day:02d}/{paid.month:02d}/{paid.year % 100:02d}", paid.isoformat()]
    return draw(st.sampled_from(forms))


@settings(max_examples=80, deadline=None)
@given(TODAY, DAYS_BACK, st.data())
@example(date(2028, 3, 1), 1, None)  # 29 February of a leap year
def test_absolute_dates_in_the_last_60_days(today, back, data):
    paid = today - timedelta(days=back)
    text = f"{paid.day} {KK_MONTHS[paid.month - 1]}" if data is None else data.draw(absolute_form(paid, today))
    assert parse_payment_date(text, today) == paid


@settings(max_examples=100, deadline=None)
@given(TODAY, st.integers(min_value=0, max_value=99), st.sampled_from(["kk", "ru"]))
def test_n_days_ago(today, n, lang):
    text = f"{n} күн бұрын" if lang == "kk" else f"{n} {ru_days(n)} назад"
    assert parse_payment_date(text, today) == today - timedelta(days=n)


@settings(max_examples=100, deadline=None)
@given(TODAY, st.sampled_from([("кеше", 1), ("вчера", 1), ("бүгін", 0), ("сегодня", 0),
                               ("позавчера", 2), ("алдыңгүні", 2)]))
def test_yesterday_and_today(today, word_days):
    word, days = word_days
    assert parse_payment_date(word, today) == today - timedelta(days=days)


@settings(max_examples=100, deadline=None)
@given(TODAY, DAYS_BACK, st.data(), filler_words(), filler_words())
def test_date_found_inside_a_sentence(today, back, data, before, after):
    paid = today - timedelta(days=back)
    written = data.draw(absolute_form(paid, today))
    text = f"{before} {written} {after}"
    [(start, end, iso)] = find_dates(text, today)
    assert iso == paid.isoformat() and text[start:end] == written


@settings(max_examples=200, deadline=None)
@given(TODAY, st.integers(min_value=1, max_value=31), st.integers(min_value=1, max_value=12),
       st.sampled_from(["kk", "ru", "numeric"]))
@example(date(2028, 2, 10), 29, 2, "numeric")  # 29.02 named before it comes in a leap year
def test_a_day_without_a_year_is_never_in_the_future(today, day, month, form):
    text = {"kk": f"{day} {KK_MONTHS[month - 1]}", "ru": f"{day} {RU_MONTHS[month - 1]}",
            "numeric": f"{day:02d}.{month:02d}"}[form]
    parsed = parse_payment_date(text, today)
    if parsed is not None:
        assert today - timedelta(days=366) < parsed <= today
        assert (parsed.day, parsed.month) == (day, month)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"[\d./ -]{0,12}(кеше|вчера|назад|бұрын|шілде|мая)?", fullmatch=True))
def test_any_text_gives_a_date_or_none(text):
    today = date(2026, 11, 25)
    assert parse_payment_date(text, today) is None or isinstance(parse_payment_date(text, today), date)
    for start, end, iso in find_dates(text, today):
        assert 0 <= start < end <= len(text)
        date.fromisoformat(iso)
