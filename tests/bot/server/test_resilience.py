"""Action server down: the customer hears it in their language, nothing collected is lost."""
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.server.nlg import DanaNaturalLanguageGenerator


async def test_unreachable_action_server_is_answered_not_silent(domain, monkeypatch):
    from bot.server import resilience
    from bot.config import Limits

    monkeypatch.setattr(resilience, "LIMITS", Limits(action_retry_seconds=0.5))
    nlg = DanaNaturalLanguageGenerator(domain=domain)  # installs the guard
    tracker = DialogueStateTracker.from_events("u", [], slots=domain.slots)
    tracker.update(SlotSet("language", "kk"))
    tracker.update(SlotSet("login", "0851234568"))
    action = RemoteAction("action_file_ticket", EndpointConfig("http://127.0.0.1:9/webhook"))
    events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    kk_text = next(v["text"] for v in domain.responses["utter_service_unavailable"]
                   if (v.get("condition") or [{}])[0].get("value") == "kk")
    assert events[0].text == kk_text.replace("{support_phone}", "3131")
    assert tracker.get_slot("login") == "0851234568"


def test_lock_store_waits_for_a_restarting_redis():
    """Redis restarting (a second or two) delays a turn instead of failing it."""
    import shutil
    import socket
    import subprocess
    import threading
    import time

    import pytest
    from rasa.core.lock_store import RedisLockStore

    from bot.server import resilience

    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed (scripts/redis.sh installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    resilience.install()
    store = RedisLockStore(host="127.0.0.1", port=port, socket_timeout=1)
    starter = threading.Timer(1.0, lambda: subprocess.run(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "yes"],
        check=True, stdout=subprocess.DEVNULL))
    starter.start()
    began = time.monotonic()
    try:
        assert store.get_lock("conversation") is None  # answered once Redis is up
        assert time.monotonic() - began >= 0.9
    finally:
        starter.join()
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], stdout=subprocess.DEVNULL)


async def test_an_action_that_fails_once_is_run_again(domain, monkeypatch):
    """An action server dying mid-call, or the database restarting under it:
    the next attempt (another server, the database back) answers."""
    from rasa.shared.exceptions import RasaException

    from bot.server import resilience
    from bot.config import Limits

    nlg = DanaNaturalLanguageGenerator(domain=domain)  # installs the guard
    monkeypatch.setattr(resilience, "LIMITS", Limits(action_retry_seconds=5))
    calls = []

    async def flaky(self, output_channel, nlg, tracker, domain):
        calls.append(1)
        if len(calls) == 1:
            raise RasaException("Failed to execute custom action 'action_file_ticket'")
        return [BotUttered("Заявка №7 оформлена.")]

    # The guard wraps whatever run it found at install time: give it a fresh one.
    monkeypatch.setattr(RemoteAction, "run", flaky)
    resilience.install()
    tracker = DialogueStateTracker.from_events("u", [], slots=domain.slots)
    action = RemoteAction("action_file_ticket", EndpointConfig("http://127.0.0.1:9/webhook"))
    events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
    assert len(calls) == 2
    assert [e.text for e in events] == ["Заявка №7 оформлена."]
