"""Rasa's Redis lock store with every change of a lock made atomically.

A conversation's lock is one Redis key holding a ticket queue. Rasa 3.6
changes it by reading the key, changing the queue in Python and writing it
back (``LockStore.issue_ticket``, ``update_lock``, ``finish_serving``,
``cleanup``). Two servers doing that at once for the same conversation — a
customer's second message reaching the other server while the first is
answered — can both draw the same ticket (and process the conversation at
the same time), or one can write back a queue without the other's ticket, or
delete the lock the other has just queued on (its message then fails with
``LockError``). Here each change runs in a Redis transaction that watches the
key (WATCH/MULTI/EXEC) and starts again if another server changed it in
between. Reading a lock and the lock format stay Rasa's.

Each ticket records its owner, the server that drew it (``OWNER``: host, process
and a random part, new at every start), and lives ``LIMITS.lock_ticket_seconds``;
the owner renews it every ``LIMITS.lock_heartbeat_seconds`` while the message
waits and while it is processed. A killed server's tickets therefore expire
within seconds and its conversations go on on the other server, instead of
waiting out Rasa's 60-second lifetime; a restarted server has a new owner id and
never renews a dead one's tickets, even where a ticket number comes round again.
Rasa reads the lock as before (the owners are an extra key it ignores).

``DanaRedisLockStore`` is Rasa's lock store extension point, named in
endpoints.yml (``DANA_LOCK_STORE=redis`` → scripts/env.sh). It also rides out a
Redis restart: Rasa's store fails every turn on the first connection error;
here the whole lock step is repeated for up to ``LIMITS.lock_store_retry_seconds``
with ``asyncio.sleep`` between tries, so the server's other conversations go on
meanwhile (a transaction either ran whole or not at all, so repeating one is safe).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Dict, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.config import LIMITS

logger = logging.getLogger(__name__)

# What a change does with the lock afterwards.
SAVE, DELETE, KEEP = "save", "delete", "keep"
# A change gets the lock and its tickets' owners {ticket number: owner}.
Owners = Dict[int, str]
Change = Callable[[TicketLock, Owners], Tuple[str, Any]]
# This server, as long as it runs: a restart is another owner.
OWNER = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _load(stored: bytes) -> Tuple[TicketLock, Owners]:
    data = json.loads(stored)
    owners = {int(number): owner for number, owner in (data.get("owners") or {}).items()}
    return TicketLock.from_dict(data), owners


def _dump(lock: TicketLock, owners: Owners) -> str:
    data = json.loads(lock.dumps())
    live = {ticket.number for ticket in lock.tickets}
    data["owners"] = {str(number): owner for number, owner in owners.items() if number in live}
    return json.dumps(data)


def change_lock(store: RedisLockStore, conversation_id: Text, change: Change, create: bool = False) -> Any:
    """Apply ``change`` (changes the lock and owners in place → (SAVE|DELETE|KEEP,
    result)) to the stored lock atomically and return its result. Without a
    stored lock nothing happens (None), unless ``create``: then it changes a new one."""
    from redis.exceptions import WatchError

    key = store.key_prefix + conversation_id
    with store.red.pipeline() as pipe:  # leaving it unwatches the key
        while True:
            try:
                pipe.watch(key)
                stored = pipe.get(key)
                if stored:
                    lock, owners = _load(stored)
                elif create:
                    lock, owners = store.create_lock(conversation_id), {}
                else:
                    return None
                what, result = change(lock, owners)
                if what == KEEP:
                    return result
                pipe.multi()
                if what == SAVE:
                    pipe.set(key, _dump(lock, owners))
                else:
                    pipe.delete(key)
                pipe.execute()  # raises WatchError if the key changed since WATCH
                return result
            except WatchError:
                logger.debug("lock changed by another server meanwhile; trying again")


def issue_ticket(self: "DanaRedisLockStore", conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
    def draw(lock: TicketLock, owners: Owners) -> Tuple[str, int]:
        number = lock.issue_ticket(lock_lifetime)
        owners[number] = self.owner
        return SAVE, number

    try:
        return self._dana_change_lock(conversation_id, draw, create=True)
    except Exception as error:  # Rasa's contract: a failure to queue is a LockError
        raise LockError(f"Error while acquiring lock. Error:\n{error}") from error


def update_lock(self: RedisLockStore, conversation_id: Text) -> None:
    self._dana_change_lock(conversation_id, lambda lock, owners: (SAVE, lock.remove_expired_tickets()))


def finish_serving(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    self._dana_change_lock(conversation_id, lambda lock, owners: (SAVE, lock.remove_ticket_for(ticket_number)))


def cleanup(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    """Finish the ticket and delete the lock if nobody else is queued — in one step,
    so a ticket another server queues meanwhile is never deleted with it."""

    def finish(lock: TicketLock, owners: Owners) -> Tuple[str, None]:
        lock.remove_ticket_for(ticket_number)
        return (SAVE if lock.is_someone_waiting() else DELETE), None

    self._dana_change_lock(conversation_id, finish)


def renew(self: "DanaRedisLockStore", conversation_id: Text, ticket_number: int, lifetime: float) -> bool:
    """Push this server's ticket's expiry ``lifetime`` ahead; False if it is gone
    or not this server's."""

    def extend(lock: TicketLock, owners: Owners) -> Tuple[str, bool]:
        if owners.get(ticket_number) != self.owner:
            return KEEP, False
        for ticket in lock.tickets:
            if ticket.number == ticket_number:
                ticket.expires = time.time() + lifetime
                return SAVE, True
        return KEEP, False

    return bool(self._dana_change_lock(conversation_id, extend))


