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

Installed by bot/server/resilience.py, whose Redis retries repeat a transaction
that lost its connection (a transaction either ran whole or not at all).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

logger = logging.getLogger(__name__)

# What a change does with the lock afterwards.
SAVE, DELETE = "save", "delete"
Change = Callable[[TicketLock], Tuple[str, Any]]


def change_lock(store: RedisLockStore, conversation_id: Text, change: Change, create: bool = False) -> Any:
    """Apply ``change`` (changes the lock in place → (SAVE|DELETE, result)) to the
    stored lock atomically and return its result. Without a stored lock nothing
    happens (None), unless ``create``: then it changes a new one."""
    from redis.exceptions import WatchError

    key = store.key_prefix + conversation_id
    with store.red.pipeline() as pipe:  # leaving it unwatches the key
        while True:
            try:
                pipe.watch(key)
                stored = pipe.get(key)
                if stored:
                    lock = TicketLock.from_dict(json.loads(stored))
                elif create:
                    lock = store.create_lock(conversation_id)
                else:
                    return None
                what, result = change(lock)
                pipe.multi()
                if what == SAVE:
                    pipe.set(key, lock.dumps())
                else:
                    pipe.delete(key)
                pipe.execute()  # raises WatchError if the key changed since WATCH
                return result
            except WatchError:
                logger.debug("lock changed by another server meanwhile; trying again")


def issue_ticket(self: RedisLockStore, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
    try:
        return self._dana_change_lock(conversation_id, lambda lock: (SAVE, lock.issue_ticket(lock_lifetime)),
                                      create=True)
    except Exception as error:  # Rasa's contract: a failure to queue is a LockError
        raise LockError(f"Error while acquiring lock. Error:\n{error}") from error


def update_lock(self: RedisLockStore, conversation_id: Text) -> None:
    self._dana_change_lock(conversation_id, lambda lock: (SAVE, lock.remove_expired_tickets()))


def finish_serving(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    self._dana_change_lock(conversation_id, lambda lock: (SAVE, lock.remove_ticket_for(ticket_number)))


def cleanup(self: RedisLockStore, conversation_id: Text, ticket_number: int) -> None:
    """Finish the ticket and delete the lock if nobody else is queued — in one step,
    so a ticket another server queues meanwhile is never deleted with it."""
    def finish(lock: TicketLock) -> Tuple[str, None]:
        lock.remove_ticket_for(ticket_number)
        return (SAVE if lock.is_someone_waiting() else DELETE), None

    self._dana_change_lock(conversation_id, finish)


ATOMIC = {"issue_ticket": issue_ticket, "update_lock": update_lock,
          "finish_serving": finish_serving, "cleanup": cleanup}


def install(retrying: Callable[[Callable], Callable] = lambda method: method) -> None:
    """Put the atomic methods on RedisLockStore; each transaction is run through
    ``retrying`` (bot/server/resilience.py: repeated while Redis restarts)."""
    if getattr(RedisLockStore, "_dana_change_lock", None):
        return
    RedisLockStore._dana_change_lock = retrying(change_lock)  # type: ignore[attr-defined]
    for name, method in ATOMIC.items():
        setattr(RedisLockStore, name, method)
