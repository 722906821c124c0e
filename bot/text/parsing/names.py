"""Full names: «Асанов Асан Асанұлы», «Иванова Мария Петровна», «на Белову Людмилу Ивановну».

Two or three words make a name when they carry its signs: a patronymic
(«-ович», «-овна», «-ұлы», «-қызы»), a surname shape («-ов», «-ева», «-ский»),
a known first name, or an intro before them («менің атым», «ФИО», «на имя»).
A capital letter helps but is not needed («смирнов алексей»); one that only
starts a sentence proves nothing. Words are compared folded, so Kazakh
letters, plain letters and Latin script all count.
"""

from __future__ import annotations

import re
from typing import cast

from bot.text.language.normalise import fold_text, fold_word
from bot.text.parsing.name_words import FIRST_NAMES, NOT_NAMES, name_key

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_PATRONYMIC = re.compile(r"(?:(?:ов|ев)ич|ьич)(?:а|у|ем|е)?$|(?:овн|евн|ичн)(?:а|у|ы|е|ои)$")
# «-ұлы», «-қызы» close common words too («ажыратулы», «каникулы»): a patronymic
# only when written with the Kazakh letters, in Latin, or capitalised.
_KK_PATRONYMIC = re.compile(r"..(?:улы|кызы)$")
_KK_PATRONYMIC_SURE = re.compile(r"(?:ұлы|қызы|uly|uli|qyzy|kyzy)$", re.IGNORECASE)
_SURNAME = re.compile(
    r"..(?:ов|ев)(?:а|у|ои|ым|ого|ому)?$|..ин(?:а|у|ои|ым)?$|..ын$|..(?:ски|цки)(?:и|ого|ому|м)$|"
    r"..(?:ская|цкая|скую|скои)$|..(?:енко|чук|щук|юк|дзе|швили|ян)$"
)
_LOOSE_SURNAME = re.compile(r"(?:ин|ын|ина|инои|иным)$")  # «логин», «машина»: only capitalised
# Kazakh case endings: «Сәуленің картасы», «карта Айгүлдікі»; «Мәзірдің» is no «-ин» surname.
_KK_CASE = re.compile(r"(?:ныкы|ники|дыкы|дики|тыкы|тики|нын|нин|дын|дин|тын|тин)$")
_INTRO = re.compile(
    r"(?:атым|есимим|аты-?\s?жон\w*|тегим|фио|ф и о|фио плательщика|зовут|мое имя|моя фамилия|"
    r"фамилия|имя|плательщик\w*|толеуши\w*|владелец\w*|владелица|владелец карты|иеси|"
    r"(?:карта|договор|счет|логин|оформлен\w*|записан\w*|зарегистрирован\w*) на|от имени|"
    r"записываите|жазып алыныз|жазыныз)$"
)
_OUTRO = re.compile(r"^(?:атынан|атына|атымен|атында)\b")
_WEAK_OUTRO = re.compile(r"^(?:деп|деген)\b")  # «… деп жазыңыз»: enough for capitals only
_STREET = re.compile(
    r"^(?:ул|улиц\w*|пр|проспект\w*|мкр|микрораион\w*|коше\w*|дангыл\w*|"
    r"бульвар\w*|переул\w*|трасс\w*|шагын|аудан\w*|жк|тц)$"
)
_COMPANY = re.compile(r"^(?:тоо|ип|ао|жшс|llp|ооо)$")  # «ТОО Арман Логистик»
# Short surnames with no Russian ending: Korean families of Kazakhstan, «Ким Елена».
_SHORT_SURNAMES = {"ким", "пак", "ли", "цои", "тен", "хан", "шин", "югаи", "когаи", "тигаи", "огаи", "ни"}
# Russian verbs in the past or imperative start sentences too: «Оплатил Иванов».
_VERBISH = re.compile(r"(?:л|ла|ли|ло|те|ть|ти|сь|ся|ды|ди|ты|дым|дим|тым|тим|ныз|низ|шы|ши)$")
_INITIALS = re.compile(r"(?<![^\W\d_])(?:[А-ЯЁӘҒҚҢӨҰҮҺІA-Z]\.\s?){1,2}")
# Russian names in an oblique case → the nominative, one row per (gender, case):
# (surname, first-name, patronymic endings): «на Белову Людмилу Ивановну» → «Белова Людмила
# Ивановна». Surnames change only once a first name or patronymic shows the case.
_CASES = [
    (
        (("ову", "ова"), ("еву", "ева"), ("ину", "ина"), ("скую", "ская")),  # her, accusative
        (("ью", "ья"), ("у", "а"), ("ю", "я")),
        (("вну", "вна"), ("чну", "чна")),
    ),
    (
        (("овой", "ова"), ("евой", "ева"), ("иной", "ина"), ("ской", "ская")),  # her, other cases
        (
            ("ии", "ия"),
            ("ье", "ья"),
            ("ьи", "ья"),
            ("ьей", "ья"),
            ("ы", "а"),
            ("е", "а"),
            ("ой", "а"),
            ("ей", "я"),
            ("и", "я"),
            ("и", "а"),
        ),
        (("вны", "вна"), ("чны", "чна"), ("вне", "вна"), ("чне", "чна"), ("вной", "вна"), ("чной", "чна")),
    ),
    (
        (("ова", "ов"), ("ева", "ев"), ("ина", "ин"), ("ского", "ский")),  # his, genitive/accusative
        (("ия", "ий"), ("я", "й"), ("а", "")),
        (("ича", "ич"),),
    ),
    (
        (("ову", "ов"), ("еву", "ев"), ("ину", "ин"), ("скому", "ский")),  # his, dative
        (("ию", "ий"), ("ю", "й"), ("у", "")),
        (("ичу", "ич"),),
    ),
    (
        (("овым", "ов"), ("евым", "ев"), ("иным", "ин"), ("ским", "ский")),  # his, instrumental
        (("ием", "ий"), ("ем", "й"), ("ом", "")),
        (("ичем", "ич"),),
    ),
]
_HER_OBLIQUE_SURNAME = ("овой", "евой", "иной", "ской")  # no nominative ends so


