"""Widget messages a server has taken and not yet answered, so that another
server answers them if this one dies.

A widget message arrives over the customer's Socket.IO connection to one
server; if that server is killed while it works on the message, the balancer
cannot send it elsewhere (it is not a request it could repeat) and the customer
would sit in front of a silent chat. So the widget channel (channels/web.py)
writes each message here (Redis, beside the conversation locks) before it is
processed and removes it once answered, and its server renews it while it works,
as it renews its lock tickets (bot/server/redis_locks.py). When the customer's
widget reconnects — to the other server, the first one being dead — that server
finds the message abandoned (not renewed for ``LIMITS.lock_ticket_seconds``),
claims it and answers it: from the conversation if the dead server had
processed it (a turn's events are saved together at its end), else by
processing it now. Never twice: the claim is one Redis transaction. A message
the widget sends again (same id, no ack before its reconnect) finds its record
taken and is not processed again: ``take`` only takes an id nobody holds.

Only with Redis (``DANA_LOCK_STORE=redis``, the cluster); one server alone has
nobody to hand its messages to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Optional

from bot.config import LIMITS
from bot.server.redis_locks import OWNER

logger = logging.getLogger(__name__)

KEY_PREFIX = "dana:pending:"
KEPT_SECONDS = 600  # a session's record outlives any reconnect; then Redis drops it


class PendingMessages:
    def __init__(self, client: Any, owner: str = OWNER) -> None:
        self.redis, self.owner = client, owner

    @staticmethod
    def _key(session_id: str) -> str:
        return KEY_PREFIX + session_id

    def _record(self, message: Dict[str, Any]) -> str:
        lease = time.time() + LIMITS.lock_ticket_seconds
        return json.dumps({**message, "owner": self.owner, "alive_until": lease}, ensure_ascii=False)

    async def take(self, session_id: str, message: Dict[str, Any]) -> bool:
        """``message`` (text, metadata, message_id) is this server's to answer;
        False if its id is taken already (a widget sent it again: the holder answers)."""
        key = self._key(session_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, message["message_id"], self._record(message))
            pipe.expire(key, KEPT_SECONDS)
            taken, _ = await pipe.execute()
        return bool(taken)

    async def renew(self, session_id: str, message: Dict[str, Any]) -> None:
        await self.redis.hset(self._key(session_id), message["message_id"], self._record(message))

    async def done(self, session_id: str, message_id: str) -> None:
        await self.redis.hdel(self._key(session_id), message_id)

    async def claim_abandoned(self, session_id: str) -> List[Dict[str, Any]]:
        """The session's messages whose server stopped renewing them, now this
        server's (one transaction: two servers never claim the same one)."""
        from redis.exceptions import WatchError

        key = self._key(session_id)
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    stored = await pipe.hgetall(key)
                    now = time.time()
                    abandoned = [json.loads(raw) for raw in stored.values()]
                    abandoned = [m for m in abandoned if m.get("alive_until", 0) < now]
                    if not abandoned:
                        return []
                    pipe.multi()
                    for message in abandoned:
                        pipe.hset(key, message["message_id"], self._record(message))
                    await pipe.execute()
                    return sorted(abandoned, key=lambda m: m.get("taken_at", 0))
                except WatchError:
                    continue

    async def holds(self, session_id: str, message_id: str) -> bool:
        """Whether that message is taken and not yet answered (by anyone)."""
        return bool(await self.redis.hexists(self._key(session_id), message_id))

    async def waiting(self, session_id: str) -> bool:
        """Whether any message of the session is still unanswered (by anyone)."""
        return bool(await self.redis.hlen(self._key(session_id)))

    @asynccontextmanager
    async def kept(self, session_id: str, message: Dict[str, Any]) -> AsyncIterator[None]:
        """The message recorded (already taken or claimed) and renewed while the
        block answers it, removed after — also when answering failed, since the
        customer was then told so (the message guard)."""
        beating = asyncio.create_task(self._heartbeat(session_id, message))
        try:
            yield
        finally:
            beating.cancel()
            try:
                await self.done(session_id, message["message_id"])
            except Exception as error:  # Redis down: the record expires by itself
                logger.warning("pending message not removed (%s)", type(error).__name__)

    async def _heartbeat(self, session_id: str, message: Dict[str, Any]) -> None:
        while True:
            await asyncio.sleep(LIMITS.lock_heartbeat_seconds)
            try:
                await self.renew(session_id, message)
            except Exception as error:  # the next beat tries again
                logger.warning("pending message not renewed (%s)", type(error).__name__)


def from_environment() -> Optional[PendingMessages]:
    """The store when the servers share Redis, else None."""
    from bot.server.rate_limit import shared_redis

    client = shared_redis()
    return PendingMessages(client) if client is not None else None
