"""Dana's metrics move where the data passes (bot/server/metrics.py), with bounded labels
and nothing personal in what /metrics serves."""
from __future__ import annotations

import ast
import asyncio
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.server import action_server, message_guard, metrics, patches
from bot.server.admission import Admission
from bot.server.tracker_store import DanaTrackerStore

ROOT = Path(__file__).resolve().parents[3]
PERSONAL = ("0851234567", "+77011234567", "Асанов Асан", "metrics-secret-sender", "интернет істемей тұр")


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Sample values before and after a block: ``delta("dana_messages_total", channel="rest", …)``."""

    def __init__(self) -> None:
        self.before = {(s.name, tuple(sorted(s.labels.items()))): s.value
                       for family in metrics.REGISTRY.collect() for s in family.samples}

    def __call__(self, name: str, **labels: str) -> float:
        return value(name, **labels) - self.before.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(autouse=True)
def channels():
    for name in ("rest", "socketio", "telegram", "voice"):
        metrics.known_channel(name)


def user(text: str, intent: str, channel: str | None = "rest", message_id: str | None = "auto") -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, input_channel=channel,
                       message_id=uuid.uuid4().hex if message_id == "auto" else message_id)


def saved(domain, events, *, language: str | None = "kk"):
    """A conversation's turn of ``events`` ending with the language slot at ``language``,
    counted as the store counts a save of a tracker it loaded empty."""
    tracker = DialogueStateTracker.from_events("metrics-secret-sender", [], slots=domain.slots)
    for event in [*events, SlotSet("language", language)]:
        tracker.update(event)
    metrics.turn_saved(tracker, 0, None, domain)
    return tracker


def test_a_customer_message_counts_by_channel_language_and_intent(domain):
    delta = Delta()
    saved(domain, [user("Здравствуйте, пропал интернет", "internet_down"), ActionExecuted("utter_internet_down"),
                   BotUttered("…"), ActionExecuted("action_listen")], language="ru")
    saved(domain, [user("Сәлеметсіз бе", "greet", channel="telegram")], language="kk")
    assert delta("dana_messages_total", channel="rest", language="ru") == 1
    assert delta("dana_messages_total", channel="telegram", language="kk") == 1
    assert delta("dana_intents_total", intent="internet_down") == 1
    assert delta("dana_intents_total", intent="greet") == 1
    assert delta("dana_fallbacks_total", channel="rest") == 0


def test_labels_stay_bounded(domain):
    delta = Delta()
    saved(domain, [user("x", "made_up_intent", channel="+77011234567")])  # not a channel of this process
    saved(domain, [user("x", "greet", channel=None)])  # no input channel: REST, as bot stats says
    saved(domain, [user("x", "greet")], language=None)  # no language (the slot starts as kk)
    assert delta("dana_messages_total", channel="other", language="kk") == 1
    assert delta("dana_messages_total", channel="rest", language="kk") == 1
    assert delta("dana_messages_total", channel="rest", language="undecided") == 1
    assert delta("dana_intents_total", intent="other") == 1
    assert delta("dana_intents_total", intent="made_up_intent") == 0


def test_messages_an_action_put_back_are_not_customer_messages(domain):
    delta = Delta()
    saved(domain, [user("/switch_language", "switch_language", message_id=None)], language="kk")
    assert delta("dana_messages_total", channel="rest", language="kk") == 0
    assert delta("dana_intents_total", intent="switch_language") == 0


@pytest.mark.parametrize("turn", [
    [user("?", "nlu_fallback")],
    [user("?", "out_of_scope"), ActionExecuted("action_default_fallback")],
    [user("?", "out_of_scope"), BotUttered("…", metadata={"utter_action": "utter_default"})],
])
def test_a_fallback_is_counted_as_bot_stats_counts_it(domain, turn):
    delta = Delta()
    saved(domain, turn)
    assert delta("dana_fallbacks_total", channel="rest") == 1


def test_no_fallback_while_an_operator_has_the_conversation(domain):
    delta = Delta()
    tracker = DialogueStateTracker.from_events("s", [ConversationPaused()], slots=domain.slots)
    turn = [user("?", "nlu_fallback"), user("спасибо", "thank"), ConversationResumed(), user("?", "nlu_fallback")]
    for event in turn:
        tracker.update(event)
    metrics.turn_saved(tracker, 1, None, domain)
    assert delta("dana_messages_total", channel="rest", language="kk") == 3
    assert delta("dana_fallbacks_total", channel="rest") == 1  # only the one after the operator closed


def test_hand_offs_by_channel_and_reason(domain):
    delta = Delta()
    for reason in ("requested", "ticket_failed", "someone's phone +77011234567"):
        saved(domain, [user("оператор", "request_human", channel="socketio"), BotUttered("…"),
                       BotUttered(data={"custom": {"handoff": {"reason": reason, "login": "0851234567"}}}),
                       ConversationPaused()], language="ru")
    assert delta("dana_handoffs_total", channel="socketio", reason="requested") == 1
    assert delta("dana_handoffs_total", channel="socketio", reason="ticket_failed") == 1
    assert delta("dana_handoffs_total", channel="socketio", reason="other") == 1


def test_every_hand_off_reason_in_the_code_is_a_label():
    """Reasons are literals in actions/ (hand_off's reason) and the IVR's own transfer:
    each must be in HANDOFF_REASONS, or it would count as «other»."""
    def literals(node) -> set:  # a string, or either string of a conditional
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        return literals(node.body) | literals(node.orelse) if isinstance(node, ast.IfExp) else set()

    found = set()
    for path in [*(ROOT / "actions").glob("*.py"), ROOT / "channels" / "voice.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values = []
            if isinstance(node, ast.keyword) and node.arg == "reason":
                values = [node.value]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "reason" for t in node.targets):
                values = [node.value]
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hand_off" and len(node.args) > 2:
                values = [node.args[2]]
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "handed_off" and node.args[1:]:
                values = [node.args[1]]
            elif isinstance(node, ast.Dict):
                values = [v for k, v in zip(node.keys, node.values, strict=False)
                          if isinstance(k, ast.Constant) and k.value == "reason"]
            for value_node in values:
                found |= literals(value_node)
    assert {"requested", "fallback", "login_not_found", "bot_error"} <= found, found
    assert found <= metrics.HANDOFF_REASONS, found - metrics.HANDOFF_REASONS


async def test_the_tracker_store_counts_what_a_save_appends_once(domain, database, monkeypatch):
    """A save counts the events it appended; a retried save that had committed appends
    nothing and counts nothing (tests/bot/server/test_tracker_store.py's retry)."""
    from sqlalchemy import exc as sa_exc

    store = DanaTrackerStore(domain, host=database)
    sender = f"metrics-{uuid.uuid4().hex}"
    delta = Delta()
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(user("Здравствуйте", "greet"))
    tracker.update(SlotSet("language", "ru"))
    await store.save(tracker)
    assert delta("dana_messages_total", channel="rest", language="ru") == 1

    tracker = await store.retrieve(sender)
    tracker.update(user("пропал интернет", "internet_down"))
    original, calls = DanaTrackerStore._append_events, []

    def commits_then_fails(self, saved_tracker, stored):
        calls.append(1)
        appended = original(self, saved_tracker, stored)
        if len(calls) == 1:
            raise sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return appended

    monkeypatch.setattr(DanaTrackerStore, "_append_events", commits_then_fails)
    await store.save(tracker)
    assert len(calls) == 2
    assert delta("dana_messages_total", channel="rest", language="ru") == 2
    assert delta("dana_intents_total", intent="internet_down") == 1


async def test_a_broken_metric_never_fails_the_turn(domain):
    metrics.turn_saved(SimpleNamespace(), None, [user("x", "greet")], domain)  # no slots: logged only
    metrics.turn_saved(SimpleNamespace(), 3, None, domain)  # no events: logged only


async def test_the_guard_times_messages_and_counts_the_rate_limited():
    class Limiter:
        async def hit(self, sender):
            return SimpleNamespace(allowed=sender != "flood", first_refusal=False)

    async def handle(message):
        await asyncio.sleep(0.01)

    delta = Delta()
    guarded = message_guard.guard(handle, Limiter(), None)
    await guarded(UserMessage("a", CollectingOutputChannel(), "someone", input_channel="telegram"))
    await guarded(UserMessage("a", CollectingOutputChannel(), "flood", input_channel="telegram"))
    assert delta("dana_response_seconds_count", channel="telegram") == 1
    assert delta("dana_response_seconds_sum", channel="telegram") > 0.005
    assert delta("dana_rate_limited_total", channel="telegram") == 1


async def test_the_admission_queue_is_read_at_each_scrape_and_timeouts_counted():
    admitter = Admission(limit=1, max_wait=0.05)
    metrics.watch_admission(admitter)
    delta = Delta()
    release = asyncio.Event()

    async def hold():
        async with admitter.slot():
            await release.wait()

    async def wait_in_line():
        async with admitter.slot():
            pass

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(wait_in_line()) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert value("dana_admission_queue_depth") == 3
    await asyncio.gather(*waiters)  # each gives up after max_wait and goes ahead
    assert value("dana_admission_queue_depth") == 0
    assert delta("dana_admission_timeouts_total") == 3
    release.set()
    await holder
    metrics.watch_admission(None)
    assert value("dana_admission_queue_depth") == 0


async def test_a_custom_action_given_up_counts_as_an_action_error(domain, monkeypatch):
    from bot.config import Limits
    from bot.server import resilience
    from bot.server.nlg import DanaNaturalLanguageGenerator

    with patches.installed() as on:
        if not on:
            pytest.skip("DANA_RASA_PATCHES=off: Rasa's own RemoteAction.run")
        monkeypatch.setattr(resilience, "LIMITS", Limits(action_retry_seconds=0.3))
        delta = Delta()
        tracker = DialogueStateTracker.from_events("u", [], slots=domain.slots)
        action = RemoteAction("action_file_ticket", EndpointConfig("http://127.0.0.1:9/webhook"))
        await action.run(CollectingOutputChannel(), DanaNaturalLanguageGenerator(domain=domain), tracker, domain)
        assert delta("dana_action_errors_total", action="action_file_ticket") == 1


def _request(body, *, path="/webhook"):
    return SimpleNamespace(method="POST", path=path, ctx=SimpleNamespace(), headers={}, json=body, body=b"")


async def test_the_action_server_times_and_counts_each_call():
    delta = Delta()
    for name, status in (("action_handoff", 200), ("action_handoff", 500), ("validate_callback_form", 400),
                         ("+77011234567", 404)):
        request = _request({"next_action": name, "tracker": {"sender_id": "metrics-secret-sender"}})
        await action_server.call_arrived(request)
        await action_server.call_arrived(request)  # Sanic runs it again before an error's response
        await action_server.call_answered(request, SimpleNamespace(status=status))
    other = _request({"next_action": "action_handoff"}, path="/health")
    await action_server.call_arrived(other)
    await action_server.call_answered(other, SimpleNamespace(status=200))
    assert delta("dana_actions_total", action="action_handoff") == 2
    assert delta("dana_action_seconds_count", action="action_handoff") == 2
    assert delta("dana_action_errors_total", action="action_handoff") == 1
    assert delta("dana_actions_total", action="validate_callback_form") == 1  # a form rejecting: no error
    assert delta("dana_action_errors_total", action="validate_callback_form") == 0
    assert delta("dana_action_errors_total", action="other") == 1  # an action it does not have


def test_rasa_sdk_finds_dana_s_plugin_and_it_adds_metrics_to_the_action_server():
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.plugin import plugin_manager

    app = create_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    paths = {route.path for route in app.router.routes}
    assert "metrics" in paths and "webhook" in paths, paths
    assert action_server.call_arrived in app.request_middleware
    assert action_server.call_answered in app.response_middleware


def test_the_exposition_holds_no_personal_data(domain):
    saved(domain, [user("0851234567 +77011234567 Асанов Асан интернет істемей тұр", "inform"),
                   BotUttered(data={"custom": {"handoff": {"reason": "requested", "login": "0851234567"}}})],
          language="kk")
    body, content_type = metrics.exposition()
    text = body.decode()
    assert content_type.startswith("text/plain") and "dana_messages_total" in text
    for secret in PERSONAL:
        assert secret not in text
