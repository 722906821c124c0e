"""Widget messages a dying server had taken are handed to another server, once
(bot/server/pending.py)."""
import asyncio
import uuid
from dataclasses import replace

import pytest

from bot.config import LIMITS
from bot.server import pending as pending_module
from bot.server.pending import PendingMessages
from bot.server.rate_limit import redis_client


@pytest.fixture
def short_lease(monkeypatch):
    monkeypatch.setattr(pending_module, "LIMITS", replace(LIMITS, lock_ticket_seconds=0.5, lock_heartbeat_seconds=0.1))


def server(port: int, name: str) -> PendingMessages:
    return PendingMessages(redis_client("127.0.0.1", port, 1), owner=name)


def message(text: str = "интернет жоқ") -> dict:
    return {"message": text, "metadata": None, "message_id": uuid.uuid4().hex, "taken_at": 0}


async def test_a_dead_servers_message_is_claimed_by_one_other_server_after_its_lease(redis_port, short_lease):
    session, taken = f"s-{uuid.uuid4().hex}", message()
    await server(redis_port, "dies").take(session, taken)
    first, second = server(redis_port, "first"), server(redis_port, "second")
    assert await first.waiting(session)
    assert await first.claim_abandoned(session) == []  # its server may still be answering
    await asyncio.sleep(0.6)
    claims = await asyncio.gather(first.claim_abandoned(session), second.claim_abandoned(session))
    claimed = [m for found in claims for m in found]
    assert [m["message_id"] for m in claimed] == [taken["message_id"]]  # exactly one server has it
    assert claimed[0]["message"] == "интернет жоқ"


async def test_a_working_server_keeps_its_message_and_removes_it_when_answered(redis_port, short_lease):
    session, taken = f"s-{uuid.uuid4().hex}", message()
    working, other = server(redis_port, "working"), server(redis_port, "other")
    await working.take(session, taken)
    async with working.kept(session, taken):
        await asyncio.sleep(1.0)  # twice the lease: renewed meanwhile
        assert await other.claim_abandoned(session) == []
    assert not await other.waiting(session)  # answered: nothing left to hand over
