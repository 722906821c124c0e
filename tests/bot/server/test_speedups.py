"""Dana's speed-ups of Rasa's internals (bot/server/speedups.py) change no result."""
import json
from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import UserMessage
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot.server import speedups

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "models" / "dana.tar.gz"


@pytest.fixture(scope="module", autouse=True)
def installed():
    from bot.server import patches

    with patches.installed() as on:
        if not on:
            pytest.skip("DANA_RASA_PATCHES=off: Rasa's own code, no speed-ups to test")
        yield


def test_action_replies_are_still_validated():
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "login", "value": "1"}],
                                           "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})


REPLIES = [
    {"events": [{"event": "slot", "name": "requested_slot", "value": "login"}], "responses": []},
    {"events": [{"event": "slot", "name": "requested_slot", "value": "login"},
                {"event": "active_loop", "name": None}], "responses": [{"response": "utter_ask_login"}]},
    {"events": [{"event": "slot", "name": "requested_slot", "value": "login"}, {"event": "no_such_event"}]},
    {"events": [{"event": "slot", "name": "requested_slot", "value": "login", "timestamp": "yesterday"}]},
    {"events": [{"event": "slot", "name": "requested_slot", "value": "login"}], "responses": ["utter_x"]},
    {"events": [{"name": "requested_slot"}]},
    {"events": {"event": "slot"}},
    {"events": []},
    {"responses": []},
    {},
]


def _rasas_verdict(reply):
    try:
        speedups._action_reply_validator().validate(reply)
        return None
    except ValidationError as error:
        return error.message


def test_remembered_events_give_rasas_verdict_on_every_reply(monkeypatch):
    """Valid events are remembered; a reply that differs in one event, a field
    or its envelope is still judged as Rasa's schema judges it, every time."""
    monkeypatch.setattr(speedups, "_valid_events", type(speedups._valid_events)())
    action = RemoteAction("action_x", None)
    for _ in range(2):  # the second round meets remembered events
        for reply in REPLIES:
            expected = _rasas_verdict(reply)
            if expected is None:
                assert action._validate_action_result(reply)
            else:
                with pytest.raises(ValidationError) as raised:
                    action._validate_action_result(reply)
                assert raised.value.message.startswith(expected)
    assert len(speedups._valid_events) == 2  # the slot event and the active_loop event


def test_remembered_events_are_bounded(monkeypatch):
    monkeypatch.setattr(speedups, "_valid_events", type(speedups._valid_events)())
    monkeypatch.setattr(speedups, "VALID_EVENTS_REMEMBERED", 3)
    action = RemoteAction("action_x", None)
    for number in range(5):
        assert action._validate_action_result({"events": [{"event": "slot", "name": "login", "value": str(number)}]})
    assert len(speedups._valid_events) == 3


def test_empty_domain_is_told_apart_as_rasa_does(domain):
    from rasa.shared.core.domain import Domain

    assert Domain.empty().is_empty() and Domain.from_dict({}).is_empty()
    assert not domain.is_empty()
    assert not Domain.from_dict({"intents": ["greet"]}).is_empty()


def test_a_loaded_model_is_frozen_out_of_garbage_collection(monkeypatch):
    import gc

    loaded = []
    monkeypatch.setattr(speedups, "_rasa_load_model", lambda agent, path: loaded.append([{"model": path}]))
    before, thresholds = gc.get_freeze_count(), gc.get_threshold()
    try:
        speedups._load_model_then_freeze(object(), "models/dana.tar.gz")
        assert loaded and gc.get_freeze_count() > before
        assert gc.get_threshold() == speedups.GC_THRESHOLDS  # full collections 100× rarer
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_garbage_collection_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("DANA_GC_THRESHOLDS", raising=False)
    assert speedups.gc_thresholds() == (700, 10, 1000)
    monkeypatch.setenv("DANA_GC_THRESHOLDS", "python")
    assert speedups.gc_thresholds() is None
    monkeypatch.setenv("DANA_GC_THRESHOLDS", "1000,20,500")
    assert speedups.gc_thresholds() == (1000, 20, 500)


