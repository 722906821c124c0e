"""Admission (bot/server/admission.py): a few messages at a time, the rest in
arrival order, none kept waiting past the bound, none lost."""
from __future__ import annotations

import asyncio

from bot.server import message_guard
from bot.server.admission import Admission, from_environment
from bot.config import LIMITS


async def _hold(admission: Admission, name: str, log: list, release: asyncio.Event) -> None:
    async with admission.slot():
        log.append(name)
        await release.wait()


async def _one_holding_one_waiting(admission: Admission, log: list, waiting_name: str):
    """A message in the only slot and another queued behind it: (release the
    first, its task, the waiting one's task)."""
    release = asyncio.Event()
    holder = asyncio.create_task(_hold(admission, "holder", log, release))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(_hold(admission, waiting_name, log, asyncio.Event()))
    await asyncio.sleep(0)
    return release, holder, waiting


async def test_messages_enter_in_arrival_order_and_never_more_than_the_limit():
    admission = Admission(limit=2, max_wait=10)
    active, most, order = 0, 0, []

    async def message(name: str) -> None:
        nonlocal active, most
        async with admission.slot():
            active += 1
            most = max(most, active)
            order.append(name)
            await asyncio.sleep(0.01)
            active -= 1

    await asyncio.gather(*(message(f"m{i}") for i in range(8)))
    assert most == 2
    assert order == [f"m{i}" for i in range(8)]
    assert admission.active == 0


async def test_a_freed_slot_goes_to_the_one_waiting_not_to_a_newcomer():
    """asyncio.Semaphore in Python 3.10 lets a newcomer take a slot released
    to a waiter, which then queues again at the back."""
    admission = Admission(limit=1, max_wait=10)
    log: list = []
    release, holder, waiter = await _one_holding_one_waiting(admission, log, "waiter")
    release.set()
    await holder  # released: the waiter is woken, not yet run
    newcomer = asyncio.create_task(_hold(admission, "newcomer", log, asyncio.Event()))
    await asyncio.sleep(0.05)
    assert log == ["holder", "waiter"], "the newcomer waits behind the waiter"
    for task in (waiter, newcomer):
        task.cancel()
    await asyncio.gather(waiter, newcomer, return_exceptions=True)
    assert admission.active == 0


async def test_stuck_messages_hold_no_one_past_the_bound():
    admission = Admission(limit=1, max_wait=0.1)
    log: list = []
    stuck = asyncio.Event()
    holder = asyncio.create_task(_hold(admission, "stuck", log, stuck))
    await asyncio.sleep(0)
    started = asyncio.get_running_loop().time()
    async with admission.slot():
        waited = asyncio.get_running_loop().time() - started
    assert 0.09 <= waited < 1.0
    stuck.set()
    await holder
    assert admission.active == 0  # the one that went ahead held no slot


async def test_a_client_that_leaves_while_waiting_frees_its_place():
    admission = Admission(limit=1, max_wait=10)
    log: list = []
    release, holder, leaver = await _one_holding_one_waiting(admission, log, "leaver")
    leaver.cancel()
    release.set()
    await holder
    await asyncio.gather(leaver, return_exceptions=True)
    async with admission.slot():  # straight in: no slot was lost
        assert admission.active == 1
    assert log == ["holder"] and admission.active == 0


def test_limit_from_the_environment(monkeypatch):
    monkeypatch.delenv("DANA_ACTIVE_MESSAGES", raising=False)
    assert from_environment().limit == LIMITS.active_messages_per_worker
    monkeypatch.setenv("DANA_ACTIVE_MESSAGES", "7")
    assert from_environment().limit == 7
    monkeypatch.setenv("DANA_ACTIVE_MESSAGES", "off")
    assert from_environment() is None


async def test_every_message_through_the_guard_is_answered_a_few_at_a_time():
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    active, most = 0, 0

    async def handle(message):
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.01)
        await message.output_channel.send_text_message(message.sender_id, f"re: {message.text}")
        active -= 1
        return []

    guarded = message_guard.guard(handle, None, Admission(limit=3, max_wait=10))
    messages = [UserMessage(f"сәлем {i}", CollectingOutputChannel(), f"s{i}") for i in range(12)]
    await asyncio.gather(*(guarded(m) for m in messages))
    assert most == 3
    assert [m.output_channel.messages[0]["text"] for m in messages] == [f"re: сәлем {i}" for i in range(12)]
