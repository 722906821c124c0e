"""The reply language: the one rule for which language Dana answers in.

Every place that answers asks ``reply_language`` with the evidence it has;
none decides by itself. Evidence, strongest first:

1. ``conversation`` — the conversation's language, once set: the ``language``
   slot (domain/_common.yml). nlu.components.language_identifier sets it on
   every message from the message's own evidence (an explicit «давайте на
   русском» always; the detected language unless an explicit choice is pinned
   in ``preferred_language`` or the answer is a bare value); a message with no
   evidence keeps it. The slot starts as Kazakh. A hand-off's context carries it.
2. ``message`` — the message's own language: detected from the customer's text
   (bot/text/language/detect.py), or, for Dana's own answer, its letters
   (``letters_language``).
3. ``hints`` — the channel's hints, in the order given: the start event's
   entity (``/greet{"detected_language": "kk"}``: Telegram's client language
   through ``client_language``, the IVR menu choice, the web page's language),
   then the metadata's ``language`` (web widget) and ``ivr_language`` (IVR).
4. ``default`` — what the caller says when nothing counts: Kazakh
   (DEFAULT_LANGUAGE), Russian where the values fill a response's default
   variation (its text is the Russian one), or UNDECIDED.

Only «kk» and «ru» are evidence; anything else (None, «en», a typo) is none.
UNDECIDED (None) means the answer is said in both languages, Kazakh first
(``said_in``): the failure answers, a channel that cannot tell.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from typing import Any, Final, Iterable, Optional, overload

from bot.config import DEFAULT_LANGUAGE, LANGUAGES
from bot.text.language.normalise import KAZAKH_LETTERS

KAZAKH = "kk"
RUSSIAN = "ru"
# No language decided: said in both, Kazakh first.
UNDECIDED: Final = None
BOTH = (KAZAKH, RUSSIAN)

# Telegram's client language (the user's app setting: «ru», «kk», «uk-UA» …) → Dana's.
CLIENT_LANGUAGES = {"ru": RUSSIAN, "kk": KAZAKH, "be": RUSSIAN, "uk": RUSSIAN}
# Metadata keys a channel puts its language in: the web widget's customData, the IVR's menu.
METADATA_KEYS = ("language", "ivr_language")
# The start event a channel sends with its hint (Telegram's /start, the IVR's call
# start, the web widget's initPayload); the domain maps the entity to the slot.
_START = re.compile(r'"detected_language"\s*:\s*"(kk|ru)"')
_START_SEARCHED = 200  # the entity sits right after «/greet»


@overload
def reply_language(
    *, conversation: Any = None, message: Any = None, hints: Iterable[Any] = (), default: str = DEFAULT_LANGUAGE
) -> str: ...


@overload
def reply_language(
    *, conversation: Any = None, message: Any = None, hints: Iterable[Any] = (), default: None
) -> Optional[str]: ...


def reply_language(
    *,
    conversation: Any = None,
    message: Any = None,
    hints: Iterable[Any] = (),
    default: Optional[str] = DEFAULT_LANGUAGE,
) -> Optional[str]:
    """The language to answer in: the first of the conversation's language, the
    message's own and the channel's hints that is «kk» or «ru», else ``default``
    (Kazakh unless the caller says otherwise; UNDECIDED: both languages)."""
    for evidence in (conversation, message, *hints):
        if evidence in LANGUAGES:
            return evidence
    return default


def said_in(language: Optional[str]) -> tuple[str, ...]:
    """The languages an answer is said in, in order: its own, or both (Kazakh
    first) when UNDECIDED."""
    return (language,) if language else BOTH


def letters_language(text: str) -> Optional[str]:
    """Dana's own text (a response, a button title): Kazakh when it has a
    Kazakh-only letter — her Kazakh always does, her Russian never. None: no
    evidence (Russian is not proved by a missing letter; the caller's default says)."""
    return KAZAKH if KAZAKH_LETTERS.search(text) else None


def client_language(code: Optional[str]) -> Optional[str]:
    """Telegram's client language code as a hint: «ru», «uk-UA», «be» → ru,
    «kk» → kk, anything else (or nothing) → no hint."""
    return CLIENT_LANGUAGES.get((code or "").split("-")[0])


def start_text(language: Optional[str]) -> str:
    """The start event with the channel's hint: ``/greet{"detected_language": "kk"}``,
    plain ``/greet`` without one."""
    return '/greet{"detected_language": "%s"}' % language if language else "/greet"


def start_language(text: str) -> Optional[str]:
    """The hint a start event carries (see ``start_text``), else None."""
    found = _START.search(text[:_START_SEARCHED])
    return found.group(1) if found else None


def metadata_hints(metadata: Any) -> list[Any]:
    """The channel's hints in a message's metadata, in order (``METADATA_KEYS``)."""
    return [metadata.get(key) for key in METADATA_KEYS] if isinstance(metadata, dict) else []
