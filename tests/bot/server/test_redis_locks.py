"""Two Rasa servers sharing Redis never hold one conversation at once, and a killed
server's conversations are free within seconds (bot/server/redis_locks.py)."""
import asyncio
import threading
import time
from dataclasses import replace

import pytest
from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore

from bot.config import LIMITS
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


# ---------------------------------------------------------------- owners and heartbeats

@pytest.fixture
def short_tickets(monkeypatch):
    """Tickets that live 1.5 s, renewed every 0.3 s (production: 5 s and 1 s)."""
    from bot.server import redis_locks

    monkeypatch.setattr(redis_locks, "LIMITS", replace(LIMITS, lock_ticket_seconds=1.5,
                                                       lock_heartbeat_seconds=0.3, lock_poll_seconds=0.05))
    return redis_locks.LIMITS


def other_server(port: int, name: str) -> DanaRedisLockStore:
    store = server(port)
    store.owner = name  # another process: its own owner id
    return store


async def test_a_killed_servers_conversation_is_free_within_seconds(redis_port, short_tickets):
    conversation = f"killed-{time.time()}"
    # The killed server drew a ticket and died holding it: nobody renews it.
    other_server(redis_port, "killed").issue_ticket(conversation, short_tickets.lock_ticket_seconds)
    began = time.monotonic()
    async with server(redis_port).lock(conversation):
        waited = time.monotonic() - began
    assert 0.5 < waited < short_tickets.lock_ticket_seconds + 1.0  # not Rasa's 60 s


async def test_a_working_server_keeps_its_lock_however_long_the_turn(redis_port, short_tickets):
    conversation, order = f"long-turn-{time.time()}", []
    first, second = other_server(redis_port, "first"), other_server(redis_port, "second")

    async def turn(store: DanaRedisLockStore, name: str, seconds: float) -> None:
        async with store.lock(conversation):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    long_turn = asyncio.create_task(turn(first, "first", 3 * short_tickets.lock_ticket_seconds))
    await asyncio.sleep(0.2)
    await asyncio.gather(long_turn, turn(second, "second", 0))
    assert order == ["first in", "first out", "second in", "second out"]  # never both at once
    assert server(redis_port).get_lock(conversation) is None  # cleaned up


def test_a_restarted_server_never_renews_a_dead_ones_ticket(redis_port):
    conversation = f"restarted-{time.time()}"
    dead = other_server(redis_port, "before-restart")
    ticket = dead.issue_ticket(conversation, 5)
    expires = dead.get_lock(conversation).tickets[0].expires
    assert other_server(redis_port, "after-restart").renew(conversation, ticket, 60) is False
    assert dead.get_lock(conversation).tickets[0].expires == expires
    assert dead.renew(conversation, ticket, 60) is True  # its owner could
    assert dead.get_lock(conversation).tickets[0].expires > expires + 50
