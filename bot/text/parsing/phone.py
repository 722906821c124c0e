"""Phone numbers as customers type or say them → E.164 (+7XXXXXXXXXX).

Two halves, each doing what it is good at:

- Dana's reader turns what a customer wrote into candidate digit strings:
  «+7 (701) 123-45-67», «8 (7172) 55-66-77», «8 7 0 1 1 2 3 4 5 6 7», digits
  in any grouping, and numbers in words — «восемь семь ноль один сто двадцать
  три сорок пять шестьдесят семь», «сегіз жеті жүз бір жүз жиырма үш …»,
  Latin spellings too (words are folded by bot.text.language.normalise first).
- phonenumbers (Google's libphonenumber metadata, region KZ) decides what the
  digits are: a Kazakhstan mobile, a Kazakhstan landline (Almaty +7 727 …,
  Astana +7 7172 …), a toll-free / premium / VoIP range, a number of another
  country (Russia shares +7), or a Kazakhstan-shaped number no range has.

``find_phones`` gives the usable numbers in a text (mobile or landline);
``check_phone`` reads an answer to «which number?» and, when nothing usable is
in it, says what is wrong; ``normalise_phone`` is the usable number or None.
The kind is kept so that a flow needing a mobile (an SMS) could tell; every
flow today takes both (actions/phone.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, carrier

from bot.text.language.normalise import fold_word
from bot.text.parsing.numbers import unit_value

REGION = "KZ"
MOBILE, LANDLINE = "mobile", "landline"
# What can be wrong with a number given as an answer.
MISSING = "missing"  # no digits and no number words at all
TOO_SHORT = "too_short"  # fewer than 10 digits after +7 / 8 (a local number without its code)
TOO_LONG = "too_long"
FOREIGN = "foreign"  # another country's number (Russia's too: +7 495 …, +7 9xx …)
SERVICE = "service"  # toll-free 800, premium 809, personal 808, VoIP 751: nobody's own line
UNKNOWN = "unknown"  # shaped like a Kazakhstan number, but no range has it (+7 709 …, +7 727 1…)
PROBLEMS = (MISSING, TOO_SHORT, TOO_LONG, FOREIGN, SERVICE, UNKNOWN)

_KINDS = {
    PhoneNumberType.MOBILE: MOBILE,
    PhoneNumberType.FIXED_LINE: LANDLINE,
    # Not used by Kazakhstan's plan (its ranges are distinct); a landline is the safer reading.
    PhoneNumberType.FIXED_LINE_OR_MOBILE: LANDLINE,
}
_SERVICE_TYPES = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
}


@dataclass(frozen=True)
class PhoneCheck:
    """A number read from an answer: ``value`` and ``kind`` when usable, else ``problem``."""

    value: str | None = None  # +7XXXXXXXXXX
    kind: str | None = None  # MOBILE or LANDLINE
    problem: str | None = None  # one of PROBLEMS


@lru_cache(maxsize=4096)
def judge_digits(digits: str, plus: bool = False) -> PhoneCheck:
    """What a digit string is, written with a leading «+» or without."""
    if not digits:
        return PhoneCheck(problem=MISSING)
    if plus and len(digits) == 11 and digits.startswith("87"):
        plus = False  # «+8 701 …»: the trunk 8 written with a plus out of habit
    if not plus and digits.startswith(("810", "00")) and len(digits) > 5:
        # Dialled abroad from Kazakhstan: 8~10, or the 00 most of the world uses.
        digits, plus = digits[3 if digits.startswith("810") else 2 :], True
    if plus and not digits.startswith("7"):
        return PhoneCheck(problem=FOREIGN if _country_code_known(digits) else UNKNOWN)
    if plus or (len(digits) == 11 and digits[0] in "78") or (len(digits) < 11 and digits.startswith("87")):
        national = digits[1:]  # after +7 or the trunk 8 («8 701 123 45 6» is a digit short)
    else:
        national = digits
    if len(national) != 10:
        if not plus and _valid_abroad(digits):  # «380 67 123 45 67»: the + left out
            return PhoneCheck(problem=FOREIGN)
        return PhoneCheck(problem=TOO_SHORT if len(national) < 10 else TOO_LONG)
    number = phonenumbers.parse("+7" + national)
    if not phonenumbers.is_valid_number(number):
        return PhoneCheck(problem=UNKNOWN)
    number_type = phonenumbers.number_type(number)
    if number_type in _SERVICE_TYPES:
        return PhoneCheck(problem=SERVICE)
    if phonenumbers.region_code_for_number(number) != REGION:
        return PhoneCheck(problem=FOREIGN)
    kind = _KINDS.get(number_type)
    if kind is None:
        return PhoneCheck(problem=UNKNOWN)
    return PhoneCheck(value="+7" + national, kind=kind)


def _country_code_known(digits: str) -> bool:
    try:
        number = phonenumbers.parse("+" + digits)
    except NumberParseException:
        return False
    if number.country_code is None:
        return False  # what the lookup below gives for None: no region, "ZZ"
    return phonenumbers.region_code_for_country_code(number.country_code) != "ZZ"


def _valid_abroad(digits: str) -> bool:
    try:
        number = phonenumbers.parse("+" + digits)
    except NumberParseException:
        return False
    return number.country_code != 7 and phonenumbers.is_valid_number(number)


# ---- Dana's reader: text → runs of digit pieces --------------------------------

# Digits (ASCII only: «٠١٢» are no phone), words, or one other character.
_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+|\S")
# Between the parts of one number. A comma too: speech-to-text writes the pauses
# of a dictated number as commas («сто, сорок пять» is 100 and 45, not 145).
_JOINERS = {"-", "–", "—", "(", ")", "+", ","}
_ZERO = {"ноль", "нуль", "нол", "нул"}  # folded: «нөл» → «нол»
_PLUS_WORDS = {"плюс", "плус"}
_HUNDRED_WORDS = {"жуз"}  # Kazakh «жүз»: «жеті жүз» 700, «жүз жиырма» 120
_HUNDRED, _PLUS = -1, -2
_SHORTEST, _LONGEST = 10, 11  # digits of a usable number: 7XXXXXXXXX, 87XXXXXXXXX, +77XXXXXXXXX


@dataclass
class _Piece:
    digits: str
    start: int
    end: int
    plus_at: int | None = None  # a «+» (or «плюс») right before it
    open_at: int | None = None  # a «(» right before it


@lru_cache(maxsize=8192)
def _word_value(word: str) -> int | None:
    """A number word's value (_HUNDRED for «жүз», _PLUS for «плюс»), else None."""
    folded = fold_word(word)
    if folded in _ZERO:
        return 0
    if folded in _HUNDRED_WORDS:
        return _HUNDRED
    if folded in _PLUS_WORDS:
        return _PLUS
    value = unit_value(folded)
    return value if value is not None and value < 1000 else None


