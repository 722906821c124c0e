"""Number words of Russian and Kazakh, on folded forms (ә→а, қ→к, й→и …).

Shared by amounts («бес мың») and dates («жиырма бесінші», «пятого»,
«три дня назад»), so both read the same words the same way.
"""

from __future__ import annotations

import re
from typing import cast

RU_UNITS = {
    "ноль": 0,
    "один": 1,
    "одна": 1,
    "одну": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
    "десять": 10,
    "одиннадцать": 11,
    "двенадцать": 12,
    "тринадцать": 13,
    "четырнадцать": 14,
    "пятнадцать": 15,
    "шестнадцать": 16,
    "семнадцать": 17,
    "восемнадцать": 18,
    "девятнадцать": 19,
    "двадцать": 20,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "шестьдесят": 60,
    "семьдесят": 70,
    "восемьдесят": 80,
    "девяносто": 90,
    "сто": 100,
    "двести": 200,
    "триста": 300,
    "четыреста": 400,
    "пятьсот": 500,
    "шестьсот": 600,
    "семьсот": 700,
    "восемьсот": 800,
    "девятьсот": 900,
    # «около двух тысяч», «пяти тысяч»: the genitive after «около/до/из»
    "одного": 1,
    "одной": 1,
    "двух": 2,
    "трех": 3,
    "четырех": 4,
    "восьми": 8,
    "сорока": 40,
    "ста": 100,
    "пятидесяти": 50,
}
KK_UNITS = {
    "нол": 0,
    "бир": 1,
    "еки": 2,
    "уш": 3,
    "торт": 4,
    "бес": 5,
    "алты": 6,
    "жети": 7,
    "сегиз": 8,
    "тогыз": 9,
    "он": 10,
    "жиырма": 20,
    "отыз": 30,
    "кырык": 40,
    "елу": 50,
    "алпыс": 60,
    "жетпис": 70,
    "сексен": 80,
    "токсан": 90,
}
HALF = {"жарым", "половинои", "половина", "половину"}  # «мың жарым», «с половиной»
ONE_AND_HALF = {"полторы", "полтора"}

# Russian ordinal stems («пятого», «двадцать первое», «третьего числа»).
_RU_ORDINAL_STEMS = {
    "перв": 1,
    "втор": 2,
    "трет": 3,
    "четверт": 4,
    "пят": 5,
    "шест": 6,
    "седьм": 7,
    "восьм": 8,
    "девят": 9,
    "десят": 10,
    "одиннадцат": 11,
    "двенадцат": 12,
    "тринадцат": 13,
    "четырнадцат": 14,
    "пятнадцат": 15,
    "шестнадцат": 16,
    "семнадцат": 17,
    "восемнадцат": 18,
    "девятнадцат": 19,
    "двадцат": 20,
    "тридцат": 30,
}
_RU_ORDINAL = re.compile(r"^(\w+?)(ого|ое|ому|ыи|ии|ои|ым|ом|ьего|ье|ьи|ья|ая|ую)$")
# Kazakh ordinals: the cardinal plus «-ыншы/-інші» («бесінші», «алтыншы», «жиырмасыншы»).
_KK_ORDINAL_SUFFIX = re.compile(r"(?:с?ыншы|с?инши|ншы|нши)\w*$")


def unit_value(word: str) -> int | None:
    """A folded cardinal number word → its value («пяти», «пят» and «бес» too)."""
    for table in (RU_UNITS, KK_UNITS):
        if word in table:
            return table[word]
    # Typed without the soft sign or in the genitive: «пят», «пяти», «десяти».
    for candidate in (word + "ь", word[:-1] + "ь" if word.endswith("и") else ""):
        if candidate in RU_UNITS:
            return RU_UNITS[candidate]
    return None


def ordinal_value(word: str) -> int | None:
    """A folded ordinal word → its number («пятого» 5, «бесинши» 5), else None."""
    if m := _RU_ORDINAL.match(word):
        stem = m.group(1).rstrip("ь")
        if stem in _RU_ORDINAL_STEMS:
            return _RU_ORDINAL_STEMS[stem]
    stems = [s for s in KK_UNITS if word.startswith(s) and _KK_ORDINAL_SUFFIX.match(word, len(s))]
    return KK_UNITS[max(stems, key=len)] if stems else None


def cardinal_words(words: list[str]) -> int | None:
    """«двадцать пять», «жиырма бес» → 25; None unless every word is a number word."""
    values = [unit_value(w) for w in words]
    if not words or any(v is None for v in values):
        return None
    return sum(cast(list[int], values))  # tens then units: no word here multiplies


def day_number(words: list[str]) -> int | None:
    """A day of the month in words: «двадцать пятого», «жиырма бесінші», «первого»."""
    if not words:
        return None
    last = ordinal_value(words[-1])
    if last is None:
        return None
    tens = cardinal_words(words[:-1]) if len(words) > 1 else 0
    return None if tens is None else tens + last