def _known(word: str) -> bool:
    return name_key(fold_word(word)) in FIRST_NAMES


def _swap(word: str, endings) -> str | None:
    for oblique, nominative in endings:
        if word.endswith(oblique):
            return word[: -len(oblique)] + nominative
    return None


def _first_name_nominative(word: str, endings) -> str | None:
    """«людмилу» → «людмила», «сергея» → «сергей» when that is a known first name."""
    for oblique, nominative in endings:
        stem = word[: -len(oblique)]
        if nominative == "й" and stem[-1:] not in "аеиоуыэюя":
            continue  # «й» follows a vowel: «Алексея», never «әлем» → «әлй»
        if word.endswith(oblique) and _known(candidate := stem + nominative):
            return candidate
    return None


def _role(word: str, capital: bool) -> str | None:
    """patronymic / surname / first / word, or None for a word that is no name part."""
    key = name_key(fold_word(word))
    if key in NOT_NAMES or len(key) < 2:
        return None
    if _PATRONYMIC.search(key) or (_KK_PATRONYMIC.search(key) and (capital or _KK_PATRONYMIC_SURE.search(word))):
        return "patronymic"
    if key in FIRST_NAMES or (len(word) > 3 and any(_first_name_nominative(word.lower(), row[1]) for row in _CASES)):
        return "first"
    if (stem := _KK_CASE.sub("", key)) != key and word.lower().endswith(("ң", "кі", "ки")):
        return "first" if stem in FIRST_NAMES else "surname" if _SURNAME.search(stem) else "word"
    kazakh_ending = word.lower().endswith("ң")  # «Жарайсың», «Мәзірдің»: no «-ин/-ын» surname
    if (_SURNAME.search(key) and (capital or not _LOOSE_SURNAME.search(key)) and not kazakh_ending) or (
        capital and key in _SHORT_SURNAMES
    ):
        return "surname"
    return "word"


