"""A published detector's opinion where Dana's own has none.

lingua (restricted to Kazakh and Russian) knows general vocabulary from large
news corpora, which Dana's support-chat lexicons and n-grams do not: on the
public word pairs of bench/nlu_dev it turns «министр финансов» from no answer
into Russian (0.936 → 0.984) without deciding words that belong to both
languages («оператор», «интернет», «ок» stay undecided: lingua's confidence
for them is 0.6–0.86). It is asked only when Dana's detector gives no answer,
and only its confident answers count: on Kazakh typed without its letters it
is wrong more often than right (docs/langid-comparison.md).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Optional

# lingua's confidence (0–1, kk and ru summing to 1) needed to decide.
CONFIDENCE = 0.9

Opinion = Callable[[str], Optional[str]]


@lru_cache(maxsize=1)
def lingua_opinion() -> Opinion | None:
    """lingua's kk/ru answer when confident, else None; None if not installed."""
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    detector = (
        LanguageDetectorBuilder.from_languages(Language.KAZAKH, Language.RUSSIAN)
        .with_preloaded_language_models()
        .build()
    )
    codes = {Language.KAZAKH: "kk", Language.RUSSIAN: "ru"}

    def opinion(text: str) -> Optional[str]:
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value < CONFIDENCE:
            return None
        return codes.get(values[0].language)

    return opinion
