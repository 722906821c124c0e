"""The one place every customer message passes: a rate limit and a failure answer.

Every channel that takes customer messages (REST, widget, Telegram, Meta, IVR)
is a ``channels.base.GuardedInput``: Rasa hands each channel's blueprint the
handler that runs a turn, and the channel wraps it here — Rasa's own extension
point, so the guard works the same with Rasa's code unpatched:

1. Over the per-sender limit (bot/server/rate_limit.py) the message is dropped before
   the lock, NLU or the tracker: one flood cannot hold a conversation's lock or
   fill the database. The first dropped message of the window is answered with
   ``utter_rate_limited``; the rest get nothing, so a flood is not answered by one.
2. At most a few messages are processed at once, the rest wait in arrival
   order (bot/server/admission.py): a short, even wait instead of sixteen turns
   slowing each other down. One admission and one rate limit per process, shared
   by all its channels.
3. If handling fails (database or Redis down, a bug), the customer gets
   ``utter_service_unavailable`` instead of silence, and only the error type is
   logged. The IVR is the exception: its channel puts the caller through to an
   operator on an error (channels/voice.py), better than "call 3131" on 3131.

Both answers are made without the tracker (it may be what failed): the
language is the message's own (bot/text/language/detect.py), then the channel's
hints (a start event's entity, the metadata), else both languages (Kazakh
first) — the rule of bot/text/language/reply.py. Texts come from the domain's
responses with bot/config.py's placeholders.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional, Tuple

from rasa.core.channels.channel import UserMessage

from bot.server import admission, metrics, rate_limit
from bot.text.language.detect import detect_language
from bot.text.language.reply import UNDECIDED, metadata_hints, reply_language, start_language

logger = logging.getLogger(__name__)

RATE_LIMITED = "utter_rate_limited"
UNAVAILABLE = "utter_service_unavailable"
# Channels that answer a failure themselves.
OWN_FAILURE_ANSWER = ("voice",)


def message_language(message: UserMessage) -> Optional[str]:
    """kk or ru from the text, else from the channel's hints (a start event's
    entity, then the metadata); UNDECIDED (None): both languages."""
    text = message.text if isinstance(message.text, str) else ""
    return reply_language(
        message=detect_language(text[:2000]).language,
        hints=[start_language(text), *metadata_hints(message.metadata)],
        default=UNDECIDED,
    )


Handler = Callable[[UserMessage], Awaitable[Any]]


async def _say(message: UserMessage, name: str) -> None:
    from bot.server.nlg import text_outside_a_turn

    text = text_outside_a_turn(name, message_language(message))
    if not text:
        return
    try:
        await message.output_channel.send_text_message(message.sender_id, text)
    except Exception as error:  # the channel itself is down: nothing more to do
        logger.error("could not send %s: %s", name, type(error).__name__)


def guard(handler: Handler, limiter: Optional[Any], admitter: Optional[admission.Admission] = None) -> Handler:
    """The channel's message handler with the rate limit, admission and the failure answer."""

    async def guarded_handler(message: UserMessage) -> Any:
        if limiter is not None:
            verdict = await limiter.hit(str(message.sender_id))
            if not verdict.allowed:
                metrics.rate_limited(message.input_channel)
                if verdict.first_refusal:  # one line per flood, not one per message
                    logger.warning(
                        "a %s sender is over the rate limit: told once, the rest of the window is dropped",
                        message.input_channel,
                    )
                    await _say(message, RATE_LIMITED)
                return None
        with metrics.answering(message.input_channel):  # arrival → answer, the wait included
            try:
                if admitter is None:
                    return await handler(message)
                async with admitter.slot():
                    return await handler(message)
            except Exception as error:
                if message.input_channel in OWN_FAILURE_ANSWER:
                    raise
                # The type only: the message of a database error can quote the customer's text.
                logger.error("message handling failed (channel %s): %s", message.input_channel, type(error).__name__)
                await _say(message, UNAVAILABLE)
                return None

    return guarded_handler


_limits: Optional[Tuple[Optional[Any], Optional[admission.Admission]]] = None


def guarded(handler: Handler) -> Handler:
    """``handler`` behind this process's limits, configured in the environment
    (channels.base.GuardedInput calls it)."""
    global _limits
    if _limits is None:
        _limits = (rate_limit.from_environment(), admission.from_environment())
        metrics.watch_admission(_limits[1])
    return guard(handler, *_limits)