def _is_name(roles: list[str], capitals: bool, lower: bool, intro: str) -> bool:
    """``intro``: "strong" («менің атым», «на имя»), "weak" («… деп») or ""."""
    plain = roles.count("word")
    if not (capitals or lower):  # «плательщика Оразбаева Гульмира»: the name is the capitals
        return plain == 0 and ("patronymic" in roles or "surname" in roles) and "first" in roles
    if capitals:
        if intro or "patronymic" in roles or "surname" in roles:
            return True
        return "first" in roles and plain <= 1  # «Асель Ким», «Айгерім Серік»
    strong = intro == "strong"
    if plain > (1 if strong else 0):  # lower case: every word must look like a name part
        return False
    return strong or "patronymic" in roles or ("surname" in roles and "first" in roles)


def _opens_name(word: str, rest: list[str]) -> bool:
    """Whether an unknown capitalised word that starts a sentence is still the name's first word:
    before a first name and patronymic («Сейтқали Айдана Нұрланқызы»), or before a surname when
    it does not end like a verb («Алуа Бекова», not «Оплатил Иванов»)."""
    return rest == ["first", "patronymic"] or (rest == ["surname"] and not _VERBISH.search(fold_word(word)))


def _nominative(parts: list[str]) -> list[str]:
    """Russian oblique forms back to the nominative; names already in it stay as written."""
    lower = [p.lower() for p in parts]
    if re.search(r"(?:ич|вна|чна|улы|ұлы|кызы|қызы)$", lower[-1]):
        return parts  # «Белов Сергей Иванович»: the patronymic is in the nominative
    for surnames, firsts, patronymics in _CASES:
        patronymic = [_swap(p, patronymics) for p in lower]
        first = [None if _known(p) else _first_name_nominative(p, firsts) for p in lower]
        if any(patronymic) or any(first):  # «Сергея», «Ивановну» show the case
            return [
                patronymic[k] or first[k] or (p if _known(p) else _swap(p, surnames) or p) for k, p in enumerate(lower)
            ]
    # Only the surname shows it: «от Тулегеновой Жанар», «на Сулейменову Асель» (his dative
    # would decline a first name too: «Сулейменову Ерлану»).
    for row, endings in ((1, _HER_OBLIQUE_SURNAME), (0, ("ову", "еву", "ину"))):
        if any(p.endswith(endings) and not _known(p) for p in lower):
            return [p if _known(p) else _swap(p, _CASES[row][0]) or p for p in lower]
    return parts


def _title(word: str) -> str:
    """«смирнов» → «Смирнов», «ИВАНОВ» → «Иванов», «мухамед-али» → «Мухамед-Али»."""
    return "-".join(p[:1].upper() + (p[1:].lower() if p.isupper() else p[1:]) for p in word.split("-"))


