"""The base of every channel that takes customer messages.

Rasa hands a channel's ``blueprint`` the handler that runs a turn. Here it is
wrapped, once per channel, in the message guard (bot/server/message_guard.py:
the rate limit, the admission limit, an answer when a turn fails) before the
channel's routes see it — Rasa's extension point, so the guard needs no change
to Rasa's code. A channel defines ``routes`` instead of ``blueprint``.

Each such channel is also registered here by the names it records as a
conversation's input channel, so a message that is not an answer to a turn (an
operator's reply, a «no operator yet») reaches the customer where they wrote:
``output_for(tracker.get_latest_input_channel())``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint

from bot.server import metrics
from bot.server.message_guard import guarded

Handler = Callable[[UserMessage], Awaitable[Any]]

_REGISTERED: Dict[Text, "GuardedInput"] = {}  # input channel name → the channel in this process


class GuardedInput(InputChannel):
    # The names this channel gives its messages' input_channel (Meta: one per platform).
    input_channels: Tuple[Text, ...] = ()

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        for name in self.input_channels or (self.name(),):
            _REGISTERED[name] = self
            metrics.known_channel(name)  # a label of Dana's metrics (others are "other")
        return self.routes(guarded(on_new_message))

    def routes(self, on_new_message: Handler) -> Blueprint:
        """The channel's Sanic blueprint; ``on_new_message`` is already guarded."""
        raise NotImplementedError


def output_for(input_channel: Optional[Text]) -> Optional[OutputChannel]:
    """An output channel that reaches a conversation of ``input_channel`` outside a
    turn, or None where the customer cannot be reached later (a phone call)."""
    channel = _REGISTERED.get(input_channel or "")
    return channel.get_output_channel() if channel else None


def registered() -> List[InputChannel]:
    """The channels of this process, once each (Rasa's ``app.ctx.input_channels``)."""
    return list({id(channel): channel for channel in _REGISTERED.values()}.values())
