"""Fold the many spellings of Kazakh and Russian onto one form.

Customers write «үйдегі интернет жоқ», «уйдеги интернет жок» and
«uidegi internet jok» for the same thing. Features are computed on the
folded form, so the classifier learns one word instead of three:
lower case, ё→е, й→и, Kazakh letters to their nearest Russian letter, and
Latin-script words transliterated to Cyrillic. Tokens with digits (logins,
phones, amounts) and e-mails are left alone.
"""

from __future__ import annotations

import re

_KAZAKH_FOLD = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
        "й": "и",
        # Latin look-alikes typed inside Cyrillic words
        "i": "и",
        "a": "а",
        "e": "е",
        "o": "о",
        "c": "с",
        "p": "р",
        "x": "х",
    }
)

# Longest first: multi-letter Latin digraphs of informal and 2021 Kazakh Latin
# and of Russian transliteration.
_LATIN_DIGRAPHS = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "е"),
    ("ye", "е"),
    ("ia", "я"),
    ("iu", "ю"),
    ("a'", "а"),
    ("o'", "о"),
    ("u'", "у"),
    ("g'", "г"),
    ("n'", "н"),
    ("s'", "ш"),
    ("c'", "ч"),
    ("i'", "и"),
)
_LATIN_LETTERS = {
    "a": "а",
    "b": "б",
    "c": "ц",
    "d": "д",
    "e": "е",
    "f": "ф",
    "g": "г",
    "h": "х",
    "i": "и",
    "j": "ж",
    "k": "к",
    "l": "л",
    "m": "м",
    "n": "н",
    "o": "о",
    "p": "п",
    "q": "к",
    "r": "р",
    "s": "с",
    "t": "т",
    "u": "у",
    "v": "в",
    "w": "у",
    "x": "кс",
    "y": "ы",
    "z": "з",
    "ä": "а",
    "ö": "о",
    "ü": "у",
    "ū": "у",
    "ı": "ы",
    "ğ": "г",
    "ñ": "н",
    "ş": "ш",
    "ç": "ч",
    "'": "",
}
_DIGRAPH_RE = re.compile("|".join(re.escape(d) for d, _ in _LATIN_DIGRAPHS))
_DIGRAPHS = dict(_LATIN_DIGRAPHS)

LATIN_WORD = re.compile(r"^[a-zäöüūığñşç']+$")
CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
KAZAKH_LETTERS = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
_REPEATS = re.compile(r"(.)\1{2,}")  # «жоооок» → «жоок»


def transliterate_latin(word: str) -> str:
    """Latin-script Kazakh or Russian word → Cyrillic (folded alphabet)."""
    word = _DIGRAPH_RE.sub(lambda m: _DIGRAPHS[m.group(0)], word)
    return "".join(_LATIN_LETTERS.get(ch, ch) for ch in word)


def fold_word(word: str) -> str:
    """One token's folded form; tokens with digits or '@' stay as they are."""
    lowered = word.lower()
    if any(ch.isdigit() for ch in lowered) or "@" in lowered:
        return lowered
    lowered = _REPEATS.sub(r"\1\1", lowered)
    if LATIN_WORD.match(lowered):
        return transliterate_latin(lowered)
    if CYRILLIC.search(lowered):
        return lowered.translate(_KAZAKH_FOLD)
    return lowered


WORD = re.compile(r"[\w@.+'-]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Words of a text, punctuation dropped (apostrophes of Latin Kazakh kept)."""
    return [w.strip(".-+'") for w in WORD.findall(text) if w.strip(".-+'")]


# Everyday words for the same thing, on their folded stems: customers say
# «ғаламтор», «инет», «модем», «сым», «тюнер», «инженер»; features read one
# canonical stem (the suffix stays, so Kazakh case endings still count).
# (stem, canonical stem, stems that start alike but mean something else)
_SYNONYM_STEMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("галамтор", "интернет", ()),
    ("инет", "интернет", ("инетик",)),
    ("интернэт", "интернет", ()),
    ("модем", "роутер", ()),
    ("маршрутизатор", "роутер", ()),
    ("ротер", "роутер", ()),
    ("wi-fi", "ваифаи", ()),
    ("уифи", "ваифаи", ()),
    ("ваи-фаи", "ваифаи", ()),
    ("уаифаи", "ваифаи", ()),
    ("сым", "кабель", ("сымбат",)),
    ("провод", "кабель", ()),
    ("шнур", "кабель", ()),
    ("тюнер", "приставка", ()),
    ("ресивер", "приставка", ()),
    ("декодер", "приставка", ()),
    ("техник", "мастер", ("техникал", "техническ", "техника")),
    ("инженер", "мастер", ()),
    ("монтажник", "мастер", ()),
    ("жондеуши", "мастер", ()),
)


def canonical(folded: str) -> str:
    """A folded word with an everyday synonym's stem replaced by the usual one."""
    for stem, usual, unlike in _SYNONYM_STEMS:
        if folded.startswith(stem) and not folded.startswith(unlike):
            return usual + folded[len(stem) :]
    return folded


def fold_text(text: str) -> str:
    """The whole text folded, words separated by single spaces."""
    return " ".join(fold_word(w) for w in words(text))


def folded_spans(text: str) -> tuple[str, list[tuple[int, int, int, int]]]:
    """Folded text plus, per word, (folded start, folded end, original start, original end).

    Lets a pattern matched on folded text point back at the customer's words.
    """
    parts: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    pos = 0
    for match in WORD.finditer(text):
        raw = match.group(0)
        stripped = raw.strip(".-+'")
        if not stripped:
            continue
        start = match.start() + raw.index(stripped)
        folded = fold_word(stripped)
        spans.append((pos, pos + len(folded), start, start + len(stripped)))
        parts.append(folded)
        pos += len(folded) + 1
    return " ".join(parts), spans


def original_span(spans: list[tuple[int, int, int, int]], start: int, end: int) -> tuple[int, int]:
    """Map a folded-text span back to the original text."""
    inside = [s for s in spans if s[1] > start and s[0] < end]
    return inside[0][2], inside[-1][3]