def _place(value: int) -> int:
    """3 hundreds, 2 tens (10 too: «он бір» is 11), 1 units and teens."""
    if value >= 100:
        return 3
    return 2 if value % 10 == 0 else 1


def _word_pieces(words: list[tuple[int, int, int]]) -> list[_Piece]:
    """Number words → pieces: «сто двадцать три» is one piece «123», «семь ноль
    один» three, «жеті жүз бір» one «701». A word joins the piece before it while
    it fills a smaller place (hundreds, then tens, then units); «ноль» stands alone."""
    pieces: list[_Piece] = []
    total, place = 0, 0  # place: the smallest filled in the open piece (0: none open)
    i = 0
    while i < len(words):
        value, start, end = words[i]
        following = words[i + 1][0] if i + 1 < len(words) else None
        if value == _HUNDRED:
            value = 100  # «жүз» alone
        fits = value > 0 and _place(value) < place and not (place == 2 and value > 9)
        if following == _HUNDRED and 1 <= value <= 9 and not fits:
            value, end = value * 100, words[i + 1][2]  # «жеті жүз» 700
            i += 1
            fits = False
        if value == 0:
            pieces.append(_Piece("0", start, end))
            place = 0
        elif fits:
            total += value
            pieces[-1].digits, pieces[-1].end = str(total), end
            place = _place(value)
        else:
            total, place = value, _place(value)
            pieces.append(_Piece(str(total), start, end))
        i += 1
    return pieces