def _redis_down(error: BaseException) -> bool:
    from redis.exceptions import ConnectionError, TimeoutError

    return isinstance(error, (ConnectionError, TimeoutError)) or isinstance(
        error.__cause__, (ConnectionError, TimeoutError)
    )


class DanaRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, every change atomic, tickets kept alive by their
    owner only, riding out a Redis restart."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # as Rasa creates a lock store named by its class
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self.owner = OWNER

    def _dana_change_lock(self, conversation_id: Text, change: Change, create: bool = False) -> Any:
        return change_lock(self, conversation_id, change, create)

    issue_ticket = issue_ticket
    update_lock = update_lock
    finish_serving = finish_serving
    cleanup = cleanup
    renew = renew

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ``LockStore.lock`` with Dana's short, renewed tickets (Rasa's
        lifetime and wait are replaced by ``LIMITS``), each Redis step repeated
        while Redis is down."""
        lifetime = LIMITS.lock_ticket_seconds
        ticket = await self._retrying(self.issue_ticket, conversation_id, lifetime)
        beating = asyncio.create_task(self._heartbeat(conversation_id, ticket, lifetime))
        try:
            yield await self._retrying(self._acquire_lock, conversation_id, ticket, LIMITS.lock_poll_seconds)
        finally:
            beating.cancel()
            await self._retrying(self.cleanup, conversation_id, ticket)

    async def _heartbeat(self, conversation_id: Text, ticket: int, lifetime: float) -> None:
        """Renew the ticket while its message waits and is processed."""
        while True:
            await asyncio.sleep(LIMITS.lock_heartbeat_seconds)
            try:
                if not self.renew(conversation_id, ticket, lifetime):
                    # Expired: the event loop was held past the lifetime. Say so; the
                    # turn goes on (Rasa's own store behaves the same after 60 s).
                    logger.warning("a conversation's lock ticket expired while in use")
                    return
            except Exception as error:  # Redis down: the next beat tries again
                logger.warning("lock heartbeat failed (%s)", type(error).__name__)

    async def _retrying(self, step: Callable[..., Any], *args: Any) -> Any:
        deadline = time.monotonic() + LIMITS.lock_store_retry_seconds
        delay = 0.1
        while True:
            try:
                result = step(*args)
                return await result if asyncio.iscoroutine(result) else result
            except Exception as error:
                if not _redis_down(error) or time.monotonic() + delay > deadline:
                    raise
                logger.warning("lock store unavailable (%s); retrying", type(error).__name__)
                await asyncio.sleep(delay)  # the event loop serves other conversations meanwhile
                delay = min(delay * 2, 1.0)


class DanaLockStore:
    """The lock store endpoints.yml names: Dana's Redis store when several servers
    share conversations (``DANA_LOCK_STORE=redis``), else Rasa's in-memory one."""

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None) -> Any:  # type: ignore[misc]
        from rasa.core.lock_store import InMemoryLockStore

        if os.environ.get("DANA_LOCK_STORE", "in_memory").strip().lower() == "redis":
            return DanaRedisLockStore(endpoint_config)
        return InMemoryLockStore()
