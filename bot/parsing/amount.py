"""Money amounts in tenge: «15 000 тг», «5 мың», «пять тысяч двести» → int."""
from __future__ import annotations

import math
import re

from bot.language.normalise import fold_word

# Folded number words (ә→а, қ→к, ү→у, і→и …) of Russian and Kazakh.
_UNITS = {
    "ноль": 0, "нол": 0, "один": 1, "одна": 1, "одну": 1, "два": 2, "две": 2,
    "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8,
    "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12,
    "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16,
    "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19, "двадцать": 20,
    "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
    "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500,
    "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
    "бир": 1, "еки": 2, "уш": 3, "торт": 4, "бес": 5, "алты": 6, "жети": 7,
    "сегиз": 8, "тогыз": 9, "он": 10, "жиырма": 20, "отыз": 30, "кырык": 40,
    "елу": 50, "алпыс": 60, "жетпис": 70, "сексен": 80, "токсан": 90,
}
_HUNDRED = {"жуз"}  # Kazakh «жүз» multiplies what stands before it
_THOUSAND = {"мын", "тысяча", "тысячи", "тысяч", "тыс", "тысячу", "к", "k", "т"}
_MILLION = {"миллион", "миллиона", "миллионов", "млн"}
_CURRENCY = {"тг", "тенге", "тенгe", "теннге", "тнг", "кзт", "тгн", "₸", "тенгеге", "тенгени"}
_KEYWORDS = re.compile(
    r"(сумм|сома|сомас|оплатил|заплатил|перевел|перевёл|положил|закинул|"
    r"толедим|толеп|салдым|аудардым|жибердим)",
    re.IGNORECASE,
)
_MAGNITUDES = _HUNDRED | _THOUSAND | _MILLION
_TOKEN = re.compile(r"\d[\d\s\u00a0\u202f]*(?:[.,]\d+)*|[^\W\d_]+|₸", re.UNICODE)
_GROUPED = re.compile(r"\d+(?:[.,]\d{3})+")  # «15,000», «1.000.000»: thousands, not decimals


def _number_token(folded: str) -> float | None:
    if folded and folded[0].isdigit():
        compact = re.sub(r"[\s\u00a0\u202f]", "", folded)
        compact = re.sub(r"[.,]", "", compact) if _GROUPED.fullmatch(compact) else compact.replace(",", ".")
        try:
            value = float(compact)
        except ValueError:
            return None
        return value if math.isfinite(value) else None  # hundreds of digits overflow
    return None


def _words_value(tokens: list[str]) -> int | None:
    """Value of a run of folded number tokens, or None if it is not a number."""
    total, current, seen = 0.0, 0.0, False
    for token in tokens:
        number = _number_token(token)
        if number is not None:
            current += number
            seen = True
        elif token in _UNITS:
            current += _UNITS[token]
            seen = True
        elif token in _HUNDRED:
            current = (current or 1) * 100
            seen = True
        elif token in _THOUSAND:
            total += (current or 1) * 1000
            current, seen = 0.0, True
        elif token in _MILLION:
            total += (current or 1) * 1_000_000
            current, seen = 0.0, True
        else:
            return None
    return int(round(total + current)) if seen else None


def parse_amount(text: str) -> int | None:
    """The amount a whole answer names («5 мың», «5000 тг»), or None."""
    found = find_amounts(text, bare_ok=True)
    return found[0][2] if found else None


def find_amounts(text: str, bare_ok: bool = False) -> list[tuple[int, int, int]]:
    """(start, end, tenge) for each amount.

    A number counts as money when a currency or «мың/тысяч» goes with it, when
    it is spelled in words, or when a payment verb is in the sentence; with
    ``bare_ok`` a lone number is taken as money too (the answer to «how much?»).
    """
    tokens = [(m.start(), m.end(), fold_word(m.group(0).strip())) for m in _TOKEN.finditer(text)]
    tokens = [(s, s + len(text[s:e].rstrip()), f) for s, e, f in tokens]
    has_keyword = bool(_KEYWORDS.search(text))
    results: list[tuple[int, int, int]] = []
    i = 0
    while i < len(tokens):
        j = i
        run: list[str] = []
        while j < len(tokens) and (
            _number_token(tokens[j][2]) is not None
            or tokens[j][2] in _UNITS
            # «мың бес жүз», «тысяча двести» may start with the word; «5к» but «он к оператору»
            or (tokens[j][2] in _MAGNITUDES
                and (len(tokens[j][2]) > 1 or (run and _number_token(run[-1]) is not None)))
        ):
            run.append(tokens[j][2])
            j += 1
        if not run:
            i += 1
            continue
        end = tokens[j - 1][1]
        has_currency = j < len(tokens) and tokens[j][2] in _CURRENCY
        if has_currency:
            end = tokens[j][1]
        value = _words_value(run)
        digits_only = all(_number_token(t) is not None for t in run)
        # A lone «мың» is «мың рахмет» (thanks a lot) unless a currency follows.
        has_magnitude = len(run) > 1 and any(t in _MAGNITUDES for t in run)
        first_digits = re.sub(r"\D", "", run[0]) if digits_only else ""
        looks_like_id = digits_only and (first_digits.startswith("0") or len(first_digits) > 7)
        is_money = value is not None and value > 0 and not looks_like_id and (
            has_currency
            or has_magnitude
            or (not digits_only and len(run) >= 2)
            or (digits_only and has_keyword and value >= 50)
            or (bare_ok and len(tokens) <= 3)
        )
        if is_money:
            results.append((tokens[i][0], end, value))
        i = j + (1 if has_currency else 0)
    return results
