"""Payment dates in Kazakh and Russian → ISO date, relative to today (Astana).

Phrases are read word by word on the folded text (ә→а, қ→к, й→и, Latin
script → Cyrillic), so «өткен сенбіде», «откен сенбиде» and «otken senbide»
are one form; spans point back at the customer's own words. Payments lie in
the past: a day named without a year is the latest such day up to today, and
a phrase that can only mean the future gives no date. Whole answers the rules
miss go to dateparser.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

from bot.config import ASTANA
from bot.text.language.normalise import fold_text, fold_word, folded_spans
from bot.text.parsing.numbers import cardinal_words, day_number

_RELATIVE_DAYS = {
    "бугин": 0,
    "бугинги": 0,
    "бугун": 0,
    "сегодня": 0,
    "седня": 0,
    "кеше": 1,
    "кешеги": 1,
    "вчера": 1,
    "позавчера": 2,
    "алдынгуни": 2,
}
_MONTHS = {
    # folded Kazakh and Russian stems; any ending follows («карашада», «ноября»)
    "кантар": 1,
    "акпан": 2,
    "наурыз": 3,
    "сауир": 4,
    "мамыр": 5,
    "маусым": 6,
    "шилде": 7,
    "тамыз": 8,
    "кыркуиек": 9,
    "казан": 10,
    "караша": 11,
    "желтоксан": 12,
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_MONTH_WORDS = {
    "мая": 5,
    "маи": 5,
    "маю": 5,
    "янв": 1,
    "фев": 2,
    "февр": 2,
    "апр": 4,
    "авг": 8,
    "сент": 9,
    "окт": 10,
    "ноя": 11,
    "нояб": 11,
    "дек": 12,
}
_GENITIVE = re.compile(r"(?:н|д|т)(?:ын|ин)$")  # «қарашаның», «наурыздың»: the month of a day
_KK_WEEKDAYS = {"дуисенби": 0, "сеисенби": 1, "сарсенби": 2, "беисенби": 3, "жума": 4, "сенби": 5, "жексенби": 6}
# Kazakh endings: «сенбіде», «дүйсенбісінде», «жұмада»; never «-ден» (since).
_KK_WEEKDAY_END = re.compile(r"^(?:|де|да|си|сы|сиде|синде|сында|ни|ны|дагы|деги)$")
# Russian: «в пятницу», «в понедельник», «в воскресенье»; not «с понедельника», «до пятницы».
_RU_WEEKDAYS = {"понедельник": 0, "вторник": 1, "сред": 2, "четверг": 3, "пятниц": 4, "суббот": 5, "воскресен": 6}
_RU_WEEKDAY_END = re.compile(r"^(?:|е|у|а|ье)$")
_RU_PREPOSITIONS = {"в", "во", "на"}
_LAST = re.compile(r"^(?:прошл\w*|откен|алдынгы)$")
_BEFORE_LAST = re.compile(r"^позапрошл\w*$")
_THIS = re.compile(r"^(?:эт\w*|осы)$")
_WEEK = re.compile(r"^(?:недел\w*|апта\w*)$")
_MONTH_UNIT = re.compile(r"^(?:аи|аида|аидаи|месяц\w*|мес)$")
_DAY_UNIT = re.compile(r"^(?:кун|куннен|день|дня|днеи|днеы|дн|сут\w*)$")  # «dney» folds to «днеы»
_HOUR_UNIT = re.compile(r"^(?:час|часа|часов|сагат|минут\w*|мин)$")  # «2 часа назад»: today
_AGO = re.compile(r"^(?:назад|бурын|бурин|бурынырак|илгери)$")
_DAY_DIGITS = re.compile(r"^(\d{1,2})(?:-?[^\W\d_]{1,7})?$")  # «25», «25-ші», «20-сында», «3-го»
_GLUED_MONTH = re.compile(r"^(\d{1,2})-?([^\W\d_]{3,})$")  # «5ноября», «25-шілде»
# A day on its own, with the ending only a date has: «оплатил 5-го», «20-сында салдым».
_DAY_ALONE = re.compile(r"^(\d{1,2})-?(?:го|ого|инде|інде|ында|сында|синде|нде|нда)$")
# After a month in the genitive, a Kazakh number word is the day: «қарашаның бесінде», «бесі».
_KK_DAY_ENDINGS = ("синде", "сында", "инде", "ында", "нде", "нда", "си", "сы", "и", "ы")
_YEAR = re.compile(r"^(\d{4})(?:-?[^\W\d_]{1,5})?$")
_YEAR_WORD = re.compile(r"^(?:года|году|год|г|жылы|жыл|ж)$")
_NUMERIC = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?$|^(\d{1,2})-(\d{1,2})-(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_AMOUNT_AFTER = re.compile(r"^(?:мын\w*|тыс\w*|тыщ\w*|к|тг|тенге\w*|кзт|₸)$")  # «2.5 мың» is money
# «кеше кештен бері», «с понедельника», «по 31.07», «айдың аяғына дейін»: the start or
# end of something else (an outage, a block), not the day of a payment.
_SINCE_AFTER = {"бери", "бастап", "деиин", "кеиин"}
_SINCE_BEFORE = {"с", "со", "начиная", "по", "до"}
# Forms that also name days of a schedule («абонплата в начале месяца снимается?»,
# «в субботу придёт мастер»): a payment date only beside a past-tense verb or alone.
_PAST = re.compile(
    r"^(?:\w{3,}[аеиоуыяэ]л(?:а|и|о|ся|ась|ись)?|\w+(?:дым|дим|тым|тим|дыныз|диниз|тыныз|тиниз)|"
    r"\w+(?:ган|ген|кан|кен)(?:мын|мин|быз|биз|сыз|сиз)|\w+(?:гем|гам|кем|кам)|еди\w*|\w+(?:ыпты|ипти)|"
    r"(?:толед|толеп|толег|салд|салып|салга|аудард|аударып|жиберд|жиберип|оплатил|оплачивал|"
    r"заплатил|платил|закинул|скинул|кинул|перевел|положил|внесл|пополнил)\w*)$"
)
_FUTURE_BEFORE = re.compile(r"^(?:ертен|завтра|келеси|следующ\w*|будущ\w*)$")  # «ертең сенбіде»
_PART_OF_MONTH = {"начале": 1, "середине": 15, "конце": 31, "басында": 1, "ортасында": 15, "аягында": 31, "сонында": 31}
# Time of day after a date: «кеше кешке», «сегодня утром», «16 ноября в обед».
_TIME_WORD = re.compile(
    r"^(?:утром|днем|вечером|ночью|танертен\w*|тангы|тусте|тус|кундиз|кешке|"
    r"кешкисин|кешкурым|тунде|тунги|обед|обеда|куни)$"
)
_CLOCK = re.compile(r"^\d{1,2}(?:-?[^\W\d_]{1,5})?$")
_CLOCK_WORD = re.compile(r"^(?:утра|вечера|дня|ночи|часов|часа|час)$")

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
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    for stem, month in _MONTHS.items():
        if word.startswith(stem):
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


def _months_back(today: date, months: int, day: int | None = None) -> date:
    """The same day (or ``day``, 31 = the last) ``months`` months before today's month."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day or today.day, last))


