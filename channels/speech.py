"""Dana's chat answers made speakable for the IVR's text-to-speech.

Chat answers carry things a voice cannot say well: emoji, links, markdown and
buttons. Logins and phone numbers are spelled digit by digit, otherwise TTS
reads «0851234567» as one huge number. Buttons are said after the answer with
the response ``utter_voice_options`` («Варианты: Да, Нет.», domain/responses/
channels.yml), in the answer's language; everything else is pure text handling.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

from bot.server.nlg import VOICE_CHANNEL, text_outside_a_turn
from bot.text.language.reply import RUSSIAN, letters_language, reply_language
from bot.text.parsing.phone import find_phones

# The buttons said aloud, {options} their titles: «Варианты: Да, Нет.»
OPTIONS = "utter_voice_options"

_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, flags, …
    "\U00002600-\U000027bf"  # misc symbols and dingbats (☎ ✅ ✔ ❗)
    "\U00002300-\U000023ff"  # technical (⌛ ⏰)
    "\U00002b00-\U00002bff"  # arrows and stars (⭐ ⬇)
    "\U0000fe00-\U0000fe0f"  # variation selectors
    "\U0000200d"  # zero-width joiner of composed emoji
    "\U000020e3"  # keycap
    "\U00003030\U0000303d\U00003297\U00003299"
    "]+"
)
# [title](url) keeps the title; bare links are dropped.
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_`~#]+")
_BULLET = re.compile(r"^\s*(?:[-•–—]|\d+[.)])\s+")
_LOGIN = re.compile(r"(?<!\d)08\d{8}(?!\d)")


def language_of(text: str, default: str = RUSSIAN) -> str:
    """The language of Dana's own text: kk when it has a Kazakh-only letter, else ``default``."""
    return reply_language(message=letters_language(text), default=default)


def spell_digits(digits: str) -> str:
    """«0851234567» → «0 8 5 1 2 3 4 5 6 7»; a leading «+» stays with the first digit."""
    plus = "+" if digits.startswith("+") else ""
    return plus + " ".join(ch for ch in digits if ch.isdigit())


def _spell_numbers(text: str) -> str:
    # Phones first (any spelling, normalised to +77…), then 10-digit logins.
    for start, end, phone in reversed(find_phones(text)):
        text = text[:start] + spell_digits(phone) + text[end:]
    return _LOGIN.sub(lambda m: spell_digits(m.group(0)), text)


def clean(text: str) -> str:
    """Text without emoji, links or markdown, numbers spelled, spaces tidied."""
    text = _MD_LINK.sub(r"\1", text or "")
    text = _URL.sub("", text)
    text = _EMOJI.sub("", text)
    text = _MARKDOWN.sub("", text)
    text = _spell_numbers(text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.!?:;])", r"\1", text)  # «see  .» left by a removed link
    # Bullets are not said; a line end is a pause, so it ends a sentence.
    lines = [line for line in (_BULLET.sub("", raw).strip() for raw in text.splitlines()) if line]
    ended = [line if line[-1] in ".!?…:;," else line + "." for line in lines[:-1]]
    return " ".join(ended + lines[-1:])


def button_hint(titles: Iterable[str], language: str) -> str:
    """«Варианты: Да, Нет.» — the buttons, said instead of shown."""
    spoken = [t.rstrip(".") for t in (clean(str(title)) for title in titles) if t]
    if not spoken:
        return ""
    said_in = reply_language(message=language, default=RUSSIAN)
    return text_outside_a_turn(OPTIONS, said_in, channel=VOICE_CHANNEL, values={"options": ", ".join(spoken)})


def speakable(text: Optional[str], buttons: Optional[List[Dict[str, Any]]] = None) -> str:
    """One message of Dana's (text plus optional buttons) as one spoken text."""
    said = clean(text or "")
    titles = [b.get("title") or "" for b in (buttons or []) if isinstance(b, dict)]
    if titles:
        language = language_of(said or " ".join(map(str, titles)))
        hint = button_hint(titles, language)
        if hint:
            if said and said[-1] not in ".!?…":
                said += "."
            said = f"{said} {hint}".strip()
    return said
