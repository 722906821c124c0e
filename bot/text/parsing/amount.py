"""Money amounts in tenge: «15 000 тг», «5 мың», «пять тысяч двести» → int."""

from __future__ import annotations

import math
import re

from bot.text.language.normalise import fold_text, fold_word
from bot.text.parsing.numbers import HALF, KK_UNITS, ONE_AND_HALF, unit_value

# Folded words (ә→а, қ→к, ң→н, й→и …); Latin spellings fold onto the same.
_HUNDRED = {"жуз"}  # Kazakh «жүз» multiplies what stands before it
_THOUSAND = re.compile(r"^(?:мын|мынга|мынды|мындаи|мыннан|тыс|тысяч\w*|тыщ\w*|к)$")
_MILLION = re.compile(r"^(?:миллион\w*|млн)$")
_HALF_OF = re.compile(r"^пол(тысяч\w*|тыщ\w*|миллион\w*)$")  # «полтысячи» is 500
# Banknote slang: «пятёрка» is the 5 000 note, «десятка» the 10 000 one.
_SLANG = {"пятерк": 5_000, "пятерочк": 5_000, "десятк": 10_000, "десяточк": 10_000, "двадцатк": 20_000, "косар": 1_000}
_CURRENCY = re.compile(r"^(?:тг|тенге\w*|теннге|тенг|тнг|тнге|тнгe|кзт|тгн|₸)$")
# Words after a number that make it a count, not money: «100 мбит», «3 дня», «2 раза».
_COUNTED = re.compile(
    r"^(?:%|процент\w*|раз\w*|рет\w*|мин\w*|сек\w*|час\w*|сагат\w*|сут\w*|день|дня|днеи|"
    r"кун\w*|недел\w*|апта\w*|месяц\w*|мес|аи|аига|аида|аидан|аилык\w*|жыл\w*|год\w*|лет|г|"
    r"этаж\w*|кв|квартир\w*|дом\w*|пэтер\w*|патер\w*|метр\w*|км|м|мбит\w*|мегабит\w*|мб|гб|"
    r"гиг\w*|кб|мбпс|числ\w*|шт\w*|го|ого|е|ое|ши|шы|инши|ыншы|да|де|та|те)$"
)
# Payment verbs and nouns, folded: «төледім», «салдым», «оплатил», «закинул», «сумма».
# Money words too («ақша», «деньги», «түспеді», «спишут»): a number beside them is a sum.
_PAID = re.compile(
    r"(?:сумм|сома|плат|плач|перевел|перевела|перевод|перечисл|положил|закин|скинул|кинул|"
    r"внес|отправил|пополн|толе(?! ?би)|толтыр|салд|салып|салга|салам|аудард|аударып|аударга|"
    r"аударым|жиберд|жиберип|жиберге|чек|акша|деньг|денег|списа|спиш|зачисл|тусп|тусти|кетти)"
)
# Hedges customers put around a bare sum: «примерно 8 400», «9990 шамасында».
_HEDGE = re.compile(
    r"\b(?:примерно|около|где-то|вроде|кажется|приблизительно|шамамен|шамасы\w*|"
    r"сиякты|гои|гой|деимин|еди|болатын)\b"
)
# Sums in arithmetic questions («15 процентов от двух тысяч») are not payments.
_ARITHMETIC = re.compile(r"(?:процент|%|плюс|минус|умнож|раздел|сколько будет|паиыз|кобеит)")
# Other currencies: «500 евро» is no tenge sum.
_FOREIGN = re.compile(r"^(?:евро|доллар\w*|долл|бакс\w*|руб\w*|сом|юан\w*|\$|€|₽|usd|eur|rub)$")
# A number glued to a letter or an e-mail («aruzhan2001@…», «+7 701») is no sum.
_NUMBER = re.compile(
    r"(?<![^\W\d_])(?<![@.+])" r"(?:\d{1,3}(?:[\s\u00a0\u202f]\d{3})+(?!\d)(?:[.,]\d+)?|\d+(?:[.,]\d+)*)(?![\d@])"
)
_TOKEN = re.compile(rf"{_NUMBER.pattern}|[^\W\d_]+|[₸$€₽]", re.UNICODE)
_GROUPED = re.compile(r"\d{1,3}(?:[\s\u00a0\u202f.,]\d{3})+(?:[.,]\d{1,2})?")  # «15 000», «1.000.000»