def find_full_names(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) for each run of 2–3 words that reads as a person's full name,
    or a surname with initials («Ахметов Ж.Б.», «А. С. Иванова»)."""
    words = list(_WORD.finditer(text))
    found = _with_initials(text, words)
    i = 0
    while i < len(words):
        for n in (3, 2):
            window = words[i : i + n]
            if any(s < window[-1].end() and window[0].start() < e for s, e, _ in found):
                continue
            if len(window) == n and (name := _name_at(text, words, i, n)):
                found.append((window[0].start(), window[-1].end(), name))
                i += n
                break
        else:
            i += 1
    return sorted(found)


def _with_initials(text: str, words: list[re.Match]) -> list[tuple[int, int, str]]:
    """«Ахметов Ж.Б.», «А. С. Иванова»: a capitalised surname with one or two initials."""
    found = []
    for w in words:
        if not (w.group(0)[0].isupper() and _role(w.group(0), True) == "surname"):
            continue
        after = w.end() + (text[w.end() : w.end() + 1] == " ")
        if m := _INITIALS.match(text, after):
            found.append(
                (w.start(), m.end() - (m.group(0)[-1] == " "), f"{w.group(0)} {m.group(0).replace(' ', '').strip()}")
            )
        elif m := re.search(rf"{_INITIALS.pattern}\s?$", text[: w.start()]):
            found.append((m.start(), w.end(), f"{m.group(0).replace(' ', '').strip()} {w.group(0)}"))
    return found


def _name_at(text: str, words: list[re.Match], i: int, n: int) -> str | None:
    window = words[i : i + n]
    if any(text[a.end() : b.start()].strip() for a, b in zip(window, window[1:], strict=False)):
        return None  # punctuation between the words: not one name
    start, end = window[0].start(), window[-1].end()
    parts = [w.group(0) for w in window]
    # Capitals count only in mixed case: in «ИНТЕРНЕТА НЕТ» every word has them.
    shouting = all(p.isupper() and len(p) > 1 for p in parts)
    capitals = not shouting and all(p[0].isupper() for p in parts)
    lower = shouting or all(p.islower() for p in parts)
    roles = [_role(p, p[0].isupper() and not shouting) for p in parts]
    initial = not text[:start].strip() or text[:start].rstrip()[-1] in ".!?…\n"
    if None in roles or (
        initial and capitals and roles[0] == "word" and not _opens_name(parts[0], cast(list[str], roles[1:]))
    ):
        return None  # «Оплатил Иванов»: a capital that only starts the sentence
    before, after = fold_text(text[max(0, start - 40) : start]).split(), fold_text(text[end : end + 20])
    quoted = (text[:start].rstrip()[-1:] or "x") in "«\"“„'" and "patronymic" not in roles
    if (
        quoted
        or (before and (_STREET.match(before[-1]) or _COMPANY.match(before[-1])))
        or (after and (_STREET.match(after.split()[0]) or re.match(r"\s*\d{1,4}\b", text[end:])))
    ):
        return None  # «Путь Абая», «ТОО Арман Логистик», «улица Сатпаева», «Абая 150»: no person
    intro = (
        "strong"
        if _INTRO.search(" ".join(before)) or _OUTRO.match(after)
        else "weak"
        if _WEAK_OUTRO.match(after)
        else ""
    )
    if not _is_name(cast(list[str], roles), capitals, lower, intro):  # None in roles returned above
        return None
    last_key = name_key(fold_word(parts[-1]))
    if (
        roles[-1] != "word"
        and (stem := _KK_CASE.sub("", last_key)) != last_key
        and parts[-1].lower().endswith(("ң", "кі", "ки"))
    ):
        parts[-1] = parts[-1][: len(parts[-1]) - (len(last_key) - len(stem))]  # «Сәуленің» → «Сәуле»
    return " ".join(_title(p) for p in _nominative(parts))


def clean_full_name(text: str) -> str | None:
    """A name given as a whole answer, tidied; None if it cannot be a name."""
    found = find_full_names(text)
    if found:
        return found[0][2]
    text = re.sub(
        r"^(?:меня\s+зовут|моё\s+имя|мое\s+имя|фио|ф\.и\.о\.?|аты-жөнім|аты-жөні|атым|"
        r"есімім|плательщик|төлеуші)\s*[:\-–]?\s*",
        "",
        text.strip(),
        flags=re.IGNORECASE,
    )
    parts = [p for p in re.split(r"\s+", text.strip(" .,!")) if p]
    if not 2 <= len(parts) <= 4:
        return None
    if not all(re.fullmatch(r"[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі'-]+", p) for p in parts):
        return None
    return " ".join(p[:1].upper() + p[1:] for p in parts)
