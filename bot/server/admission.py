"""How many messages a Rasa worker processes at once (bot/server/message_guard.py asks).

A worker is one event loop. With every arriving message let in, sixteen
conversations share it turn by turn: each await (the lock, the tracker, an
action call) sends a message to the back of the queue, so a turn with three
actions waits behind the others three times — at 16 concurrent conversations
the p95 was five times the median. Here at most ``limit`` messages are
processed at once (enough to keep the CPU busy while some wait for the action
server or the database) and the rest wait in arrival order; a slot freed by one
message goes straight to the next in line, never to a newcomer.

A message never waits longer than ``max_wait`` seconds: if the processed ones
are stuck (an action server not answering until its timeout), the next goes
ahead anyway — admission may order the work, never be the reason a customer
gets no answer.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator, Deque, Optional

from bot.config import LIMITS
from bot.server import metrics


class Admission:
    def __init__(self, limit: int, max_wait: float) -> None:
        self.limit = limit
        self.max_wait = max_wait
        self.active = 0  # messages holding a slot
        self._waiting: Deque[asyncio.Future] = deque()

    async def _acquire(self) -> bool:
        """True with a slot; False when the wait ran out (go ahead without one)."""
        if self.active < self.limit and not self._waiting:
            self.active += 1
            return True
        loop = asyncio.get_running_loop()
        turn = loop.create_future()
        self._waiting.append(turn)
        timer = loop.call_later(self.max_wait, self._give_up, turn)
        try:
            return await turn
        except asyncio.CancelledError:  # the client went away while waiting
            if turn.done() and not turn.cancelled() and turn.result():
                self._release()  # a slot was handed over just before: pass it on
            elif turn in self._waiting:
                self._waiting.remove(turn)
            raise
        finally:
            timer.cancel()

    @property
    def waiting(self) -> int:
        """Messages waiting for a slot (the dana_admission_queue_depth gauge)."""
        return len(self._waiting)

    def _give_up(self, turn: asyncio.Future) -> None:
        if not turn.done():
            self._waiting.remove(turn)
            turn.set_result(False)
            metrics.admission_timed_out()

    def _release(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(True)  # the slot passes on; ``active`` stays
                return
        self.active -= 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        holds = await self._acquire()
        try:
            yield
        finally:
            if holds:
                self._release()


def from_environment() -> Optional[Admission]:
    """DANA_ACTIVE_MESSAGES=<n> per worker (default LIMITS), «off»: no admission."""
    value = os.environ.get("DANA_ACTIVE_MESSAGES", "").strip().lower()
    if value == "off":
        return None
    limit = int(value) if value else LIMITS.active_messages_per_worker
    return Admission(limit, LIMITS.admission_wait_seconds)