def _in_month(day: int, today: date, months_back: int | None) -> date | None:
    """Day ``day`` of this month, or of last month when it is still ahead («5 числа»)."""
    if months_back is None:
        months_back = 0 if day <= today.day else 1
    candidate = _months_back(today, months_back, day)
    return candidate if candidate.day == day or day == 31 else None


class _Reader:
    """Date phrases in a list of folded words, each tried at every position."""

    def __init__(self, words: list[str], today: date, breaks: set[int]):
        self.w, self.today = words, today
        self.breaks = breaks  # words after punctuation: a time of day does not reach past it

    def at(self, i: int) -> str:
        return self.w[i] if 0 <= i < len(self.w) else ""

    def phrase(self, i: int) -> tuple[int, date | None, bool] | None:
        """(index after the phrase, its date, whether it also names schedule days)."""
        for reader in (
            self.day_number,
            self.numeric,
            self.day_month,
            self.month_day,
            self.part_of_month,
            self.relative_day,
            self.ago,
            self.week,
            self.weekday,
            self.last_month,
        ):
            self.vague = reader in (self.day_number, self.part_of_month)
            if found := reader(i):
                return found[0], found[1], self.vague
        return None

    # «01.11», «1/11», «01.11.2026», «2026-11-01»
    def numeric(self, i):
        word = self.at(i)
        if m := _ISO.match(word):
            try:
                return i + 1, date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return i + 1, None
        if (m := _NUMERIC.match(word)) and not _AMOUNT_AFTER.match(self.at(i + 1)):
            day, month, year = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
            year = year and int(year) + (2000 if len(year) == 2 else 0)
            return i + 1, _past(int(day), int(month), self.today, year or None)
        return None

    def day_words(self, i: int, kazakh_ending: bool = False) -> tuple[int, int] | None:
        """(index after, day) for «25», «25-ші», «пятого», «двадцать первого», «жиырма бесінші»;
        with ``kazakh_ending`` also «бесінде», «жиырма бесі» (after «қарашаның»)."""
        if m := _DAY_DIGITS.match(self.at(i)):
            return i + 1, int(m[1])
        for n in (2, 1):
            words = self.w[i : i + n]
            if len(words) < n:
                continue
            if day := day_number(words) or cardinal_words(words):
                return i + n, day
            for ending in _KK_DAY_ENDINGS if kazakh_ending else ():
                stem = words[-1][: -len(ending)]
                if words[-1].endswith(ending) and (day := cardinal_words(words[:-1] + [stem])):
                    return i + n, day
        return None

    # «25 шілде», «25-ші шілдеде», «девятого ноября», «5 ноября 2025 года», «5ноября»
    def day_month(self, i):
        if (m := _GLUED_MONTH.match(self.at(i))) and (month := _month_of(fold_word(m[2]))):
            end, day = i + 1, int(m[1])
        elif not (found := self.day_words(i)) or not (month := _month_of(self.at(found[0]))):
            return None
        else:
            end, day = found[0] + 1, found[1]
        year = None
        if (m := _YEAR.match(self.at(end))) and 2000 <= int(m[1]) <= self.today.year:
            year, end = int(m[1]), end + 1 + bool(_YEAR_WORD.match(self.at(end + 1)))
        return end, _past(day, month, self.today, year)

    # «қарашаның 20-сы», «өткен айдың 14-і», «айдың 5-інде»
    def month_day(self, i):
        word, months_back = self.at(i), None
        if _LAST.match(word) and self.at(i + 1).startswith("аидын"):
            months_back, i = 1, i + 1
        elif _THIS.match(word) and self.at(i + 1).startswith("аидын"):
            months_back, i = 0, i + 1
        month = None if self.at(i) == "аидын" else _month_of(self.at(i))
        if not (_GENITIVE.search(self.at(i)) and (month or self.at(i) == "аидын")):
            return None
        if _PART_OF_MONTH.get(self.at(i + 1)):
            return None
        if not (found := self.day_words(i + 1, kazakh_ending=True)):
            return None
        if month:
            return found[0], _past(found[1], month, self.today)
        self.vague = months_back is None  # «айдың 5-інде» is also a billing day
        return found[0], _in_month(found[1], self.today, months_back)

    # «5 числа», «первого числа прошлого месяца», «оплатил 5-го», «20-сында салдым»
    def day_number(self, i):
        if (
            (m := _DAY_ALONE.match(self.at(i)))
            and self.at(i - 1) not in ("сагат", "в", "около")
            and not self.at(i + 1).startswith("числ")
            and not _month_of(self.at(i + 1))
        ):
            return i + 1, _in_month(int(m[1]), self.today, None)
        if not (found := self.day_words(i)) or not self.at(found[0]).startswith("числ"):
            return None
        end, months_back = found[0] + 1, None
        if self.at(end + 1).startswith("месяц"):
            if _LAST.match(self.at(end)):
                end, months_back = end + 2, 1
            elif _THIS.match(self.at(end)):
                end, months_back = end + 2, 0
        return end, _in_month(found[1], self.today, months_back)

    # «в начале месяца», «в конце прошлого месяца», «айдың басында», «өткен айдың аяғында»
    def part_of_month(self, i):
        start = i + (self.at(i) in _RU_PREPOSITIONS)
        if self.at(start) in ("начале", "середине", "конце"):
            day, i = _PART_OF_MONTH[self.at(start)], start + 1
            back = 1 if _LAST.match(self.at(i)) else 0 if _THIS.match(self.at(i)) else None
            i += back is not None
            month_word, end = self.at(i), i + 1
        else:
            back = 1 if _LAST.match(self.at(i)) else 0 if _THIS.match(self.at(i)) else None
            i += back is not None
            month_word, day, end = self.at(i), _PART_OF_MONTH.get(self.at(i + 1)), i + 2
            if not (day and _GENITIVE.search(month_word)):
                return None
        if month_word.startswith(("месяц", "аидын")):
            if back is None:  # «в конце месяца» on the 10th: the end of last month
                back = 0 if _months_back(self.today, 0, day) <= self.today else 1
            return end, _months_back(self.today, back, day)
        if month := _month_of(month_word):
            last = calendar.monthrange(self.today.year, month)[1]
            return end, _past(min(day, last), month, self.today)
        return None

    # «кеше», «вчера», «алдыңғы күні», «сегодня»
    def relative_day(self, i):
        word = self.at(i)
        if word in _RELATIVE_DAYS:
            return i + 1, self.today - timedelta(days=_RELATIVE_DAYS[word])
        if word in ("алдынгы", "бурнагы") and self.at(i + 1) == "куни":
            return i + 2, self.today - timedelta(days=2)
        return None

    # «3 күн бұрын», «бір ай бұрын», «неделю назад», «пару дней назад», «недели две назад»
    def ago(self, i):
        count, unit_at = self.count(i)
        unit = self.at(unit_at)
        after = unit_at + 1
        if count is None:  # «недели две назад»; «неделю назад», «ай бұрын» mean one
            count, after = self.count(after)
            if count is None and not (_WEEK.match(unit) or _MONTH_UNIT.match(unit)):
                return None  # «қанша күн бұрын» (how many days before) names no day
            count = 1 if count is None else count
        after += self.at(after) == "тому"  # «3 дня тому назад»
        if not _AGO.match(self.at(after)):
            return None
        if _MONTH_UNIT.match(unit):
            return after + 1, _months_back(self.today, count)
        days = 7 if _WEEK.match(unit) else 1 if _DAY_UNIT.match(unit) else 0 if _HOUR_UNIT.match(unit) else None
        return (after + 1, self.today - timedelta(days=count * days)) if days is not None else None

    def count(self, i: int) -> tuple[int | None, int]:
        """(number, index after it) for «3», «пять», «жиырма бес», «пару»; (None, i) if none."""
        if m := re.fullmatch(r"(\d{1,3})(?:-\d{1,3})?", self.at(i)):  # «2-3 дня»: the nearer day
            return int(m[1]), i + 1
        if self.at(i) in ("пару", "пара"):
            return 2, i + 1 + (self.at(i + 1) == "-тройку")
        for n in (2, 1):
            if (value := cardinal_words(self.w[i : i + n])) is not None and len(self.w[i : i + n]) == n:
                return value, i + n
        return None, i

    @staticmethod
    def weeks_back(word):
        """«прошлой» / «өткен» 1, «позапрошлой» 2, «этой» / «осы» 0, else None."""
        if _LAST.match(word):
            return 1
        if _BEFORE_LAST.match(word):
            return 2
        return 0 if _THIS.match(word) else None

    # «на прошлой неделе», «на позапрошлой неделе», «өткен аптада» (+ «в среду», «сәрсенбіде»)
    def week(self, i):
        j = i + (self.at(i) in _RU_PREPOSITIONS)
        weeks = self.weeks_back(self.at(j))
        if weeks is None or not _WEEK.match(self.at(j + 1)):
            return None
        end = j + 2
        weekday = self.weekday_word(end + (self.at(end) in _RU_PREPOSITIONS))
        if weekday is not None:
            end += 1 + (self.at(end) in _RU_PREPOSITIONS)
            return end, self.in_week(weekday, weeks)
        # A week back from today; «this week» names no one day.
        return end, self.today - timedelta(days=7 * weeks) if weeks else None

    # «в пятницу», «в прошлый вторник», «в эту среду», «өткен сенбіде», «жексенбі күні»
    def weekday(self, i):
        j = i + (self.at(i) in ("в", "во"))
        weeks = self.weeks_back(self.at(j))
        j += weeks is not None or self.at(j) in ("ту", "тот", "то")  # «в ту пятницу»: the latest
        if (weekday := self.weekday_word(j)) is None:
            return None
        if weeks is None and (week := self.week(j + 1)) and week[1] is not None:
            # «в пятницу на прошлой неделе», «жұмада өткен аптада»
            return week[0], self.in_week(weekday, (self.today - week[1]).days // 7)
        bare = j == i
        if bare and self.at(j).startswith(tuple(_RU_WEEKDAYS)):
            return None  # a bare «среда» is also «environment»: only «в среду», «в прошлую среду»
        if bare and self.at(j) == "жума" and self.at(j + 1) != "куни":
            return None  # «Жұма» is also a name
        self.vague = weeks is None
        if weeks is None:  # the latest such day before today
            return j + 1, self.today - timedelta(days=(self.today.weekday() - weekday - 1) % 7 + 1)
        return j + 1, self.in_week(weekday, weeks)

    def weekday_word(self, i: int) -> int | None:
        word = self.at(i)
        for names, ending in ((_KK_WEEKDAYS, _KK_WEEKDAY_END), (_RU_WEEKDAYS, _RU_WEEKDAY_END)):
            for stem, number in names.items():
                if word.startswith(stem) and ending.match(word[len(stem) :]):
                    return number
        return None

    def in_week(self, weekday: int, weeks_back: int) -> date | None:
        """That weekday ``weeks_back`` calendar weeks (Monday–Sunday) ago; None if still ahead."""
        day = self.today - timedelta(days=self.today.weekday() + 7 * weeks_back - weekday)
        return day if day <= self.today else None

    # «в прошлом месяце», «өткен айда»: a month back from today
    def last_month(self, i):
        j = i + (self.at(i) in _RU_PREPOSITIONS)
        if _LAST.match(self.at(j)) and self.at(j + 1) in ("месяце", "аида", "аи"):
            return j + 2, _months_back(self.today, 1)
        return None

    def time_of_day(self, i: int) -> int:
        """Index after a time of day following a date («кешке», «в 8 утра», «сағат 9-да»)."""
        for _ in range(3):
            if i in self.breaks:
                break
            word, nxt = self.at(i), self.at(i + 1)
            if _TIME_WORD.match(word) and (word != "куни" or _TIME_WORD.match(nxt)):
                i += 1
            elif word in ("рано", "поздно") and _TIME_WORD.match(nxt):  # «поздно вечером»
                i += 2
            elif word in ("в", "около", "сагат", "после") and (_CLOCK.match(nxt) or _TIME_WORD.match(nxt)):
                i += 2
                i += bool(re.fullmatch(r"\d{2}", self.at(i)))  # «8:30» folds to «8 30»
                i += bool(_CLOCK_WORD.match(self.at(i)))
            else:
                break
        return i


def _phrases(text: str, today: date) -> tuple[list[tuple[int, int, date | None]], bool]:
    """(start, end, date) in the original text for each payment date found, and
    whether any date phrase was seen at all. The date is None for a phrase that
    names no past day («29.02» before it comes)."""
    # «1/11» reads as «1.11»; the slash becomes a dot of the same length, so spans hold.
    folded, spans = folded_spans(re.sub(r"(?<=\d)/(?=\d)", ".", text))
    words = folded.split(" ") if folded else []
    breaks = {k for k in range(1, len(spans)) if text[spans[k - 1][3] : spans[k][2]].strip()}
    reader = _Reader(words, today, breaks)
    found, seen, i = [], False, 0
    while i < len(words):
        phrase = reader.phrase(i)
        if not phrase:
            i += 1
            continue
        end, seen = reader.time_of_day(phrase[0]), True
        others = words[:i] + words[end:]
        since = (
            reader.at(i - 1) in _SINCE_BEFORE
            or _SINCE_AFTER & set(words[end : end + 2])
            or _FUTURE_BEFORE.match(reader.at(i - 1))
        )
        unsure = phrase[2] and len(others) > 1 and not any(_PAST.match(w) for w in others)
        if not since and not unsure:
            found.append((spans[i][2], spans[end - 1][3], phrase[1]))
        i = end
    return found, seen


def parse_payment_date(text: str, today: date | None = None) -> date | None:
    """The date a customer names, or None when the text names none."""
    today = today or today_astana()
    found, seen = _phrases(text, today)
    if not seen:  # a phrase read and set aside («кешеден бері») is not handed on
        return _dateparser(text, today)
    return next((d for _, _, d in found if d is not None), None)


def _dateparser(text: str, today: date) -> date | None:
    if not DATE_HINT.search(text) or not fold_text(text):
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
    return parsed.date() if parsed and parsed.date() <= today else None


def find_dates(text: str, today: date | None = None) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) for the date phrase in the text, at most one."""
    found, _ = _phrases(text, today or today_astana())
    return [(s, e, d.isoformat()) for s, e, d in found if d][:1]


# The time of a payment, when the customer gives one with the date (the FAQ asks
# for both; a missing time is no reason to ask again): «14:30», «в 14 ч»,
# «около 9 часов», «сағат 14-те», «сағат 9 шамасында».
_PAID_CLOCK = re.compile(r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_PAID_HOUR_RU = re.compile(
    r"(?:\bв|около|примерно|где-то)\s+([01]?\d|2[0-3])\s*(?:ч\b|час\w*)?\s*" r"(утра|дня|вечера|ночи)?", re.IGNORECASE
)
_PAID_HOUR_KK = re.compile(r"са[ғг]ат\s*([01]?\d|2[0-3])(?!\d)", re.IGNORECASE)
# The part of the day said with the hour, in Kazakh (before or after «сағат N»:
# «кешкі сағат 9», «сағат 9-да кешке») or Russian («в 9 вечера»). «кеше» is
# «yesterday», not «in the evening»: not among them.
_PART_OF_DAY_KK = re.compile(
    r"\b(кешкі|кешки|кешке|кешқұрым|кешкурым|түскі|туски|тускы|түстен|тустен|түнгі|тунги|түнде|тунде|таңғы|тангы|таңертең\w*|танертен\w*)\b",
    re.IGNORECASE,
)
_EVENING, _AFTERNOON, _NIGHT = ("кеш",), ("түс", "тус"), ("түн", "тун")


def _on_the_clock(hour: int, part: str) -> int:
    """The 24-hour hour of «N o'clock» said with a part of the day."""
    part = part.lower()
    if part.startswith(_EVENING) or part in ("вечера", "дня"):
        return hour + 12 if 1 <= hour < 12 else hour
    if part.startswith(_AFTERNOON):
        return hour + 12 if 1 <= hour <= 6 else hour
    if part.startswith(_NIGHT) or part == "ночи":
        return 0 if hour == 12 else hour + 12 if 9 <= hour < 12 else hour  # «11 ночи» 23:00, «2 ночи» 02:00
    return hour  # morning


def parse_payment_time(text: str) -> str | None:
    """«HH:MM» named in the text, or None."""
    text = str(text or "")
    clock = _PAID_CLOCK.search(text)
    if clock:
        return f"{int(clock[1]):02d}:{clock[2]}"
    hour = _PAID_HOUR_KK.search(text)
    if hour:
        part = _PART_OF_DAY_KK.search(text)
        return f"{_on_the_clock(int(hour[1]), part[1]) if part else int(hour[1]):02d}:00"
    hour = _PAID_HOUR_RU.search(text)
    if not hour or not (hour[0].rstrip().endswith(("ч", "час", "часа", "часов")) or hour[2]):
        return None  # «в 9» alone may be a date («в 9-м»), not a time
    return f"{_on_the_clock(int(hour[1]), hour[2]) if hour[2] else int(hour[1]):02d}:00"
