"""Values as the IVR says them: numbers in words, dates with month names.

The voice variants of Dana's responses (``channel: voice`` in domain/responses)
carry no digits of their own: a business number is ``{name_words}`` — «два» /
«екі» — and a date the customer hears is «23 октября» / «23 қазан», not
«23.10.2026», which text-to-speech reads as a string of numbers. The NLG
(bot/server/nlg.py) calls these for the voice channel; customer numbers (logins,
phones) are spelled digit by digit by channels/speech.py.

Pure functions, no words of Dana's own: what she says lives in domain/responses.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from num2words import num2words

from bot.config import ASTANA
from bot.text import kazakh

_RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_TIME = re.compile(r"(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)")
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+")
# num2words names Kazakh «kz»; Russian cases by their English names.
_LANG = {"kk": "kz", "ru": "ru"}
RUSSIAN_CASES = {"gen": "genitive"}


def _cardinal(number: int, language: str, case: str | None) -> str:
    if language == "ru" and case:
        # Russian voice texts count business numbers in «суток», «часов», «дней» after a
        # genitive («в течение трёх суток»); «одних суток» needs the plural numeral.
        ends_in_one = number % 10 == 1 and number % 100 != 11
        return num2words(number, lang="ru", case=RUSSIAN_CASES[case], plural=ends_in_one)
    return num2words(number, lang=_LANG[language])


def number_words(value: object, language: str, case: str | None = None) -> str:
    """A whole number or a time of day in words: («2», "ru") → «два», («2», "ru",
    "gen") → «двух», («10 000», "kk") → «он мың», («09:00», "ru") → «девять»,
    («09:30», "kk") → «тоғыз отыз». ``case`` is a Russian case (only ``gen``);
    Kazakh endings are added afterwards by bot/text/kazakh.py. Raises ValueError for
    anything else."""
    if language not in _LANG:
        raise ValueError(f"no number words for language {language!r}")
    if case and (language != "ru" or case not in RUSSIAN_CASES):
        raise ValueError(f"no {case!r} number words in {language}")
    text = " ".join(str(value).split())
    moment = _TIME.fullmatch(text)
    if moment:
        hour = _cardinal(int(moment["hour"]), language, case)
        minute = int(moment["minute"])
        return hour if not minute else f"{hour} {_cardinal(minute, language, case)}"
    if _NUMBER.fullmatch(text):
        return _cardinal(int(re.sub(r"\D", "", text)), language, case)
    raise ValueError(f"«{value}» is not a number to say")


def spoken_date(day: date, language: str) -> str:
    """«23 октября» / «23 қазан»: the year is left out, as people say it."""
    months = kazakh.MONTHS if language == "kk" else _RU_MONTHS
    return f"{day.day} {months[day.month - 1]}"


def spoken_moment(moment: datetime, language: str) -> str:
    """«18 ноября, 18:00» / «18 қараша, 18:00», Astana time."""
    local = moment.astimezone(ASTANA) if moment.tzinfo else moment
    return f"{spoken_date(local.date(), language)}, {local.strftime('%H:%M')}"