def _digits(token: str) -> float | None:
    if not token[:1].isdigit():
        return None
    compact = re.sub(r"[\s\u00a0\u202f]", "", token)
    thousands = re.fullmatch(r"\d+(?:[.,]\d{3})+", compact)  # «15,000» is thousands, not decimals
    compact = re.sub(r"[.,]", "", compact) if thousands else compact.replace(",", ".")
    try:
        value = float(compact)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # hundreds of digits overflow


def _kind(word: str, after: str) -> tuple[str, float] | None:
    """What a folded token is in a sum: (kind, value), or None for other words."""
    if (number := _digits(word)) is not None:
        return "digits", number
    if word in ONE_AND_HALF:
        return "unit", 1.5
    if word == "пол" and (_THOUSAND.match(after) or _MILLION.match(after)):
        return "unit", 0.5  # «пол тысячи»
    if word in HALF:
        return "half", 0.5
    if word == "с" and after.startswith("половин"):
        return "with", 0  # «две с половиной»
    if word in _HUNDRED:
        return "hundred", 100
    if _THOUSAND.match(word):
        return "magnitude", 1_000
    if _MILLION.match(word):
        return "magnitude", 1_000_000
    if m := _HALF_OF.match(word):
        return "magnitude", 500 if not _MILLION.match(m.group(1)) else 500_000
    if (value := unit_value(word)) is not None:
        return "unit", value
    for stem, value in _SLANG.items():
        if word.startswith(stem):
            return "slang", value
    return None


def _joins(kind: str, word: str, run: list[tuple[str, float, str]]) -> bool:
    """Whether a token continues the run of number tokens before it."""
    if not run:
        return kind not in ("half", "with") and not (kind == "magnitude" and len(word) == 1)
    last, _, last_word = run[-1]
    if kind == "digits":  # «14 тысяч 200», never «5000 2»
        return last in ("magnitude", "hundred")
    if kind == "unit":  # «двадцать пять», «жиырма бес», never «он два»
        return last in ("unit", "magnitude", "hundred") and not (
            last == "unit" and (last_word in KK_UNITS) != (word in KK_UNITS)
        )
    if kind == "magnitude" and len(word) == 1:  # «5к», but «он к оператору»
        return last == "digits"
    return kind in ("magnitude", "hundred", "half", "with") and last != "slang"


def _starts_with_ten(after: str) -> bool:
    """«он екі», «он мың», «он теңге», «он» alone: Kazakh «он» (ten), not Russian «он» (he)."""
    kind = _kind(after, "")
    return (
        not after
        or after in KK_UNITS
        or bool(_CURRENCY.match(after))
        or bool(kind and kind[0] in ("magnitude", "hundred", "half") and len(after) > 1)
    )


def _value(run: list[tuple[str, float, str]]) -> float:
    total, current, last = 0.0, 0.0, None
    for kind, value, _ in run:
        if kind in ("digits", "unit", "slang"):
            current += value
        elif kind == "hundred":
            current = (current or 1) * 100
        elif kind == "magnitude":
            total += (current or 1) * value
            current = 0.0
        elif kind == "half":  # «мың жарым» 1 500, «төрт жарым мың» 4 500
            if last and last[0] == "magnitude":
                total += last[1] / 2
            elif last and last[0] == "hundred":
                current += 50
            else:
                current += 0.5
        last = (kind, value) if kind != "with" else last
    return total + current


def parse_amount(text: str) -> int | None:
    """The amount a whole answer names («5 мың», «5000 тг»), or None."""
    found = find_amounts(text, bare_ok=True)
    return found[0][2] if found else None