def test_every_event_name_resolves_to_rasas_class():
    for cls in all_subclasses(Event):
        expected = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is expected
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    stored = {"event": "user", "text": "сәлем", "parse_data": {"intent": {"name": "greet"}, "entities": []}}
    assert isinstance(Event.from_parameters(stored), UserUttered)


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (scripts/test.sh trains it)")
def test_sequential_runner_parses_like_dask(tmp_path):
    texts = ["Сәлеметсіз бе, интернет істемей тұр", "Здравствуйте, пропал интернет",
             "мой логин 0851234568", "5 мың теңге кеше төледім", "🙂", ""]
    results = {}
    for runner in (DaskGraphRunner, speedups.SequentialGraphRunner):
        metadata, graph = load_predict_graph_runner(tmp_path / runner.__name__, MODEL, LocalModelStorage, runner)
        parsed = []
        for text in texts:
            out = graph.run(inputs={"__message__": [UserMessage(text)], "__tracker__": None},
                            targets=[metadata.nlu_target])
            [message] = out[metadata.nlu_target]
            parsed.append((message.get("intent"), message.get("entities")))
        results[runner] = parsed
    assert results[DaskGraphRunner] == results[speedups.SequentialGraphRunner]
    assert [intent["name"] for intent, _ in results[DaskGraphRunner][:2]] == ["internet_down", "internet_down"]


