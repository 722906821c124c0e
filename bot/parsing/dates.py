"""Payment dates in Kazakh and Russian → ISO date, relative to today (Astana).

The common forms are parsed here directly (fast, no surprises); anything
else that looks like a date goes to dateparser with the two languages.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from bot.config import ASTANA
from bot.language.normalise import fold_text

_RELATIVE_DAYS = {
    "бугин": 0, "сегодня": 0, "кеше": 1, "вчера": 1, "позавчера": 2,
    "алдынгуни": 2, "алдыңгүні": 2, "кешеги": 1, "бугинги": 0,
}
_MONTHS = {
    # folded Kazakh, Russian (genitive and nominative stems)
    "кантар": 1, "акпан": 2, "наурыз": 3, "сауир": 4, "мамыр": 5, "маусым": 6,
    "шилде": 7, "тамыз": 8, "кыркуиек": 9, "казан": 10, "караша": 11, "желтоксан": 12,
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7,
    "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s*(?:-?(?:ші|шы|ши|інші|ыншы|инши|ынши|го|е))?\s+([а-я]+)")
_NUMERIC = re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_AGO = re.compile(
    r"\b(\d{1,2}|бир|еки|уш|торт|бес|один|два|три|четыре|пять)\s+"
    r"(кун|дня|день|дней|апта|недел\w*)\s+(бурын|назад|бурин)"
)
_LAST_WEEK = re.compile(r"\b(откен\s+апта\w*|на\s+прошлои\s+неделе|прошлои\s+неделе)\b")
_SMALL = {"бир": 1, "еки": 2, "уш": 3, "торт": 4, "бес": 5, "один": 1, "два": 2,
          "три": 3, "четыре": 4, "пять": 5}

DATE_HINT = re.compile(
    r"(кеше|вчера|позавчера|бүгін|бугин|сегодня|алдыңгүні|алдынгуни|\d{1,2}[./]\d{1,2}|"
    r"\d{4}-\d{2}-\d{2}|бұрын|бурын|назад|прошл|өткен|откен|"
    r"\d{1,2}\s*-?\w*\s+(?:қаң|ақп|нау|сәу|мам|мау|шіл|там|қыр|қаз|қар|жел|"
    r"янв|фев|мар|апр|мая|май|июн|июл|авг|сен|окт|ноя|дек|kan|shil|tam))",
    re.IGNORECASE,
)


def today_astana() -> date:
    return datetime.now(ASTANA).date()


def _month_of(word: str) -> int | None:
    for stem, month in _MONTHS.items():
        if word.startswith(stem) and (stem != "ма" or word in ("мая", "май")):
            return month
    return None


def _past(day: int, month: int, today: date, year: int | None = None) -> date | None:
    """A day and month in the past year (payments are never in the future)."""
    try:
        candidate = date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and candidate > today:
        try:
            candidate = candidate.replace(year=today.year - 1)
        except ValueError:  # 29 February named early in a leap year: no such day last year
            return None
    return candidate


def parse_payment_date(text: str, today: date | None = None) -> date | None:
    """The date a customer names, or None when the text names none."""
    today = today or today_astana()
    folded = fold_text(text)
    for word, days in _RELATIVE_DAYS.items():
        if re.search(rf"\b{word}\b", folded):
            return today - timedelta(days=days)
    if m := _AGO.search(folded):
        count = int(m.group(1)) if m.group(1).isdigit() else _SMALL[m.group(1)]
        unit = 7 if m.group(2).startswith(("апта", "недел")) else 1
        return today - timedelta(days=count * unit)
    if _LAST_WEEK.search(folded):
        return today - timedelta(days=7)
    if m := _ISO.search(folded):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if m := _NUMERIC.search(folded):
        year = m.group(3)
        if year:
            year = int(year) + (2000 if len(year) == 2 else 0)
        return _past(int(m.group(1)), int(m.group(2)), today, year)
    for m in _DAY_MONTH.finditer(folded):
        month = _month_of(m.group(2))
        if month:
            return _past(int(m.group(1)), month, today)
    return _dateparser(text, today)


def _dateparser(text: str, today: date) -> date | None:
    if not DATE_HINT.search(text):
        return None
    import dateparser  # slow import, only for the rare forms above missed

    parsed = dateparser.parse(
        text,
        languages=["ru", "kk"],
        settings={
            "RELATIVE_BASE": datetime.combine(today, datetime.min.time()),
            "PREFER_DATES_FROM": "past",
        },
    )
    return parsed.date() if parsed else None


def find_dates(text: str, today: date | None = None) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) for the date phrase in the text, at most one."""
    match = _SPAN.search(text)
    if not match:
        return []
    value = parse_payment_date(match.group(0), today)
    return [(match.start(), match.end(), value.isoformat())] if value else []


_SPAN = re.compile(
    r"(?:\b\d{1,2}\s+(?:күн|кун|дня|день|дней|апта\w*|недел\w*)\s+(?:бұрын|бурын|назад)|"
    r"(?:бір|бир|екі|еки|үш|уш|один|два|три)\s+(?:күн|кун|дня|день|апта\w*|недел\w*)\s+(?:бұрын|бурын|назад)|"
    r"өткен\s+апта\w*|откен\s+апта\w*|на\s+прошлой\s+неделе|"
    r"алдыңгүні|алдынгуни|позавчера|кеше|вчера|бүгін|бугин|сегодня|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?|"
    r"\d{1,2}\s*-?\w{0,4}\s+(?:қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|"
    r"кантар|акпан|сауир|шилде|кыркуйек|казан|караша|желтоксан|"
    r"январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*)",
    re.IGNORECASE,
)