def _runs(text: str) -> list[list[_Piece]]:
    """Stretches of digits and number words with only spaces, dashes, brackets,
    commas and pluses between them; anything else ends a stretch."""
    runs: list[list[_Piece]] = []
    run: list[_Piece] = []
    words: list[tuple[int, int, int]] = []
    plus_at = open_at = None
    words_plus_at = words_open_at = None

    def flush_words() -> None:
        nonlocal words, words_plus_at, words_open_at
        if words:
            pieces = _word_pieces(words)
            pieces[0].plus_at, pieces[0].open_at = words_plus_at, words_open_at
            run.extend(pieces)
        words, words_plus_at, words_open_at = [], None, None

    def close() -> None:
        nonlocal run, plus_at, open_at
        flush_words()
        if run:
            runs.append(run)
        run, plus_at, open_at = [], None, None

    for match in _TOKEN.finditer(text):
        token, start, end = match.group(0), match.start(), match.end()
        if token[0] in "0123456789":
            before = text[start - 1] if start else " "
            after = text[end] if end < len(text) else " "
            if before.isalnum() or before == "_" or after.isdigit():
                close()  # inside a word or a login («ab123456», «7٠٠٠»); «…67ге» is a suffix
                continue
            flush_words()
            run.append(_Piece(token, start, end, plus_at, open_at))
            plus_at = open_at = None
            continue
        if token in _JOINERS:
            flush_words()  # number words on either side are separate groups
            if token == "+":
                plus_at = start
            elif token == "(":
                open_at = start
            continue
        value = _word_value(token) if token[0].isalpha() else None
        if value is None:
            close()
            continue
        if value == _PLUS:
            flush_words()
            plus_at = start
            continue
        if not words:
            words_plus_at, words_open_at = plus_at, open_at
            plus_at = open_at = None
        words.append((value, start, end))
    close()
    return runs


def _usable_windows(text: str, run: list[_Piece]) -> list[tuple[int, int, PhoneCheck]]:
    """Usable numbers in a run, leftmost first, each the longest from its start."""
    found = []
    i = 0
    while i < len(run):
        taken = None
        # Every piece has a digit, so no window is longer than _LONGEST pieces.
        for j in range(min(len(run), i + _LONGEST), i, -1):
            digits = "".join(p.digits for p in run[i:j])
            if len(digits) > _LONGEST:
                continue
            if len(digits) < _SHORTEST:
                break
            plus = run[i].plus_at is not None
            if not _may_be_usable(digits, plus):
                continue
            check = judge_digits(digits, plus)
            if check.value:
                taken = (j, check)
                break
        if taken is None:
            i += 1
            continue
        j, check = taken
        first, last = run[i], run[j - 1]
        start = first.start
        if first.plus_at is not None:
            start = min(start, first.plus_at)
        if first.open_at is not None and ")" in text[first.start : last.end]:
            start = min(start, first.open_at)
        found.append((start, last.end, check))
        i = j
    return found


def _may_be_usable(digits: str, plus: bool) -> bool:
    """Cheap shape test before asking phonenumbers."""
    if len(digits) == 10:
        return not plus and digits[0] == "7"
    return len(digits) == 11 and digits[0] in "78" and digits[1] == "7"


def find_phones(text: str) -> list[tuple[int, int, str]]:
    """(start, end, +7XXXXXXXXXX) for each usable Kazakhstan number (mobile or landline)."""
    found: list[tuple[int, int, str]] = []
    for run in _runs(text or ""):
        # _usable_windows keeps only checks with a value
        found.extend((start, end, cast(str, check.value)) for start, end, check in _usable_windows(text, run))
    return found


def check_phone(text: str) -> PhoneCheck:
    """An answer to «which number?»: the first usable number in it, or what is
    wrong with the number given — the longest stretch of digits, one that starts
    like a phone (+, 7 or 8) before a login's «08…»."""
    text = str(text or "")
    runs = _runs(text)
    for run in runs:
        windows = _usable_windows(text, run)
        if windows:
            return windows[0][2]
    if not runs:
        return PhoneCheck(problem=MISSING)
    given = [("".join(p.digits for p in run), run[0].plus_at is not None) for run in runs]
    digits, plus = max(given, key=lambda g: (g[1] or g[0][0] in "78", len(g[0])))
    return judge_digits(digits, plus)


BEELINE = "Beeline"


def network_of(number: str) -> str:
    """The mobile network a +7 number's range belongs to («Beeline», «Kcell/Activ»,
    «T2»), or "" for a landline or a range phonenumbers does not name. It is the
    range's network: a number moved to Beeline from another operator keeps its
    old range (the customer is told what to do instead)."""
    try:
        return carrier.name_for_number(phonenumbers.parse(number), "en") or ""
    except NumberParseException:
        return ""


def normalise_phone(text: str) -> str | None:
    """The usable number in the text as +7XXXXXXXXXX (mobile or landline), else None."""
    return check_phone(text).value
