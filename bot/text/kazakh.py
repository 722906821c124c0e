"""Kazakh case endings after a filled-in value: «27-ден 4-ке дейін», «18:00-ге дейін».

A Kazakh ending follows the last word *as it is said*: «27» is «жиырма жеті»,
so «27-ден»; «4» is «төрт», so «4-ке»; «09:00» is «тоғыз», so «09:00-ға».
Two things of that word choose the ending:

- vowel harmony: its last vowel back (а о ұ ы) or front (ә е і ө ү);
- its final sound: a vowel; a sonorant (л р й у); з, ж; a nasal (м н ң);
  or a voiceless consonant (к қ п с т ф х ц ч ш щ, and б в г д, which
  sound voiceless at the end of a word).

| case | after a vowel | л р й у | з ж | м н ң | voiceless |
|---|---|---|---|---|---|
| dative (dat)       | -ға/-ге | -ға/-ге | -ға/-ге | -ға/-ге | -қа/-ке |
| locative (loc)     | -да/-де | -да/-де | -да/-де | -да/-де | -та/-те |
| ablative (abl)     | -дан/-ден | -дан/-ден | -дан/-ден | -нан/-нен | -тан/-тен |
| genitive (gen)     | -ның/-нің | -дың/-дің | -дың/-дің | -ның/-нің | -тың/-тің |
| accusative (acc)   | -ны/-ні | -ды/-ді | -ды/-ді | -ды/-ді | -ты/-ті |
| instrumental (ins) | -мен | -мен | -бен | -мен | -пен |

How a value is said (only its last word matters):

- a number: «жиырма жеті» (27), «қырық» (40), «жүз» (100), «он мың» (10 000),
  «нөл» (0); a decimal «2,5» is «екі бүтін оннан бес»;
- a time «HH:MM»: the minutes, or the hour on the hour — «18:00» «он сегіз»,
  «12:40» «он екі қырық», «09:05» «тоғыз нөл бес»;
- a date «DD.MM» or «DD.MM.YYYY»: the day and the month, «23 қазан»
  (a year, when said, comes first: «2026 жылғы 23 қазан»);
- a date and a time «DD.MM HH:MM»: the time is said last;
- a word: as written («23 қазан» → «23 қазанға», «Астана» → «Астанада»).

After digits the ending is joined with a hyphen («18:00-ге»), after a word
directly («қазанға»). This module only chooses endings; what Dana says lives
in domain/responses.
"""

from __future__ import annotations

import re

CASES = ("dat", "loc", "abl", "gen", "acc", "ins")

