"""The base of every channel that takes customer messages.

Rasa hands a channel's ``blueprint`` the handler that runs a turn. Here it is
wrapped, once per channel, in the message guard (bot/server/message_guard.py:
the rate limit, the admission limit, an answer when a turn fails) before the
channel's routes see it — Rasa's extension point, so the guard needs no change
to Rasa's code. A channel defines ``routes`` instead of ``blueprint``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from bot.server.message_guard import guarded

Handler = Callable[[UserMessage], Awaitable[Any]]


class GuardedInput(InputChannel):
    def blueprint(self, on_new_message: Handler) -> Blueprint:
        return self.routes(guarded(on_new_message))

    def routes(self, on_new_message: Handler) -> Blueprint:
        """The channel's Sanic blueprint; ``on_new_message`` is already guarded."""
        raise NotImplementedError
