"""Small reference spellers: an integer → Russian or Kazakh number words.

Independent of bot/text/parsing/amount.py on purpose, so the property compares
the parser with a second, plain implementation of the grammar.
"""
from __future__ import annotations

_RU_ONES = ["", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
_RU_ONES_FEM = ["", "одна", "две"] + _RU_ONES[3:]  # тысяча is feminine
_RU_TEENS = ["десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать",
             "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"]
_RU_TENS = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят",
            "семьдесят", "восемьдесят", "девяносто"]
_RU_HUNDREDS = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот",
                "семьсот", "восемьсот", "девятьсот"]


def _ru_below_thousand(n: int, feminine: bool = False) -> list[str]:
    words = [_RU_HUNDREDS[n // 100]]
    rest = n % 100
    if 10 <= rest < 20:
        words.append(_RU_TEENS[rest - 10])
    else:
        words += [_RU_TENS[rest // 10], (_RU_ONES_FEM if feminine else _RU_ONES)[rest % 10]]
    return [w for w in words if w]


def _ru_thousand_word(n: int) -> str:
    if 11 <= n % 100 <= 14:
        return "тысяч"
    return {1: "тысяча", 2: "тысячи", 3: "тысячи", 4: "тысячи"}.get(n % 10, "тысяч")


def spell_ru(n: int, bare_thousand: bool = False) -> str:
    """1 ≤ n ≤ 999 999 in Russian words; ``bare_thousand``: «тысяча двести», not «одна тысяча двести»."""
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        if thousands == 1 and bare_thousand:
            words.append("тысяча")
        else:
            words += _ru_below_thousand(thousands, feminine=True) + [_ru_thousand_word(thousands)]
    return " ".join(words + _ru_below_thousand(rest))


_KK_ONES = ["", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз"]
_KK_TENS = ["", "он", "жиырма", "отыз", "қырық", "елу", "алпыс", "жетпіс", "сексен", "тоқсан"]
_PLAIN = str.maketrans("әғқңөұүһі", "агкноуухи")  # typed without the Kazakh letters


def _kk_below_thousand(n: int, say_one: bool) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += ([_KK_ONES[hundreds]] if hundreds > 1 or say_one else []) + ["жүз"]
    words += [_KK_TENS[rest // 10], _KK_ONES[rest % 10]]
    return [w for w in words if w]


def spell_kk(n: int, say_one: bool = False, plain: bool = False) -> str:
    """1 ≤ n ≤ 999 999 in Kazakh words. ``say_one``: «бір мың бір жүз» instead of
    «мың жүз»; ``plain``: without the special letters, as many people type."""
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        words += ([] if thousands == 1 and not say_one else _kk_below_thousand(thousands, say_one))
        words.append("мың")
    text = " ".join(words + _kk_below_thousand(rest, say_one))
    return text.translate(_PLAIN) if plain else text
