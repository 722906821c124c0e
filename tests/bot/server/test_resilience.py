"""Action server or Redis down: the customer hears it in their language, nothing
collected is lost, and the server's other conversations go on meanwhile."""
import asyncio
import shutil
import socket
import subprocess
import time

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.server import patches
from bot.server.nlg import DanaNaturalLanguageGenerator


@pytest.fixture
def patched():
    """The retried custom action is one of Dana's patches (bot/server/patches.py)."""
    with patches.installed() as on:
        if not on:
            pytest.skip("DANA_RASA_PATCHES=off: Rasa's own RemoteAction.run")
        yield


async def test_unreachable_action_server_is_answered_not_silent(domain, monkeypatch, patched):
    from bot.server import resilience
    from bot.config import Limits

    monkeypatch.setattr(resilience, "LIMITS", Limits(action_retry_seconds=0.5))
    nlg = DanaNaturalLanguageGenerator(domain=domain)
    tracker = DialogueStateTracker.from_events("u", [], slots=domain.slots)
    tracker.update(SlotSet("language", "kk"))
    tracker.update(SlotSet("login", "0851234568"))
    action = RemoteAction("action_file_ticket", EndpointConfig("http://127.0.0.1:9/webhook"))
    events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    kk_text = next(v["text"] for v in domain.responses["utter_service_unavailable"]
                   if (v.get("condition") or [{}])[0].get("value") == "kk" and not v.get("channel"))
    assert events[0].text == kk_text.replace("{support_phone}", "3131")
    assert tracker.get_slot("login") == "0851234568"


async def test_the_lock_store_waits_for_a_restarting_redis_without_stopping_the_server():
    """Redis comes back after a second: the turn then gets its lock, and the event
    loop served other work all the while (no blocking sleep)."""
    from bot.server.redis_locks import DanaRedisLockStore

    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed (scripts/redis.sh installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = DanaRedisLockStore(host="127.0.0.1", port=port, socket_timeout=1)
    ticks = []

    async def other_conversations() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    async def start_redis_later() -> None:
        await asyncio.sleep(1.0)
        subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--daemonize", "yes"], check=True, stdout=subprocess.DEVNULL)

    ticker, starter = asyncio.create_task(other_conversations()), asyncio.create_task(start_redis_later())
    began = time.monotonic()
    try:
        async with store.lock("conversation") as lock:
            assert lock.conversation_id == "conversation"
        assert time.monotonic() - began >= 0.9
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        assert len(ticks) >= 10 and max(gaps) < 0.5, gaps  # the loop was never held for long
    finally:
        ticker.cancel()
        await starter
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], stdout=subprocess.DEVNULL)


async def test_an_action_that_fails_once_is_run_again(domain, monkeypatch):
    """An action server dying mid-call, or the database restarting under it:
    the next attempt (another server, the database back) answers."""
    from rasa.shared.exceptions import RasaException

    from bot.server import resilience
    from bot.config import Limits

    nlg = DanaNaturalLanguageGenerator(domain=domain)
    monkeypatch.setattr(resilience, "LIMITS", Limits(action_retry_seconds=5))
    calls = []

    async def flaky(self, output_channel, nlg, tracker, domain):
        calls.append(1)
        if len(calls) == 1:
            raise RasaException("Failed to execute custom action 'action_file_ticket'")
        return [BotUttered("Заявка №7 оформлена.")]

    # The patch wraps the run it finds when installed: give it this one.
    monkeypatch.setattr(RemoteAction, "run", flaky)
    with patches.installed() as on:
        if not on:
            pytest.skip("DANA_RASA_PATCHES=off: Rasa's own RemoteAction.run")
        tracker = DialogueStateTracker.from_events("u", [], slots=domain.slots)
        action = RemoteAction("action_file_ticket", EndpointConfig("http://127.0.0.1:9/webhook"))
        events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
    assert len(calls) == 2
    assert [e.text for e in events] == ["Заявка №7 оформлена."]
