"""Full names: «Асанов Асан Асанұлы», «Иванова Мария Петровна»."""
from __future__ import annotations

import re

_CAP = r"[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+(?:-[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+)?"
_FAMILY = re.compile(
    r"(ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|ко|ук|юк|бек|бай|"
    r"ұлы|улы|қызы|кызы|ович|евич|овна|евна|ична|инична|бекова|баева)$"
)
_NAME_RUN = re.compile(rf"\b{_CAP}(?:\s+{_CAP}){{1,2}}\b")
_INTRO = re.compile(
    r"(?:меня\s+зовут|моё\s+имя|мое\s+имя|фио|ф\.и\.о\.?|аты-жөнім|аты-жөні|атым|есімім|"
    r"плательщик|төлеуші)\s*[:\-–]?\s*",
    re.IGNORECASE,
)
_STOP = {
    "Здравствуйте", "Сәлеметсіз", "Салем", "Привет", "Спасибо", "Рахмет", "Добрый",
    "Beeline", "Билайн", "Дана", "Алматы", "Астана", "Шымкент", "Караганда",
}


def find_full_names(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) for 2–3 capitalised words that look like a name."""
    found = []
    for match in _NAME_RUN.finditer(text):
        parts = match.group(0).split()
        if any(p in _STOP for p in parts):
            continue
        after_intro = bool(_INTRO.search(text[: match.start()][-25:]))
        if after_intro or any(_FAMILY.search(p.lower()) for p in parts):
            found.append((match.start(), match.end(), " ".join(parts)))
    return found


def clean_full_name(text: str) -> str | None:
    """A name given as a whole answer, tidied; None if it cannot be a name."""
    text = _INTRO.sub("", text).strip(" .,!")
    parts = [p for p in re.split(r"\s+", text) if p]
    if not 2 <= len(parts) <= 4:
        return None
    if not all(re.fullmatch(r"[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі'-]+", p) for p in parts):
        return None
    return " ".join(p[:1].upper() + p[1:] for p in parts)
