"""How many messages one sender may send in a window (bot/server/message_guard.py asks).

A fixed window per sender, started by its first message: the count and the
window's start live in Redis when several Rasa servers share conversations
(``DANA_LOCK_STORE=redis``: key ``dana:rate:<hash of the sender>``, one
MULTI/EXEC pipeline so every server sees the same count), else in this
process's memory (bounded: the oldest senders are forgotten first).

Senders are hashed: a WhatsApp sender id is a phone number and must not sit
in Redis in clear; the hash also bounds the key of a 1000-character id.
Redis down or slow: every message passes (fail open) — the limit protects
Dana, it must never be the reason a customer gets no answer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

logger = logging.getLogger(__name__)

KEY_PREFIX = "dana:rate:"
MAX_SENDERS = 100_000  # in memory: ~10 MB at most
REDIS_TIMEOUT = 0.5  # seconds; a limiter that waits longer than a turn is worse than none
LOG_EVERY = 60.0  # seconds between "Redis unavailable" warnings


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    first_refusal: bool  # the one over-limit message of the window that gets a polite answer


def _verdict(count: int, limit: int) -> Verdict:
    return Verdict(count <= limit, count == limit + 1)


def sender_key(sender_id: str) -> str:
    return KEY_PREFIX + hashlib.sha256(str(sender_id).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class MemoryRateLimiter:
    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._senders: "OrderedDict[str, list]" = OrderedDict()  # key → [window start, count]

    async def hit(self, sender_id: str) -> Verdict:
        now, key = self.clock(), sender_key(sender_id)
        entry = self._senders.get(key)
        if entry is None or now - entry[0] >= self.window:
            entry = [now, 0]
        entry[1] += 1
        self._senders[key] = entry
        self._senders.move_to_end(key)
        while len(self._senders) > MAX_SENDERS:
            self._senders.popitem(last=False)
        return _verdict(entry[1], self.limit)


class RedisRateLimiter:
    def __init__(self, limit: int, window: float, client) -> None:
        self.limit, self.window, self.client = limit, window, client
        self._last_warning = 0.0

    async def hit(self, sender_id: str) -> Verdict:
        key = sender_key(sender_id)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                # SET NX EX starts the window with the first message; INCR keeps its TTL.
                pipe.set(key, 0, ex=max(1, int(self.window)), nx=True)
                pipe.incr(key)
                _, count = await pipe.execute()
        except Exception as error:  # Redis down, timeout, refused: fail open
            now = time.monotonic()
            if now - self._last_warning > LOG_EVERY:
                self._last_warning = now
                logger.warning("rate limit not checked, Redis unavailable (%s); messages pass", type(error).__name__)
            return Verdict(True, False)
        return _verdict(int(count), self.limit)


def redis_client(host: str, port: int, db: int):
    from redis import asyncio as redis_asyncio

    # The same Redis as Rasa's lock store (endpoints.yml), which has no password either.
    return redis_asyncio.Redis(
        host=host, port=port, db=db, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )


def _shared_redis_address() -> Optional[Tuple[str, int, int]]:
    """(host, port, db) of the Redis the servers share — the lock store's, when
    several servers share conversations (``DANA_LOCK_STORE=redis``) — else None."""
    if os.environ.get("DANA_LOCK_STORE", "in_memory").strip().lower() != "redis":
        return None
    return (
        os.environ.get("REDIS_HOST", "127.0.0.1"),
        int(os.environ.get("REDIS_PORT", "6379")),
        int(os.environ.get("REDIS_LOCK_DB", "1") or 1),
    )


def shared_redis() -> Optional[Any]:
    """A client of the servers' shared Redis, or None."""
    address = _shared_redis_address()
    return redis_client(*address) if address else None


def shared_redis_url() -> Optional[str]:
    """The servers' shared Redis as a URL (python-socketio's manager), or None."""
    address = _shared_redis_address()
    return "redis://{}:{}/{}".format(*address) if address else None


def from_environment() -> Optional[object]:
    """The limiter this process should use, or None when the limit is off."""
    from bot.config import settings

    limit, window = settings().rate_limit
    if limit <= 0 or window <= 0:
        return None
    client = shared_redis()
    return RedisRateLimiter(limit, window, client) if client is not None else MemoryRateLimiter(limit, window)