# The words a number ends with when it is said aloud.
_UNITS = ("нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз")
_TENS = ("", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан")
_SCALES = ("", "мың", "миллион", "миллиард", "триллион")
# Month names as said in a date («23 қазан»).
MONTHS = (
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
)

_BACK_VOWELS = set("аоұыяё")
_FRONT_VOWELS = set("әеіөүэ")
# и, у and ю are vowels or glides depending on the word; they decide harmony
# only when a word has no other vowel (и front, у and ю back: «суға»).
_VOWELS = _BACK_VOWELS | _FRONT_VOWELS | set("иую")
_SONORANTS = set("лрйуи")
_VOICED = set("зжғ")
_NASALS = set("мнң")
_VOICELESS = set("кқпстфхцчшщһбвгд")

# (back, front) endings by case and final sound.
_ENDINGS = {
    "dat": {
        "vowel": ("ға", "ге"),
        "sonorant": ("ға", "ге"),
        "voiced": ("ға", "ге"),
        "nasal": ("ға", "ге"),
        "voiceless": ("қа", "ке"),
    },
    "loc": {
        "vowel": ("да", "де"),
        "sonorant": ("да", "де"),
        "voiced": ("да", "де"),
        "nasal": ("да", "де"),
        "voiceless": ("та", "те"),
    },
    "abl": {
        "vowel": ("дан", "ден"),
        "sonorant": ("дан", "ден"),
        "voiced": ("дан", "ден"),
        "nasal": ("нан", "нен"),
        "voiceless": ("тан", "тен"),
    },
    "gen": {
        "vowel": ("ның", "нің"),
        "sonorant": ("дың", "дің"),
        "voiced": ("дың", "дің"),
        "nasal": ("ның", "нің"),
        "voiceless": ("тың", "тің"),
    },
    "acc": {
        "vowel": ("ны", "ні"),
        "sonorant": ("ды", "ді"),
        "voiced": ("ды", "ді"),
        "nasal": ("ды", "ді"),
        "voiceless": ("ты", "ті"),
    },
    "ins": {
        "vowel": ("мен", "мен"),
        "sonorant": ("мен", "мен"),
        "voiced": ("бен", "бен"),
        "nasal": ("мен", "мен"),
        "voiceless": ("пен", "пен"),
    },
}

# A number at the end of the text, thousands grouped by spaces («10 000») or not.
_TRAILING_NUMBER = re.compile(r"(?:^|\s)(?P<whole>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[,.](?P<fraction>\d+))?$")
_TIME = re.compile(r"(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)")
_DATE = re.compile(r"(?P<day>0?[1-9]|[12]\d|3[01])\.(?P<month>0[1-9]|1[0-2])(?:\.(?P<year>\d{4}))?")
_WORD = re.compile(r"[а-яёәғқңөұүһі]+$", re.IGNORECASE)


def number_word(number: int) -> str:
    """The last word of a whole number said in Kazakh: 27 → «жеті», 40 → «қырық»."""
    if number < 0:
        raise ValueError(f"not a count: {number}")
    if number == 0:
        return _UNITS[0]
    scale = 0
    while number % 1000 == 0:
        number //= 1000
        scale += 1
    if scale >= len(_SCALES):
        raise ValueError("number too large to say")
    if scale:
        return _SCALES[scale]
    group = number % 1000
    if group % 10:
        return _UNITS[group % 10]
    if group % 100:
        return _TENS[group // 10 % 10]
    return "жүз"


def spoken_last_word(value: str) -> str:
    """The word the value ends with when said aloud (see the module's docstring)."""
    text = " ".join(str(value).split())
    if not text:
        raise ValueError("nothing to say")
    last = text.rsplit(" ", 1)[-1]
    moment = _TIME.fullmatch(last)
    if moment:
        minute = int(moment["minute"])
        return number_word(minute) if minute else number_word(int(moment["hour"]))
    date = _DATE.fullmatch(last)
    if date:
        return MONTHS[int(date["month"]) - 1]
    number = _TRAILING_NUMBER.search(text)
    if number:
        if number["fraction"] and int(number["fraction"]):
            return number_word(int(number["fraction"]))  # «екі бүтін оннан бес»
        return number_word(int(re.sub(r"\D", "", number["whole"])))
    word = _WORD.search(last)
    if word and any(ch in _VOWELS for ch in word.group(0).lower()):
        return word.group(0).lower()
    raise ValueError(f"cannot tell how «{value}» is said in Kazakh")


def _harmony(word: str) -> int:
    """0 for back, 1 for front vowels (the last clear vowel decides)."""
    for ch in reversed(word):
        if ch in _BACK_VOWELS:
            return 0
        if ch in _FRONT_VOWELS:
            return 1
    for ch in reversed(word):  # only и, у, ю
        if ch == "и":
            return 1
        if ch in "ую":
            return 0
    raise ValueError(f"no vowel in «{word}»")


def _final_sound(word: str) -> str:
    last = word.rstrip("ьъ")[-1]
    if last in _SONORANTS:  # у and и end a Kazakh word as glides: «елу», «су»
        return "sonorant"
    if last in _VOWELS:
        return "vowel"
    if last in _VOICED:
        return "voiced"
    if last in _NASALS:
        return "nasal"
    if last in _VOICELESS:
        return "voiceless"
    raise ValueError(f"unknown final sound in «{word}»")


def suffix(value: str, case: str) -> str:
    """The ending alone: suffix("27", "abl") → «ден»."""
    if case not in _ENDINGS:
        raise ValueError(f"unknown case {case!r}: one of {', '.join(CASES)}")
    word = spoken_last_word(value)
    return _ENDINGS[case][_final_sound(word)][_harmony(word)]


def with_suffix(value: str, case: str) -> str:
    """The value with its case ending: («27», "abl") → «27-ден», («18:00», "dat") →
    «18:00-ге», («23 қазан», "dat") → «23 қазанға». Raises ValueError for a
    value whose Kazakh reading is unknown (a Latin word, an empty string)."""
    text = str(value).strip()
    ending = suffix(text, case)
    return f"{text}{ending}" if text[-1].isalpha() else f"{text}-{ending}"
