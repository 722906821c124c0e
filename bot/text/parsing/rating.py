"""A rating answer to the satisfaction question: «5», «5 балл», «бестік»,
«на пятёрку», «ставлю 4, спасибо», «бестен төрт», and on the phone «бес», «пять».

Only a message that is a rating as a whole gives one — one number on the
scale (bot/config.py LIMITS.csat_lowest…csat_highest) among words that say
nothing else («ставлю», «балл», «рахмет» …) — so «5 сағат» or «2 часа назад»
stay what they were. Words are read folded (bot.text.language.normalise):
«төрт», «торт» and «tort» are one word.
"""

from __future__ import annotations

import re

from bot.config import LIMITS
from bot.text.language.normalise import WORD, fold_word

# The number, folded: a digit («5», «5ка», «5-ке»), a Russian word or school
# mark («пять», «пятёрку», «кол»), a Kazakh word or mark with its ending
# («бес», «беске», «бестік», «бестікке»).
_DIGIT = re.compile(r"^(\d{1,2})(?:-?(?:ка|ку|ки|ке|ге))?$")  # not «5к»: 5 000 tenge
_RU = (
    (1, re.compile(r"^(?:один|одна|одну|единиц\w*|единичк\w*|кол)$")),
    (2, re.compile(r"^(?:два|две|двоик\w*|двоечк\w*|двояк)$")),
    (3, re.compile(r"^(?:три|троик\w*|троечк\w*|трояк)$")),
    (4, re.compile(r"^(?:четыре|четверк\w*|четверочк\w*)$")),
    (5, re.compile(r"^(?:пять|пятерк\w*|пятерочк\w*)$")),
)
_KK_STEMS = {"бир": 1, "еки": 2, "уш": 3, "торт": 4, "бес": 5}
_KK = re.compile(r"^(бир|еки|уш|торт|бес)(?:лик|тик|ик)?(?:ке|ге|ка|га|ти|ди|ни|ты|ды|ны)?$")
_NOT_KK_NUMBER = {"бирге"}  # «бірге», together

# Words a rating is said with, folded. «из 5» and «бестен» name the scale, not the rating.
_FILLERS = set(
    # Russian
    "ставлю поставлю поставил поставила ставим даю дам оценка оценку оценкои оцениваю оценю оценил "
    "оценила моя мои на ну наверное наверно думаю вам вас твердая твердую честно ок ладно пусть будет "
    "балл балла баллов бал бала балов звезда звезды звезд звездочки звездочек спасибо благодарю "
    "большое все очень оч отлично хорошо нормально супер плохо ужасно "
    # Kazakh
    "мен менин бага багам багасы багалаимын багалаимыз багаладым коямын коиамын коямыз коидым бердим "
    "беремин деп упаи упаиге упаиды жулдыз жулдызга жулдызша рахмет сизге коп бари оте жаксы "
    "тамаша керемет нашар жаман бестен".split()
)
_SCALE_WORD = "из"  # «5 из 5»: the number after it is the scale
_MAX_CHARS = 80  # a rating is short; anything longer is about something else


def _number(folded: str) -> int | None:
    match = _DIGIT.match(folded)
    if match:
        return int(match.group(1))
    for value, pattern in _RU:
        if pattern.match(folded):
            return value
    match = _KK.match(folded)
    if match and folded not in _NOT_KK_NUMBER:
        return _KK_STEMS[match.group(1)]
    return None


def find_ratings(text: str) -> list[tuple[int, int, int]]:
    """[(start, end, rating)] of the number when the whole message is a rating
    on the scale, else []."""
    if len(text) > _MAX_CHARS:
        return []
    found: list[tuple[int, int, int]] = []
    tokens = [(m.start(), m.end(), m.group(0)) for m in WORD.finditer(text)]
    index = 0
    while index < len(tokens):
        start, end, raw = tokens[index]
        stripped = raw.strip(".-+'")
        folded = fold_word(stripped) if stripped else ""
        index += 1
        if not folded or folded in _FILLERS:
            continue
        if folded == _SCALE_WORD:
            index += 1  # «из 5», «из пяти»
            continue
        value = _number(folded)
        if value is None:
            return []  # a word that is no part of a rating
        offset = start + raw.index(stripped)
        found.append((offset, offset + len(stripped), value))
    if len(found) != 1 or not LIMITS.csat_lowest <= found[0][2] <= LIMITS.csat_highest:
        return []
    return found