def find_amounts(text: str, bare_ok: bool = False) -> list[tuple[int, int, int]]:
    """(start, end, tenge) for each amount.

    A number counts as money when a currency, «мың/тысяч» or «жарым» goes with
    it, when it is spelled in several words, written with thousand groups
    («17 000»), named in a payment sentence, priced («за 9990») or is the whole
    message; with ``bare_ok`` a lone number is taken as money too (the answer
    to «how much?»).
    """
    tokens = [(m.start(), m.end(), fold_word(m.group(0))) for m in _TOKEN.finditer(text)]
    tokens = [(s, s + len(text[s:e].rstrip()), f) for s, e, f in tokens]
    folded = fold_text(text)
    context = {
        "paid": bool(_PAID.search(folded)),
        "hedged": bool(_HEDGE.search(folded)),
        "arithmetic": bool(_ARITHMETIC.search(folded)),
        "bare": bare_ok and len(tokens) <= 3,
        "whole_text": text.strip(" .,!?)(:;\"'«»-").strip(),
    }
    results: list[tuple[int, int, int]] = []
    i = 0
    while i < len(tokens):
        run, j = _run(tokens, i)
        if not run:
            i += 1
            continue
        start, end = tokens[i][0], tokens[j - 1][1]
        nxt = tokens[j][2] if j < len(tokens) else ""
        gap = text[end : tokens[j][0]] if j < len(tokens) else ""
        prev = tokens[i - 1][2] if i > 0 else ""
        before_prev = tokens[i - 2][2] if i > 1 else ""
        currency = bool(_CURRENCY.match(nxt)) and gap.strip() in ("", ".")
        if currency:
            end = tokens[j][1]
        around = {
            # «₸ 5000», «KZT 5000»: a currency sign before the number
            "currency": currency or (prev in ("₸", "кзт") and _digits(before_prev or "x") is None),
            # «3 дня», «100 мбит», «500 евро», «3131-дегі», «сағат 9-да»: a count, not tenge
            "counted": not gap.strip(" ")
            and bool(_COUNTED.match(nxt) or _FOREIGN.match(nxt))
            or (gap == "-" and not currency and not _kind(nxt, "")),
            "priced": prev == "за",  # «за 9990», «за 5 990 в месяц»
            # «8 701 555 23 14», «0864 512 907»: parts of a phone or a login
            "digits_near": _digits(prev or "x") is not None or _digits(nxt or "x") is not None,
        }
        value = _value(run)
        if _is_money(run, value, text[start:end], {**context, **around}):
            results.append((start, end, int(round(value))))
        i = j + (1 if currency else 0)
    return results


def _run(tokens: list[tuple[int, int, str]], i: int) -> tuple[list[tuple[str, float, str]], int]:
    """The number words and digits from token i on, and the index after them."""
    run: list[tuple[str, float, str]] = []
    j = i
    while j < len(tokens):
        after = tokens[j + 1][2] if j + 1 < len(tokens) else ""
        kind = _kind(tokens[j][2], after)
        if kind is None or not _joins(kind[0], tokens[j][2], run):
            break
        if not run and tokens[j][2] == "он" and not _starts_with_ten(after):
            break  # Russian «он» (he), not Kazakh «он» (ten)
        run.append((kind[0], kind[1], tokens[j][2]))
        j += 1
    while run and run[-1][0] == "with":  # «с» not followed by «половиной»
        run.pop()
        j -= 1
    return run, j


def _is_money(run, value: float, written: str, c: dict) -> bool:
    kinds = [k for k, _, _ in run]
    if round(value) < 1:
        return False
    if kinds == ["digits"]:
        whole_part = run[0][2] if _GROUPED.fullmatch(run[0][2]) else re.split(r"[.,]", run[0][2])[0]
        digits = re.sub(r"\D", "", whole_part)
        if digits.startswith("0") or len(digits) > 7:  # a login, an account, a phone
            return False
    if c["currency"] or c["bare"]:
        return True
    if c["counted"] or c["arithmetic"]:
        return False
    whole = round(value) == value
    if "magnitude" in kinds:  # «5 мың», «мың жарым»; a lone «мың» is «мың рахмет»
        return len(run) > 1 or (c["paid"] and not run[0][2].startswith("мын"))
    if kinds == ["slang"]:  # «закинул пятёрку»
        return c["paid"]
    if kinds == ["digits"]:
        if c["digits_near"] or not whole:
            return False
        if _GROUPED.fullmatch(run[0][2]) and value >= 1000:
            return True  # «17 000», «10.000»: thousand groups are written for sums
        if c["whole_text"] == written or c["priced"]:
            return value >= 100  # the answer to «how much?», «за 9990»
        return (c["paid"] and value >= 50) or (c["hedged"] and value >= 100)
    if "digits" not in kinds and len(run) >= 2:  # «двести пятьдесят», «он екі»
        return whole and (value >= 100 or c["paid"])
    return whole and len(run) == 1 and c["paid"] and value >= 50  # «заплатил пятьсот»
