"""Two Rasa servers sharing Redis never hold one conversation at once (bot/server/redis_locks.py)."""
import threading
import time

import pytest
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore

from bot.server.redis_locks import DanaRedisLockStore


def server(port: int) -> RedisLockStore:
    """What endpoints.yml gives every Rasa server with DANA_LOCK_STORE=redis."""
    return DanaRedisLockStore(host="127.0.0.1", port=port, socket_timeout=2)


def test_servers_queuing_at_the_same_moment_get_different_tickets(redis_port):
    servers, conversation, tickets = [server(redis_port) for _ in range(4)], f"same-moment-{time.time()}", []
    start = threading.Barrier(16)

    def queue(store: RedisLockStore) -> None:
        start.wait()
        for _ in range(10):
            tickets.append(store.issue_ticket(conversation))

    threads = [threading.Thread(target=queue, args=(servers[i % 4],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(160))  # no ticket drawn twice, none lost
    assert len(servers[0].get_lock(conversation).tickets) == 160


def test_finishing_never_deletes_a_ticket_queued_meanwhile(redis_port, monkeypatch):
    first, second, conversation = server(redis_port), server(redis_port), f"meanwhile-{time.time()}"
    mine = first.issue_ticket(conversation)
    theirs = []
    remove = TicketLock.remove_ticket_for

    def other_server_queues_in_between(lock: TicketLock, number: int) -> None:
        if not theirs:  # while the first server is between reading and writing the lock
            theirs.append(second.issue_ticket(conversation))
        remove(lock, number)

    monkeypatch.setattr(TicketLock, "remove_ticket_for", other_server_queues_in_between)
    first.cleanup(conversation, mine)
    lock = second.get_lock(conversation)
    assert lock is not None and [t.number for t in lock.tickets] == theirs
    assert not lock.is_locked(theirs[0])  # the second server's message is served next