async def test_action_calls_reuse_one_connection(monkeypatch):
    """Rasa opened a new connection per custom-action call; now they are kept
    alive, and an idle one is dropped before the action server would drop it."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers, bodies = [], []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername"))
        bodies.append(await request.json())
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setattr(speedups, "IDLE_CONNECTION_SECONDS", 0.3)
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        RemoteAction("action_x", endpoint)
        # What the tracker carries: Cyrillic, URLs, floats, nested lists.
        sent = {"next_action": "action_x", "tracker": {"latest_message": {
            "text": "Сәлем, https://beeline.kz/ қалай?", "intent": {"confidence": 0.8731234567891234},
            "entities": [{"start": 0, "end": 5, "value": None}]}}}
        for _ in range(3):
            assert await endpoint.request(json=sent, method="post") == {"events": [], "responses": []}
        await asyncio.sleep(0.8)
        await endpoint.request(json={"next_action": "action_x"}, method="post")
    finally:
        await runner.cleanup()
    assert bodies[0] == sent, "the action server must read what Rasa sent"
    assert len(set(peers[:3])) == 1, "the three calls should share one connection"
    assert peers[3] != peers[0], "an idle connection should have been dropped"


def test_slot_copies_are_rasas_copies():
    """A copied slot is a separate object with the same type and attributes,
    as copy.copy made it before."""
    import copy

    from rasa.shared.core.domain import Domain

    for slot in Domain.load(str(ROOT / "domain")).slots:
        slot.value = ["a"] if slot.type_name == "list" else slot.initial_value
        duplicate = copy.copy(slot)
        assert type(duplicate) is type(slot) and duplicate is not slot
        assert duplicate.__dict__ == slot.__dict__
        duplicate.value = "changed"
        assert slot.value != "changed"


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (scripts/test.sh trains it)")
def test_rule_matching_finds_rasas_rules(monkeypatch):
    """The shortened, remembered rule filter finds the same rules as Rasa's on
    conversations made of the model's own rule states, longer than any rule —
    the first time, from its cache, and after the cache dropped entries."""
    import random
    import tarfile

    from rasa.core.policies.rule_policy import RulePolicy

    with tarfile.open(MODEL) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("RulePolicy0/rule_policy.json"))
        stored = json.load(archive.extractfile(member))["lookup"]
    lookups = {name: stored[name] for name in ("rules", "rules_for_loop_unhappy_path")}
    policy = RulePolicy.__new__(RulePolicy)
    rule_states = [RulePolicy._rule_key_to_state(key) for lookup in lookups.values() for key in lookup]
    all_states = [state for states in rule_states for state in states]
    rng = random.Random(3)
    # Each rule after a random history, once whole and once with its first
    # state replaced (then it must not match unless the new state fits too).
    conversations = [
        [state for _ in range(rng.randint(0, 4)) for state in rng.choice(rule_states)] + first + rule[1:]
        for rule in rule_states for first in (rule[:1], [rng.choice(all_states)])]
    monkeypatch.setattr(speedups, "RULE_CACHE_SIZE", 100)
    matched = 0
    for states in conversations + conversations[::-1]:
        for lookup in lookups.values():
            expected = RulePolicy._get_possible_keys.__wrapped_rasa__(policy, lookup, states)
            assert policy._get_possible_keys(lookup, states) == expected
            matched += bool(expected)
    assert matched > 100, "the sample should exercise rules that match"



def test_debug_log_copies_are_skipped_only_where_they_feed_a_debug_log():
    """In the four modules whose ``copy`` is swapped, every deepcopy is an
    argument of a structlogger.debug call (a Rasa upgrade adding another use
    fails here); the copy is still made when debug logging is on."""
    import ast
    import inspect
    import logging

    import structlog
    from rasa.utils.log_utils import configure_structlog

    for module in speedups.DEBUG_LOG_COPIERS:
        tree = ast.parse(inspect.getsource(module))
        in_debug_logs = {id(node) for call in ast.walk(tree) if isinstance(call, ast.Call)
                         and ast.unparse(call.func) == "structlogger.debug"
                         for node in ast.walk(call)}
        deepcopies = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                      and ast.unparse(node.func) == "copy.deepcopy"]
        assert deepcopies, module.__name__
        assert all(id(node) in in_debug_logs for node in deepcopies), module.__name__
        assert module.copy is speedups.copy_for_debug_logs

    states = [{"user": {"intent": "greet"}}]
    before = structlog.get_config()
    try:
        configure_structlog(logging.INFO)
        assert speedups.copy_for_debug_logs.deepcopy(states) is states
        configure_structlog(logging.DEBUG)
        copied = speedups.copy_for_debug_logs.deepcopy(states)
        assert copied == states and copied[0] is not states[0]
    finally:
        structlog.configure(**before)


def test_rule_matching_follows_a_lookup_that_changes_while_training():
    """Rasa pops contradicting rules from a lookup and replaces lookups while
    it trains; remembered matches must not outlive those changes."""
    from rasa.core.policies.rule_policy import RulePolicy

    greet = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    thanks = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "thanks"}}]
    lookup = {json.dumps(greet): "utter_greet", json.dumps(thanks): "utter_thanks"}
    policy = RulePolicy.__new__(RulePolicy)
    assert policy._get_possible_keys(lookup, greet) == {json.dumps(greet)}
    lookup.pop(json.dumps(greet))
    assert policy._get_possible_keys(lookup, greet) == set()
    replaced = {json.dumps(greet): "utter_greet"}
    assert policy._get_possible_keys(replaced, greet) == {json.dumps(greet)}


def _story_cuts(domain):
    """Every conversation of the test stories, cut before each of its events."""
    from rasa.core.training import load_data
    from rasa.shared.core.trackers import DialogueStateTracker

    for story in load_data(str(ROOT / "tests" / "stories"), domain, augmentation_factor=0):
        events = list(story.events)
        for cut in range(1, len(events) + 1):
            yield DialogueStateTracker.from_events(story.sender_id, events[:cut], domain.slots), events[cut:]


def test_states_kept_on_a_tracker_are_rasas_for_every_prediction(domain, monkeypatch):
    """Every conversation of the test stories, cut before each of its actions,
    asked as RulePolicy asks (text, then intent) and asked again after an
    event was added: the kept states equal freshly computed ones, and editing
    one answer does not change the next."""
    import tarfile

    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.shared.core.events import ActionExecuted

    with tarfile.open(MODEL) if MODEL.exists() else pytest.skip("needs the trained model") as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("RulePolicy0/rule_policy.json"))
        lookup = json.load(archive.extractfile(member))["lookup"]
    featurizer = MaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=None)

    def ask(tracker, use_text):
        rule_only_data = {key: lookup.get(key, []) for key in ("rule_only_slots", "rule_only_loops")}
        return featurizer.prediction_states([tracker], domain, use_text_for_last_user_input=use_text,
                                            rule_only_data=rule_only_data)[0]

    def rasas(tracker, use_text):
        with monkeypatch.context() as patch:
            patch.setattr(speedups.TrackerFeaturizer, "_create_states",
                          staticmethod(speedups._rasa_create_states))
            return ask(tracker, use_text)

    asked = 0
    for tracker, rest in _story_cuts(domain):
        if rest and not isinstance(rest[0], ActionExecuted):
            continue  # RulePolicy predicts before actions
        for use_text in (True, False, False, True):  # the second of each pair comes from the kept states
            answer = ask(tracker, use_text)
            assert answer == rasas(tracker, use_text)
            if answer and answer[-1].get("user"):
                answer[-1]["user"]["intent"] = "edited by a caller"
            asked += 1
        if rest:
            tracker.update(rest[0])  # a new event: the kept states no longer apply
            assert ask(tracker, False) == rasas(tracker, False)
    assert asked > 1000


def _tracker_state(tracker, domain):
    from rasa.shared.core.trackers import EventVerbosity

    return (sorted(vars(tracker)), tracker.current_state(EventVerbosity.ALL), tracker.past_states(domain),
            {name: (type(slot), vars(slot)) for name, slot in tracker.slots.items()},
            tracker.active_loop, tracker.latest_action, tracker.followup_action, tracker.is_paused(),
            _without_placeholder_time(tracker.latest_message), _without_placeholder_time(tracker.latest_bot_utterance),
            tracker.model_id)


def _without_placeholder_time(event):
    """An event, or the empty one a tracker makes when there is none, whose
    timestamp is only the moment it was made."""
    data = event.as_dict()
    if data.get("text") is None and not (data.get("parse_data") or {}).get("intent") and not data.get("data"):
        data.pop("timestamp")
    return data


def test_tracker_copies_are_the_replayed_copies(domain):
    """A copy is what Rasa's replay of the events gives, whatever the original
    carries besides (model id, Dana's kept states), and changing the copy —
    slots, loop interruption and rejection, new events — leaves the original
    as it was."""
    from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActiveLoop, ConversationPaused,
                                         LoopInterrupted)

    cuts = in_loop = 0
    for tracker, rest in _story_cuts(domain):
        if cuts % 7 == 0:
            tracker.update(ConversationPaused())
        tracker.model_id = "model"
        vars(tracker)["_dana_states"] = "kept"
        ours, rasas = tracker.copy(), speedups._rasa_copy_tracker(tracker)
        assert _tracker_state(ours, domain) == _tracker_state(rasas, domain)
        before = _tracker_state(tracker, domain)
        # The loop the original is in first (interrupted, rejected in place), then a new one.
        loop = tracker.active_loop_name
        later = [LoopInterrupted(True), ActionExecutionRejected(loop or "diagnostics_form"),
                 ActiveLoop("diagnostics_form"), LoopInterrupted(True), *rest[:1],
                 SlotSet("login", "0851234568"), ActionExecuted("action_listen")]
        for copied in (ours, rasas):
            copied.update_with_events(later, domain)
        assert _tracker_state(ours, domain) == _tracker_state(rasas, domain)
        assert _tracker_state(tracker, domain) == before
        cuts += 1
        in_loop += bool(loop)
    assert cuts > 1000 and in_loop > 100


def test_trackers_a_replay_would_change_are_copied_by_rasa(domain):
    from rasa.shared.core.trackers import DialogueStateTracker

    capped = DialogueStateTracker("t", domain.slots, max_event_history=3)
    slotless = DialogueStateTracker("t", None)
    for tracker in (capped, slotless):
        assert speedups._copy_tracker(tracker).__dict__.keys() == speedups._rasa_copy_tracker(tracker).__dict__.keys()
        assert type(tracker.copy().slots) is type(speedups._rasa_copy_tracker(tracker).slots)
    assert speedups._copy_tracker(capped)._max_event_history == 3


def _rule_only_data():
    import tarfile

    with tarfile.open(MODEL) if MODEL.exists() else pytest.skip("needs the trained model") as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("RulePolicy0/rule_policy.json"))
        lookup = json.load(archive.extractfile(member))["lookup"]
    return {key: lookup.get(key, []) for key in ("rule_only_slots", "rule_only_loops")}


def test_kept_replays_give_rasas_states_and_applied_events_as_conversations_grow(domain, monkeypatch):
    """Every conversation of the test stories, grown one event at a time as the
    server grows it — each message a copy of the conversation as stored (the same
    event objects) with the new events appended, marked as Dana's tracker store
    marks what it loads: at every event, the applied events and the states asked
    as RulePolicy asks (text, then intent) equal Rasa's computed from scratch, and
    a caller editing its answer changes neither the kept states nor the next answer."""
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.core.training import load_data
    from rasa.shared.core.trackers import DialogueStateTracker

    featurizer = MaxHistoryTrackerFeaturizer(state_featurizer=None, max_history=None)
    rule_only_data = _rule_only_data()

    def ask(tracker, use_text):
        return featurizer.prediction_states([tracker], domain, use_text_for_last_user_input=use_text,
                                            rule_only_data=rule_only_data)[0]

    def rasas(events, use_text):
        fresh = DialogueStateTracker.from_events("rasa", events, domain.slots)
        with monkeypatch.context() as patch:
            patch.setattr(speedups.TrackerFeaturizer, "_create_states", staticmethod(speedups._rasa_create_states))
            return ask(fresh, use_text), speedups._rasa_applied_events(fresh)

    built = []
    replay_init = speedups._Replay.__init__
    monkeypatch.setattr(speedups._Replay, "__init__", lambda self, *a: (built.append(1), replay_init(self, *a))[1])
    speedups._replays.clear()
    asked = 0
    for number, story in enumerate(load_data(str(ROOT / "tests" / "stories"), domain, augmentation_factor=0)):
        sender = f"story-{number}"
        tracker = DialogueStateTracker(sender, domain.slots)
        for event in story.events:
            tracker = tracker.copy()  # the next message: the conversation as kept, then its new event
            tracker.update(event)
            vars(tracker)["_dana_stored_events"] = len(tracker.events)
            events = list(tracker.events)
            for use_text in (True, False):
                answer = ask(tracker, use_text)
                expected, applied = rasas(events, use_text)
                assert answer == expected, (sender, len(events), use_text)
                assert tracker.applied_events() == applied
                if answer and answer[-1].get("user"):
                    answer[-1]["user"]["intent"] = "edited by a caller"
                asked += 1
    assert asked > 1000
    assert len(built) < asked / 4, "the replays were mostly extended, not replayed from the start"


def test_a_conversations_replay_is_kept_only_for_what_the_tracker_store_loaded(domain):
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("not-loaded", domain.slots)
    assert not speedups._replays_here(tracker, domain)
    vars(tracker)["_dana_stored_events"] = 0
    assert speedups._replays_here(tracker, domain)
    capped = DialogueStateTracker("capped", domain.slots, max_event_history=3)
    vars(capped)["_dana_stored_events"] = 0
    assert not speedups._replays_here(capped, domain)


def test_rule_states_are_formatted_only_for_a_debug_line_that_is_written(monkeypatch):
    from rasa.core.policies.policy import Policy

    states = [{"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    monkeypatch.setattr(speedups, "debug_logging_on", lambda: False)
    assert speedups._format_states_for_debug(states) == ""
    monkeypatch.setattr(speedups, "debug_logging_on", lambda: True)
    assert speedups._format_states_for_debug(states) == Policy.format_tracker_states(states)


def test_a_frozen_tracker_thaws_into_the_copy_rasa_would_make(domain):
    """What the tracker store and the replays keep between messages: frozen and
    thawed, a conversation is Rasa's copy of it, before and after new events."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused

    slots = speedups.domain_slots(domain)
    cuts = 0
    for tracker, rest in _story_cuts(domain):
        if cuts % 5 == 0:
            tracker.update(ConversationPaused())
        frozen = speedups.freeze_tracker(tracker)
        thawed, rasas = speedups.thaw_tracker(frozen, slots), speedups._rasa_copy_tracker(tracker)
        assert _tracker_state(thawed, domain) == _tracker_state(rasas, domain)
        later = [ActiveLoop("diagnostics_form"), *rest[:1], SlotSet("login", "0851234568"), ActionExecuted("action_listen")]
        for copied in (thawed, rasas):
            copied.update_with_events(later, domain)
        assert _tracker_state(thawed, domain) == _tracker_state(rasas, domain)
        cuts += 1
    assert cuts > 1000
    fewer = {name: slot for name, slot in list(slots.items())[1:]}
    assert speedups.thaw_tracker(frozen, fewer) is None  # another domain's slots: no thawing
