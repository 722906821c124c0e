"""The one place every customer message passes: a rate limit and a failure answer.

Every channel (REST, widget, Telegram, Meta, IVR) ends in
``Agent.handle_message``; it is wrapped once per process:

1. Over the per-sender limit (bot/server/rate_limit.py) the message is dropped before
   the lock, NLU or the tracker: one flood cannot hold a conversation's lock or
   fill the database. The first dropped message of the window is answered with
   ``utter_rate_limited``; the rest get nothing, so a flood is not answered by one.
2. At most a few messages are processed at once, the rest wait in arrival
   order (bot/server/admission.py): a short, even wait instead of sixteen turns
   slowing each other down.
3. If handling fails (database or Redis down, a bug), the customer gets
   ``utter_service_unavailable`` instead of silence, and only the error type is
   logged. The IVR is the exception: its channel puts the caller through to an
   operator on an error (channels/voice.py), better than "call 3131" on 3131.

Both answers are made without the tracker (it may be what failed): the
language comes from the message itself (bot/text/language), then the channel's hint
in the metadata, else both languages (Kazakh first). Texts come from the
domain's responses with bot/config.py's placeholders.

Installed by DanaNaturalLanguageGenerator next to bot/server/resilience.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Dict, List, Optional

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from bot.config import LANGUAGES
from bot.server import admission, rate_limit
from bot.text.language.detect import detect_language

logger = logging.getLogger(__name__)

RATE_LIMITED = "utter_rate_limited"
UNAVAILABLE = "utter_service_unavailable"
# Channels that answer a failure themselves.
OWN_FAILURE_ANSWER = ("voice",)
_METADATA_LANGUAGE_KEYS = ("language", "ivr_language")
# Telegram's /start and the IVR's start event carry the language as an entity.
_START_LANGUAGE = re.compile(r'"detected_language"\s*:\s*"(kk|ru)"')


def message_language(message: UserMessage) -> Optional[str]:
    """kk or ru from the text, else from the channel's hint; None if undecidable."""
    text = message.text if isinstance(message.text, str) else ""
    guess = detect_language(text[:2000]).language
    if guess:
        return guess
    start = _START_LANGUAGE.search(text[:200])
    if start:
        return start.group(1)
    metadata = message.metadata if isinstance(message.metadata, dict) else {}
    for key in _METADATA_LANGUAGE_KEYS:
        if metadata.get(key) in LANGUAGES:
            return metadata[key]
    return None


def response_text(responses: Dict[str, List[Dict[str, Any]]], name: str, language: Optional[str]) -> str:
    """The response's text in ``language``, or Kazakh then Russian when None."""
    from bot.server.nlg import text_outside_a_turn

    return text_outside_a_turn(name, language, responses=responses)


async def _say(agent: Agent, message: UserMessage, name: str) -> None:
    responses = agent.domain.responses if agent.domain else {}
    text = response_text(responses, name, message_language(message))
    if not text:
        return
    try:
        await message.output_channel.send_text_message(message.sender_id, text)
    except Exception as error:  # the channel itself is down: nothing more to do
        logger.error("could not send %s: %s", name, type(error).__name__)


def guard(original: Callable, limiter: Optional[Any], admitter: Optional[admission.Admission] = None) -> Callable:
    """``Agent.handle_message`` with the rate limit, admission and the failure answer."""

    async def guarded_handle_message(self: Agent, message: UserMessage) -> Optional[List[Dict[str, Any]]]:
        if limiter is not None:
            verdict = await limiter.hit(str(message.sender_id))
            if not verdict.allowed:
                if verdict.first_refusal:  # one line per flood, not one per message
                    logger.warning(
                        "a %s sender is over the rate limit: told once, the rest of the window " "is dropped",
                        message.input_channel,
                    )
                    await _say(self, message, RATE_LIMITED)
                return None
        try:
            if admitter is None:
                return await original(self, message)
            async with admitter.slot():
                return await original(self, message)
        except Exception as error:
            if message.input_channel in OWN_FAILURE_ANSWER:
                raise
            # The type only: the message of a database error can quote the customer's text.
            logger.error("message handling failed (channel %s): %s", message.input_channel, type(error).__name__)
            await _say(self, message, UNAVAILABLE)
            return None

    return guarded_handle_message


def guarded(original: Callable) -> Callable:
    """``Agent.handle_message`` behind the limits configured in the environment
    (a patch: bot/server/patches.py)."""
    return guard(original, rate_limit.from_environment(), admission.from_environment())
