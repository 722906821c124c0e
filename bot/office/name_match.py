"""Are two owners' full names the same person? Compared the way a person at
the call centre would (docs/spec/policy.md, «Payment to a wrong login»).

Never matter: case, word order, hyphens, apostrophes and extra spaces, Kazakh
letters against their plain forms (ә/а, ғ/г, қ/к, ң/н, ө/о, ұ/у, ү/у, һ/х,
і/и), ё/е, ь/ъ, doubled letters, and Cyrillic against Latin spelling of the
same sounds («Жанар» = «Zhanar» = «Janar», «Қайрат» = «Kairat» = «Qairat»,
«Ерлан» = «Yerlan», «Әлия» = «Aliya», «Серікұлы» = «Serikuly»).

Also the same person:
- one side lacks the patronymic (-ұлы/-қызы/-ович/-овна/-евич/-евна/-ична…)
  while surname and given name agree — «Асанов Асан Асанұлы» = «Асанов Асан»;
- one slip of the keyboard in one name part of TYPO_MIN_LETTERS+ letters
  (a letter wrong, missing or extra, or two neighbours swapped), not in its
  first letter — «Нұрлан» = «Нурлна», «Серіков» = «Серикоа», «Ахметов» = «Ахмедов».

Never the same person:
- a different surname, given name or patronymic; a one-letter difference that
  turns a name into its other-gender form (-ов/-ова, Александр/Александра,
  Евгений/Евгения) is a different person, not a typo;
- two slips, in one name part or in two («Жұмабекова» ≠ «Жумабикава»): names
  that far apart are as often other people (Тимуров/Темиров), and the price
  of a wrong «different» is only a receipt photo;
- fewer than two name parts on either side: a single word (or initials) never
  identifies an owner, not even against the same single word;
- a name part on one side with no counterpart that is not a patronymic.

``reason`` is short and machine-readable; it is stored on the refund row
(RefundRequest.owners_names). When several leniencies were needed the most
lenient one is named: typo > patronymic_missing > transliteration > order > exact.

Pure functions: no I/O at import or call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import permutations

from rapidfuzz.distance import OSA

# Matching rules (not business numbers, so they live here and not in bot/config.py).
# A slip is forgiven only in a name part at least this long (letters as written,
# the shorter side counts): in shorter names one letter is as often the whole
# difference between two names (Асан/Аслан, Дина/Нина, Ян/Яна).
TYPO_MIN_LETTERS = 5
# Optimal-string-alignment edits a slip may take: one wrong, missing or extra
# letter, or two neighbouring letters swapped (Aslan/Alsan), which a hurried
# typist does as often as a wrong letter. Two edits are another name too often.
TYPO_MAX_EDITS = 1
# Name parts that may carry a slip at once: «a one-letter typo», not one in each.
TYPO_MAX_PARTS = 1
# A surname and a given name at least: one word never identifies an owner.
MIN_NAME_PARTS = 2
# Longest name compared (words pair up by trying every order: 6! = 720 at most).
MAX_NAME_PARTS = 6

SAME_REASONS = ("exact", "order", "transliteration", "patronymic_missing", "typo")
DIFFERENT_REASONS = (
    "different_surname",
    "different_given_name",
    "different_patronymic",
    "extra_name",
    "too_many_typos",
    "too_short",
    "too_long",
)


@dataclass(frozen=True)
class NameMatch:
    same: bool
    reason: str  # one of SAME_REASONS when same, DIFFERENT_REASONS otherwise
    score: float  # 0..1: how alike the paired name parts are (1.0: same spelling or transliteration)


@dataclass(frozen=True)
class _Part:
    text: str  # lower case, Kazakh letters plain, ё→е: «Нұрлан» → «нурлан»
    key: str  # what it sounds like, in Latin: «нурлан», «Nurlan» → «nurlan»


_PLAIN = str.maketrans(
    {"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и", "ё": "е"}
)
# Joiners inside a name: «Абу-Бакир» = «Абубакир», «O'tegen» = «Otegen».
_JOINERS = re.compile(r"[-‐‑‒–—'’ʼ`´]")
_LETTERS = re.compile(r"[^\W\d_]+")
_TO_LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Kazakh Latin (2021) letters and Turkish-style spellings
    "ä": "a",
    "ö": "o",
    "ü": "u",
    "ū": "u",
    "ı": "i",
    "ğ": "g",
    "ñ": "n",
    "ş": "sh",
    "ç": "ch",
}
# Spelling variants of one sound, folded onto one form (order matters).
_VARIANTS = (
    ("shch", "sch"),  # щ: Shchukin / Schukin
    ("dzh", "j"),
    ("zh", "j"),
    ("dj", "j"),  # ж, дж: Zhanar / Janar, Dzhamila / Jamila
    ("kh", "h"),  # х: Akhmet / Ahmet
    ("q", "k"),
    ("x", "ks"),
    ("w", "v"),  # Qairat / Kairat, Alexey / Aleksey
    ("ye", "e"),
    ("yo", "e"),  # Yerlan / Erlan, Sergeyevna / Sergeevna, Pyotr / Petr
    ("y", "i"),  # й, ы: Kayrat / Kairat, Serikuly / Serikuli
)
_DOUBLES = re.compile(r"(.)\1+")  # Анна / Ana, Мухаммед / Мухамед, Aliia / Alia
# Patronymics (on the key): Kazakh -ұлы/-қызы, Azerbaijani/Turkic -оглы, Russian
# -ович/-евич/-ич, -овна/-евна/-ична.
_PATRONYMIC_ENDINGS = ("uli", "kizi", "ogli", "ich", "ovna", "evna", "ichna")
# «Асан ұлы», «Асан қызы»: written apart, still the patronymic's ending.
_PATRONYMIC_WORDS = {"uli", "kizi", "ogli"}
# Surnames (on the key), only to say which part differs in ``reason``.
_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "ski", "skaia", "tski", "tskaia", "enko")


def _latin_key(text: str) -> str:
    latin = "".join(_TO_LATIN.get(ch, ch) for ch in text)
    latin = "".join(ch for ch in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(ch))
    for variant, usual in _VARIANTS:
        latin = latin.replace(variant, usual)
    return _DOUBLES.sub(r"\1", latin)


def _parts(name: str) -> list[_Part]:
    text = unicodedata.normalize("NFC", name or "").lower().translate(_PLAIN)
    parts: list[_Part] = []
    for word in _LETTERS.findall(_JOINERS.sub("", text)):
        part = _Part(word, _latin_key(word))
        if len(word) < 2 or not part.key:
            continue  # initials («Асанов А. А.») and stray signs identify nobody
        if part.key in _PATRONYMIC_WORDS and parts:
            parts[-1] = _Part(parts[-1].text + word, parts[-1].key + part.key)
        else:
            parts.append(part)
    return parts


def _is_patronymic(part: _Part) -> bool:
    return part.key.endswith(_PATRONYMIC_ENDINGS)


def _other_gender(a: _Part, b: _Part) -> bool:
    """One is the other plus -а/-я: Иванов/Иванова, Александр/Александра,
    Евгений/Евгения («evgeni»/«evgenia» once й and я are folded)."""
    shorter, longer = sorted((a.key, b.key), key=len)
    return longer == shorter + "a"


def _similarity(a: _Part, b: _Part) -> float:
    return OSA.normalized_similarity(a.key, b.key)


def _relation(a: _Part, b: _Part) -> str | None:
    """How two name parts agree: exact, transliteration, typo — or None."""
    if a.text == b.text:
        return "exact"
    if a.key == b.key:
        return "transliteration"
    if (
        min(len(a.text), len(b.text)) >= TYPO_MIN_LETTERS
        and a.key[:1] == b.key[:1]  # first letters are typed with care
        and not _other_gender(a, b)  # Иванов/Иванова: two people, not a slip
        and OSA.distance(a.key, b.key, score_cutoff=TYPO_MAX_EDITS) <= TYPO_MAX_EDITS
    ):
        return "typo"
    return None


@dataclass(frozen=True)
class _Pairing:
    pairs: tuple[tuple[_Part, _Part], ...]
    relations: tuple[str | None, ...]
    in_order: bool
    score: float

    @property
    def typos(self) -> int:
        return self.relations.count("typo")

    @property
    def complete(self) -> bool:
        return None not in self.relations

    @property
    def same(self) -> bool:
        return self.complete and self.typos <= TYPO_MAX_PARTS

    def rank(self) -> tuple:
        """Best first: a match, then fewest leniencies, then closest spelling."""
        return (
            not self.same,
            self.relations.count(None),
            self.typos,
            self.relations.count("transliteration"),
            not self.in_order,
            -self.score,
        )


def _pairings(a: list[_Part], b: list[_Part]):
    for order in permutations(range(len(b))):
        pairs = tuple((a[i], b[j]) for i, j in enumerate(order))
        relations = tuple(_relation(x, y) for x, y in pairs)
        score = sum(_similarity(x, y) for x, y in pairs) / len(pairs)
        yield _Pairing(pairs, relations, order == tuple(sorted(order)), score)


def _role(part: _Part, name: list[_Part]) -> str:
    """surname / given_name / patronymic, for ``reason`` only. The back office
    writes «Фамилия Имя Отчество»: with no surname ending, the first word."""
    if len(name) > MIN_NAME_PARTS and _is_patronymic(part):
        return "patronymic"
    surname = next((p for p in name if p.key.endswith(_SURNAME_ENDINGS) and not _is_patronymic(p)), name[0])
    return "surname" if part is surname else "given_name"


def _different(pairing: _Pairing, a: list[_Part], b: list[_Part]) -> str:
    if pairing.complete:
        return "too_many_typos"
    roles = set()
    for (x, _), relation in zip(pairing.pairs, pairing.relations, strict=False):
        if relation is None:
            roles.add(_role(x, a))  # x is always from the first name (a)
    for role in ("surname", "given_name", "patronymic"):
        if role in roles:
            return f"different_{role}"
    return "different_surname"  # pragma: no cover - every part has a role


def compare_names(a: str, b: str) -> NameMatch:
    """Same person or not, why, and how alike («Асанов Асан Асанұлы» vs «Asanov Asan»)."""
    left, right = _parts(a), _parts(b)
    if len(left) < MIN_NAME_PARTS or len(right) < MIN_NAME_PARTS:
        return NameMatch(False, "too_short", 0.0)
    if max(len(left), len(right)) > MAX_NAME_PARTS:
        return NameMatch(False, "too_long", 0.0)
    candidates: list[tuple[_Pairing, bool]] = []  # (pairing, a patronymic was left out)
    if len(left) == len(right):
        candidates += [(p, False) for p in _pairings(left, right)]
    elif abs(len(left) - len(right)) == 1:
        longer, shorter = (left, right) if len(left) > len(right) else (right, left)
        for i, dropped in enumerate(longer):
            if _is_patronymic(dropped):
                rest = longer[:i] + longer[i + 1 :]
                found = _pairings(rest, shorter) if longer is left else _pairings(shorter, rest)
                candidates += [(p, True) for p in found]
    if not candidates:  # a part with no counterpart, and it is not a patronymic
        return NameMatch(False, "extra_name", 0.0)
    best, patronymic_left_out = min(candidates, key=lambda c: c[0].rank())
    score = round(best.score, 3)
    if not best.same:
        return NameMatch(False, _different(best, left, right), score)
    if best.typos:
        reason = "typo"
    elif patronymic_left_out:
        reason = "patronymic_missing"
    elif "transliteration" in best.relations:
        reason = "transliteration"
    elif not best.in_order:
        reason = "order"
    else:
        reason = "exact"
    return NameMatch(True, reason, score)
