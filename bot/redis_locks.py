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

Installed by bot/resilience.py, whose Redis retries repeat a transaction
that lost its connection (a transaction either ran whole or not at all).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)

# What a change does with the lock afterwards.
SAVE, DELETE, LEAVE = "save", "delete", "leave"
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], str, Any]]


def change_lock(store: RedisLockStore, conversation_id: Text, change: Change) -> Any:
    """Apply ``change`` (lock or None → (lock, SAVE|DELETE|LEAVE, result)) to the
    stored lock atomically; returns the change's result."""
    from redis.exceptions import WatchError

    key = store.key_prefix + conversation_id
    with store.red.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                stored = pipe.get(key)
                lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                lock, what, result = change(lock)
                pipe.multi()
                if what == SAVE:
                    pipe.set(key, lock.dumps())
                elif what == DELETE:
                    pipe.delete(key)
                pipe.execute()  # raises WatchError if the key changed since WATCH
                return result
            except WatchError:
                logger.debug("lock changed by another server meanwhile; trying again")


def issue_ticket(self: RedisLockStore, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
    def take(lock: Optional[TicketLock]) -> Tuple[TicketLock, str, int]:
        lock = lock or self.create_lock(conversation_id)
        return lock, SAVE, lock.issue_ticket(lock_lifetime)

    try:
        return self._dana_change_lock(conversation_id, take)
    except Exception as error:  # Rasa's contract: a failure to queue is a LockError
        raise LockError(f"Error while acquiring lock. Error:\n{error}") from error


def update_lock(self: RedisLockStore, conversation_id: Text) -> None:
    def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], str, None]:
        if lock is None:
            return None, LEAVE, None
        lock.remove_expired_tickets()
        return lock, SAVE, None

    self._dana_change_lock(conversation_id, drop_expired)


def finish_serving(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    def drop_ticket(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], str, None]:
        if lock is None:
            return None, LEAVE, None
        lock.remove_ticket_for(ticket_number)
        return lock, SAVE, None

    self._dana_change_lock(conversation_id, drop_ticket)


def cleanup(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    """Finish the ticket and delete the lock if nobody else is queued — in one step,
    so a ticket another server queues meanwhile is never deleted with it."""
    def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], str, None]:
        if lock is None:
            return None, LEAVE, None
        lock.remove_ticket_for(ticket_number)
        return lock, (SAVE if lock.is_someone_waiting() else DELETE), None

    self._dana_change_lock(conversation_id, finish)


ATOMIC = {"issue_ticket": issue_ticket, "update_lock": update_lock,
          "finish_serving": finish_serving, "cleanup": cleanup}


def install(retrying: Callable[[Callable], Callable] = lambda method: method) -> None:
    """Put the atomic methods on RedisLockStore; each transaction is run through
    ``retrying`` (bot/resilience.py: repeated while Redis restarts)."""
    if getattr(RedisLockStore, "_dana_change_lock", None):
        return
    RedisLockStore._dana_change_lock = retrying(change_lock)  # type: ignore[attr-defined]
    for name, method in ATOMIC.items():
        setattr(RedisLockStore, name, method)
