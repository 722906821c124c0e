"""Per-message costs in Rasa 3.6 that Dana removes, each measured with cProfile
(bench/load.py prints the result; README «Load benchmark»).

1. ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on
   every custom-action reply, and jsonschema 4.17 first re-checks the large,
   constant events schema against its meta-schema: ≈80 ms of CPU per custom
   action, more than the rest of the turn. The schema is checked once here and
   the compiled validator reused. Each event is then matched against every
   event type of the schema's ``oneOf`` (4 % of a message's CPU), yet actions
   send the same few events again and again («requested_slot» set to «login»):
   an event already found valid is not checked again (a bounded cache keyed
   by its JSON). A reply is valid exactly when Rasa finds it valid, and an
   invalid one raises Rasa's error (tested).
2. ``Event.resolve_by_type`` walks every Event subclass for every stored event
   that a tracker replays (≈1.4 ms a message). The name → class map is built
   once; an unknown name still goes through Rasa's own lookup.
3. Every graph run (one parse, two or three policy predictions a message)
   goes through dask, which rebuilds and orders the task graph each time.
   Rasa's graphs are small and run synchronously anyway, so they run here in
   a topological order computed once per target set, node by node, with the
   same GraphNode objects, inputs and outputs.
4. Rasa opens a new HTTP client session — a new TCP connection, and a new
   connection task on the action server — for every custom-action call.
   Calls to the action server reuse kept-alive connections here, one session
   per event loop; idle ones are dropped after 2 s, before the action server
   (Sanic: 5 s) or HAProxy would close them under a request. The tracker
   sent with each call is encoded with ujson (Python's json encoder was 6 %
   of a message's CPU); the action server reads the same JSON.
5. Every tracker Rasa builds — a copy for each action, a replay for each
   policy — copies every slot with ``copy.copy``, which goes through
   ``__reduce_ex__``: 8 % of a message's CPU. Slots get a ``__copy__`` that
   does the same shallow copy of their attributes directly.
6. RulePolicy matches its 158 rules against the conversation's states for
   every prediction — two or three a message — by filtering every rule at
   every state back to the start of the conversation: 11 % of a message's CPU.
   A rule applies to any state further back than its own length (Rasa's
   ``_is_rule_applicable`` says so), so the matching rules depend only on the
   last states, as many as the longest rule has. The filter stops there, and
   its result is remembered for those states (a bounded cache per policy):
   conversations repeat the same few dialogue states.
7. Rasa's processor, memoization and rule policies and forms deep-copy
   events, states and slots for every ``structlogger.debug`` call (the log's
   anonymiser edits what it is given), also when debug logging is off and the
   call does nothing: 3 % of a message's CPU. In those four modules the copy
   is made only when debug logging is on; each of their ``copy.deepcopy``
   calls is such a log argument (their other copies are in other modules).
8. A loaded model is half a million Python objects (TensorFlow, spaCy, the
   domain), and every full garbage collection walks all of them: a 260–280 ms
   pause of the event loop every few thousand messages, long enough to push
   every message then in flight past the 150 ms p95 target. After a model
   loads, its objects are collected once and frozen out of later collections
   (``gc.freeze``); reference counting still frees them when a new model
   replaces them. What the server holds besides — open widget sockets (≈80
   objects each), recent conversations — still made a full collection every
   10–15 s with 1,000 customers, 150–400 ms long: the p99 (docs/benchmarks/storm.md).
   Python starts one when a quarter more objects have outlived two younger
   collections, and at least every ``threshold2`` (10) of those; it now waits
   for 1,000 of them (``DANA_GC_THRESHOLDS``, Python's three thresholds;
   «python»: its own). Garbage in cycles — a few dozen objects a full collection
   here — waits minutes longer; young garbage is collected as before.
9. Every parsed message asks whether the domain is empty, which Rasa answers
   by building an empty Domain from scratch to compare with (1.5 % of a
   message's CPU). The empty domain's dict is built once.
10. The first prediction after a message asks RulePolicy twice — once with
   the message's text, once with its intent — and each time the conversation
   is replayed into states from its start (3 % of a message's CPU for the
   second). The states are kept on the tracker while it has the same events
   (count and last event) and each caller gets its own copy to edit, as
   Rasa's callers edit them (``_choose_last_user_input``).
11. Before every action — ``action_listen`` and each response included — the
   processor copies the tracker, and a copy replays every event of the
   conversation into a new tracker: 44 µs for 12 events, growing with the
   conversation, 2–3 copies a message; 24 µs here. A tracker's state
   is, by Rasa's design, what replaying its events gives, so the copy here
   takes that state over directly: its own slots, loop, event list and latest
   action, the same event objects a replay would share (a replay makes new
   empty latest messages where there are none; so does this). Where a replay could
   give another state (a capped event history, a tracker subclass, a domain
   without slots) Rasa's copy runs. Tested equal to the replay on every cut of
   the test stories.

12. The states of 10 are kept per tracker object, but each message of a
   conversation is a new tracker (loaded, then copied), so each prediction
   replayed the whole session into states again: at the 40th message of a
   conversation ≈ 45 % of the turn's CPU, growing with every message
   (docs/benchmarks/storm.md). Here a conversation's replay is kept (per
   conversation: how many events it has consumed, the tracker it replayed them
   into — frozen into a few objects, ``FrozenTracker`` — and the states so far)
   and only the events added since are replayed — when the
   tracker asking is the one Dana's tracker store loaded (so the server's own
   predictions, never training), its events begin with exactly the events
   consumed (the same objects), and the new ones only append to what Rasa's
   ``applied_events`` gives: no restart, session start, undo, rewind, new loop
   name, nor a loop's re-execution that undoes its previous turn (a form's next
   question) — those replay from the start, as Rasa does. The states of earlier
   turns are shared by the callers, with the user text already removed where an
   intent is there (``_remove_user_text_if_intent`` does that to every state
   after ``_create_states``; ``_choose_last_user_input`` edits only the last
   state, which is always a new dict). Rasa's ``applied_events``, asked twice a
   message before any prediction, comes from the replay too. At most as many
   conversations as the tracker store keeps (``DANA_TRACKER_CACHE``), each
   dropped after ``KEPT_IDLE_SECONDS`` unused. Tested equal to Rasa's states
   and applied events after every event of the test stories.
13. RulePolicy formats every state of the conversation into text for a debug
   line three times a message, also when debug logging is off: with it off,
   the text is not made.

Installed once per process by DanaNaturalLanguageGenerator, which Rasa
creates before it loads the model.
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import dataclasses
import gc
import os
import time
import types
from collections import OrderedDict
from functools import lru_cache
from graphlib import TopologicalSorter
from itertools import islice
from typing import Any, Dict, List, NamedTuple, Optional, Text, Tuple, Type

import aiohttp
import structlog
import ujson
from jsonschema import ValidationError, validators
from rasa.core import processor as rasa_processor
from rasa.core.actions import forms as rasa_forms
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.core.policies import memoization as rasa_memoization
from rasa.core.policies import rule_policy as rasa_rule_policy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DEFAULT_SENDER_ID, DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig


# 1. custom-action replies ----------------------------------------------------
@lru_cache(maxsize=1)
def _action_reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def _event_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    return validators.validator_for(schema)(schema)


_valid_events: "OrderedDict[str, None]" = OrderedDict()
VALID_EVENTS_REMEMBERED = 1024


def _is_known_valid(event: Any) -> bool:
    """Whether the event is valid, from the cache when it has been seen."""
    key = ujson.dumps(event, sort_keys=True)
    if key in _valid_events:
        _valid_events.move_to_end(key)
        return True
    if not _event_validator().is_valid(event):
        return False
    _valid_events[key] = None
    if len(_valid_events) > VALID_EVENTS_REMEMBERED:
        _valid_events.popitem(last=False)
    return True


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        events = result.get("events") if isinstance(result, dict) else None
        if isinstance(events, list):
            # The reply schema says events: an array of items; nothing else
            # about the array. Envelope and each event valid = reply valid.
            if _action_reply_validator().is_valid({**result, "events": []}) and all(
                _is_known_valid(event) for event in events
            ):
                return True
        _action_reply_validator().validate(result)  # raises Rasa's error
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about "
            f"the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


# 2. event classes by name ----------------------------------------------------
_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[Text, Type[Event]] = {}


def _resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    if not _event_classes:
        for cls in all_subclasses(Event):
            # First match wins, as in Rasa's loop.
            _event_classes.setdefault(cls.type_name, cls)
    found = _event_classes.get(type_name)
    return found if found is not None else _rasa_resolve_by_type(type_name, default)


# 3. graph runs -----------------------------------------------------------------
class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's nodes, run in a cached topological order without dask."""

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        results: Dict[Text, Tuple[Text, Any]] = {name: (name, value) for name, value in (inputs or {}).items()}
        clash = set(results) & set(self._graph_schema.nodes)
        if clash:
            raise GraphRunError(f"Input names {sorted(clash)} clash with node names.")
        try:
            for node_name, needs in self._plan(run_targets):
                node = self._instantiated_nodes[node_name]
                # A need no node or input provides is passed as its bare name,
                # as dask does; GraphNode reports it.
                results[node_name] = node(*(results.get(n, n) for n in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    def _plan(self, targets: Tuple[Text, ...]) -> List[Tuple[Text, Tuple[Text, ...]]]:
        plans = self.__dict__.setdefault("_plans", {})
        if targets not in plans:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            order = TopologicalSorter(
                {name: [n for n in node.needs.values() if n in schema.nodes] for name, node in schema.nodes.items()}
            ).static_order()
            plans[targets] = [(name, tuple(schema.nodes[name].needs.values())) for name in order]
        return plans[targets]


# 4. kept-alive connections to the action server ------------------------------
IDLE_CONNECTION_SECONDS = 2.0
_sessions: Dict[Tuple[int, int], Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


def encode_json(data: Any) -> str:
    return ujson.dumps(data, ensure_ascii=False, escape_forward_slashes=False)


class _KeptSession:
    """What ``async with endpoint.session()`` enters: this loop's session for
    the endpoint, left open on exit."""

    def __init__(self, endpoint: EndpointConfig) -> None:
        self._endpoint = endpoint

    async def __aenter__(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        key = (id(loop), id(self._endpoint))
        entry = _sessions.get(key)
        if entry is None or entry[0] is not loop or entry[1].closed:
            endpoint = self._endpoint
            auth = (
                aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
                if endpoint.basic_auth
                else None
            )
            # Rasa's EndpointConfig.session, plus a connection pool that keeps
            # connections and a faster JSON encoder for the request body.
            session = aiohttp.ClientSession(
                headers=endpoint.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
                json_serialize=encode_json,
            )
            entry = _sessions[key] = (loop, session)
        return entry[1]

    async def __aexit__(self, *exc: Any) -> None:
        return None


class KeptAliveEndpointConfig(EndpointConfig):
    def session(self) -> Any:  # type: ignore[override]
        return _KeptSession(self)


_rasa_remote_action_init = RemoteAction.__init__


def _remote_action_init(self: RemoteAction, name: Text, action_endpoint: Optional[EndpointConfig]) -> None:
    _rasa_remote_action_init(self, name, action_endpoint)
    if type(action_endpoint) is EndpointConfig:
        # The one action endpoint object Rasa read from endpoints.yml.
        action_endpoint.__class__ = KeptAliveEndpointConfig


@atexit.register
def _forget_sessions() -> None:
    """Their loops are gone at exit: drop the sockets without aiohttp's
    «Unclosed client session» complaint."""
    for _, session in _sessions.values():
        if not session.closed and session.connector is not None:
            session.connector._close()  # the synchronous part of close()
            session.detach()
    _sessions.clear()


# 5. slot copies -------------------------------------------------------------------
def _copy_slot(self: Slot) -> Slot:
    """What ``copy.copy`` makes of a slot: a new object sharing its attributes."""
    duplicate = self.__class__.__new__(self.__class__)
    duplicate.__dict__.update(self.__dict__)
    return duplicate


# 6. rule matching ----------------------------------------------------------------
RULE_CACHE_SIZE = 4096  # distinct dialogue-state tails remembered per policy


def _frozen(state: Dict[Text, Any]) -> Tuple:
    return tuple(sorted((kind, tuple(sorted(sub_state.items()))) for kind, sub_state in state.items()))


def _matching_keys(policy: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]], longest: int) -> set:
    possible_keys = set(lookup.keys())
    for i, state in enumerate(reversed(states)):
        if i >= longest:  # every key passes from here on
            break
        possible_keys = {key for key in possible_keys if policy._is_rule_applicable(key, i, state)}
    return possible_keys


def _get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> set:
    """Rasa's RulePolicy._get_possible_keys, looking only as far back as a rule reaches."""
    # While a policy trains, Rasa replaces its lookups and pops contradicting
    # rules from them: a lookup is known by its identity (kept referenced, so
    # its id is not reused) and its size.
    lookups = self.__dict__.setdefault("_dana_lookups", {})
    known = lookups.get(id(lookup))
    if known is None or known[0] is not lookup or known[1] != len(lookup):
        longest = max((len(self._rule_key_to_state(k)) for k in lookup), default=0)
        known = lookups[id(lookup)] = (lookup, len(lookup), longest)
    longest = known[2]
    tail = states[-longest:] if longest else []
    try:
        key = (id(lookup), len(lookup), tuple(_frozen(state) for state in tail))
        hash(key)
    except TypeError:  # a state value that cannot be a key: match without the cache
        return _matching_keys(self, lookup, states, longest)
    cache = self.__dict__.setdefault("_dana_rule_matches", OrderedDict())
    found = cache.get(key)
    if found is None:
        found = cache[key] = frozenset(_matching_keys(self, lookup, tail, longest))
        if len(cache) > RULE_CACHE_SIZE:
            cache.popitem(last=False)  # the least recently used
    else:
        cache.move_to_end(key)
    return set(found)


_get_possible_keys.__wrapped_rasa__ = RulePolicy._get_possible_keys  # type: ignore[attr-defined]


# 7. copies for debug logs ----------------------------------------------------------
def debug_logging_on() -> bool:
    # Rasa configures structlog with a filtering logger whose debug() is a no-op below its level.
    return structlog.get_config()["wrapper_class"].debug.__name__ != "_nop"


def _deepcopy_for_log(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
    return copy.deepcopy(value, memo) if debug_logging_on() else value


# 8. model objects out of the cyclic GC ------------------------------------------------
_rasa_load_model = Agent.load_model


GC_THRESHOLDS = (700, 10, 1000)  # Python's are (700, 10, 10)


def gc_thresholds() -> Optional[Tuple[int, ...]]:
    """DANA_GC_THRESHOLDS=<gen0>,<gen1>,<gen2> (default GC_THRESHOLDS); «python»: None (Python's own)."""
    value = os.environ.get("DANA_GC_THRESHOLDS", "").strip().lower()
    if value in ("python", "default", "off"):
        return None
    return tuple(int(part) for part in value.split(",")) if value else GC_THRESHOLDS


def _load_model_then_freeze(self: Agent, *args: Any, **kwargs: Any) -> None:
    _rasa_load_model(self, *args, **kwargs)
    gc.collect()
    gc.freeze()
    thresholds = gc_thresholds()
    if thresholds:
        gc.set_threshold(*thresholds)


# 9. is the domain empty? -------------------------------------------------------------
@lru_cache(maxsize=1)
def _empty_domain_dict() -> Dict[Text, Any]:
    return Domain.empty().as_dict()


def _domain_is_empty(self: Domain) -> bool:
    return self.as_dict() == _empty_domain_dict()


# 10. states of one tracker, computed once -------------------------------------------------
_rasa_create_states = TrackerFeaturizer._create_states
_STATES = "_dana_states"


def _create_states(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[Dict[Text, Any]]:
    events = tracker.events
    # RulePolicy builds its rule_only_data anew for each call: keyed by content.
    only = tuple((name, tuple(values)) for name, values in sorted((rule_only_data or {}).items()))
    key = (omit_unset_slots, ignore_rule_only_turns, only, len(events))
    # Events are only appended: the same count and the same last event object
    # mean the same history.
    last = events[-1] if events else None
    kept = tracker.__dict__.get(_STATES)
    if kept is None or kept[0] != key or kept[1] is not last or kept[2] is not domain:
        if not ignore_rule_only_turns and _replays_here(tracker, domain):
            states = _replayed_states(tracker, domain, omit_unset_slots)
        else:
            states = _rasa_create_states(tracker, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept = (key, last, domain, states)
        tracker.__dict__[_STATES] = kept
    states = kept[3]
    if states and type(states[0]) is _Shared:  # a replay's: earlier turns shared, the last one copied
        return [*states[:-1], _copy_state(states[-1])]
    return [_copy_state(state) for state in states]


def _copy_state(state: Dict[Text, Any]) -> Dict[Text, Any]:
    # States are dicts of sub-state dicts of strings and tuples: two levels to copy.
    return {name: dict(sub) if isinstance(sub, dict) else sub for name, sub in state.items()}


# 12. a conversation's states, extended as it goes -------------------------------------------
KEPT_CONVERSATIONS = 5000  # DANA_TRACKER_CACHE: what a server keeps of recent conversations
KEPT_IDLE_SECONDS = 60.0  # … dropped once unused this long (customers write every 10–30 s)


def kept_conversations() -> int:
    """DANA_TRACKER_CACHE=<conversations> (default KEPT_CONVERSATIONS), «off» or 0: none kept
    (neither the tracker store's copies nor the replays)."""
    value = os.environ.get("DANA_TRACKER_CACHE", "").strip().lower()
    if value in ("off", "0", "no", "false"):
        return 0
    return int(value) if value else KEPT_CONVERSATIONS


class FrozenTracker(NamedTuple):
    """A tracker's state in a few objects, to keep between messages: what
    ``_copy_tracker`` carries over, with each slot as its value and whether it
    was set (a slot's only changing attributes). Thousands of live trackers
    kept a server's garbage collector walking their slots — a tracker is ~60
    objects without its events — and paused the server for 300 ms every ten
    seconds (docs/benchmarks/storm.md)."""

    sender_id: Text
    events: Tuple[Event, ...]
    slots: Tuple[Tuple[Text, Any, bool], ...]
    is_rule_tracker: bool
    paused: bool
    followup_action: Optional[Text]
    latest_action: Optional[Dict[Text, Text]]
    latest_message: Optional[UserUttered]
    latest_bot_utterance: Optional[BotUttered]
    active_loop: Any


def freeze_tracker(tracker: DialogueStateTracker) -> Optional[FrozenTracker]:
    """None for a tracker ``_copy_tracker`` would leave to Rasa's copy."""
    if type(tracker) is not DialogueStateTracker or type(tracker.slots) is not dict:
        return None
    if tracker._max_event_history is not None:
        return None
    message, utterance = tracker.latest_message, tracker.latest_bot_utterance
    return FrozenTracker(
        tracker.sender_id or DEFAULT_SENDER_ID,
        tuple(tracker.events),
        tuple((name, slot._value, slot._has_been_set) for name, slot in tracker.slots.items()),
        tracker.is_rule_tracker,
        tracker._paused,
        tracker.followup_action,
        dict(tracker.latest_action) if tracker.latest_action is not None else None,
        message if message.text is not None or message.intent_name else None,
        utterance if utterance.text is not None or utterance.data else None,
        dataclasses.replace(tracker.active_loop) if tracker.active_loop is not None else None,
    )


def thaw_tracker(frozen: FrozenTracker, slots: Dict[Text, Slot]) -> Optional[DialogueStateTracker]:
    """The tracker ``frozen`` was made from, as ``_copy_tracker`` would copy it; its
    slots are copies of ``slots`` (the domain's, by name) with their values. None
    when the names differ from the domain's."""
    if len(frozen.slots) != len(slots):
        return None
    new_slots = {}
    for name, value, was_set in frozen.slots:
        template = slots.get(name)
        if template is None:
            return None
        slot = copy.copy(template)
        slot._value, slot._has_been_set = value, was_set
        new_slots[name] = slot
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    new.__dict__.update(
        _max_event_history=None,
        sender_id=frozen.sender_id,
        slots=new_slots,
        sender_source=None,
        is_rule_tracker=frozen.is_rule_tracker,
        _paused=frozen.paused,
        followup_action=frozen.followup_action,
        latest_action=dict(frozen.latest_action) if frozen.latest_action is not None else None,
        latest_message=frozen.latest_message if frozen.latest_message is not None else UserUttered.empty(),
        latest_bot_utterance=(
            frozen.latest_bot_utterance if frozen.latest_bot_utterance is not None else BotUttered.empty()
        ),
        active_loop=dataclasses.replace(frozen.active_loop) if frozen.active_loop is not None else None,
        model_id=None,
        assistant_id=None,
    )
    new.events = new._create_events(list(frozen.events))
    return new


_templates: Dict[int, Tuple[Domain, Dict[Text, Slot]]] = {}


def domain_slots(domain: Domain) -> Dict[Text, Slot]:
    """The domain's slots by name (what a frozen tracker's slots are thawed from)."""
    kept = _templates.get(id(domain))
    if kept is None or kept[0] is not domain:
        kept = _templates[id(domain)] = (domain, {slot.name: slot for slot in domain.slots})
    return kept[1]


class _Shared(dict):
    """A state of an earlier turn, kept by a replay and given to every caller:
    its user text is already removed where it has an intent (what
    ``_remove_user_text_if_intent`` does to it after ``_create_states``)."""


class _Replay:
    """A conversation's events replayed into states: the applied events so far
    replayed into a tracker (kept frozen), and the state before each action."""

    __slots__ = ("domain", "omit_unset_slots", "count", "first", "last", "loop_names", "frozen", "states", "used")

    def __init__(self, tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool) -> None:
        self.domain, self.omit_unset_slots = domain, omit_unset_slots
        events = tracker.events
        self.count = len(events)
        self.first: Optional[Event] = events[0] if events else None
        self.last: Optional[Event] = events[-1] if events else None
        self.loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
        self.states: List[_Shared] = []
        live = tracker.init_copy()
        for event in _rasa_applied_events(tracker):
            self._apply(live, event)
        self.frozen = freeze_tracker(live)
        self.used = time.monotonic()

    def _apply(self, live: DialogueStateTracker, event: Event) -> None:
        if isinstance(event, ActionExecuted):  # the state before each action, as generate_all_prior_trackers
            self.states.append(self._shared_state(live))
        live.update(event)

    def _state(self, live: DialogueStateTracker) -> Dict[Text, Any]:
        return self.domain._clean_state(self.domain.get_active_state(live, omit_unset_slots=self.omit_unset_slots))

    def _shared_state(self, live: DialogueStateTracker) -> _Shared:
        state = self._state(live)  # its sub-state dicts are new: Rasa's rule may edit them in place
        TrackerFeaturizer._remove_user_text_if_intent([[state]])
        return _Shared(state)

    def fits(self, events: Any) -> bool:
        """Whether ``events`` begin with the events replayed (the same objects at
        their first and last place: events are only ever appended)."""
        return self.count <= len(events) and (
            self.count == 0 or (events[0] is self.first and events[self.count - 1] is self.last)
        )

    def extend(self, tracker: DialogueStateTracker) -> Optional[DialogueStateTracker]:
        """Replay the tracker's events added since (it must fit) and return the
        replayed tracker; None when Rasa's applied events would change otherwise
        than by appending them (then the conversation is replayed from the start)."""
        live = thaw_tracker(self.frozen, domain_slots(self.domain)) if self.frozen is not None else None
        if live is None:
            return None
        new = list(islice(tracker.events, self.count, None))
        for event in new:
            if isinstance(event, (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted)):
                return None
            if isinstance(event, ActiveLoop) and event.name and event.name not in self.loop_names:
                return None  # a new loop name changes how earlier events apply
            if (
                isinstance(event, ActionExecuted)
                and event.action_name in self.loop_names
                and not live._first_loop_execution_or_unhappy_path(event.action_name, list(live.events))
            ):
                return None  # a loop's happy path undoes its previous turn
            self._apply(live, event)
        if new:
            self.count += len(new)
            self.last = new[-1]
            self.first = self.first if self.first is not None else new[0]
            self.frozen = freeze_tracker(live)
        return live

    def states_now(self, live: DialogueStateTracker) -> List[Dict[Text, Any]]:
        return [*self.states, self._state(live)]


_replays: "OrderedDict[Text, _Replay]" = OrderedDict()  # by conversation
REPLAYS_KEPT = kept_conversations()


def _replays_here(tracker: DialogueStateTracker, domain: Optional[Domain]) -> bool:
    """A conversation's tracker as Dana's tracker store loaded it, whose replay
    can be kept: Rasa's own classes and methods (a subclass may replay otherwise)."""
    return (
        REPLAYS_KEPT > 0
        and "_dana_stored_events" in tracker.__dict__
        and type(tracker) is DialogueStateTracker
        and tracker._max_event_history is None
        and type(tracker.slots) is dict
        and (domain is None or (type(domain) is Domain and tracker.slots.keys() == domain_slots(domain).keys()))
    )


def _replay_of(tracker: DialogueStateTracker) -> Optional[Tuple[_Replay, DialogueStateTracker]]:
    """The conversation's kept replay, brought up to the tracker's events, and the
    replayed tracker; None if there is none or it does not fit them."""
    replay = _replays.get(tracker.sender_id)
    if replay is None:
        return None
    live = replay.extend(tracker) if replay.fits(tracker.events) else None
    if live is None:
        del _replays[tracker.sender_id]  # another history, or partly extended: replayed afresh when asked
        return None
    replay.used = time.monotonic()
    _replays.move_to_end(tracker.sender_id)
    return replay, live


def _replayed_states(tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool) -> List[Dict[Text, Any]]:
    found = _replay_of(tracker)
    if found is not None and found[0].domain is domain and found[0].omit_unset_slots == omit_unset_slots:
        replay, live = found
    else:
        replay = _replays[tracker.sender_id] = _Replay(tracker, domain, omit_unset_slots)
        live = thaw_tracker(replay.frozen, domain_slots(domain)) if replay.frozen is not None else None
        if live is None:  # (a domain whose slots the tracker does not have: Rasa's way)
            del _replays[tracker.sender_id]
            return _rasa_create_states(tracker, domain, omit_unset_slots)
    oldest = replay.used - KEPT_IDLE_SECONDS
    while _replays and (len(_replays) > REPLAYS_KEPT or next(iter(_replays.values())).used < oldest):
        _replays.popitem(last=False)
    return replay.states_now(live)


_rasa_applied_events = DialogueStateTracker.applied_events


def _applied_events(self: DialogueStateTracker) -> List[Event]:
    """Rasa's applied events; for a conversation with a kept replay, the replay's
    (brought up to the tracker's events): Rasa asks twice a message, before any
    prediction, whether the session is new or expired."""
    if _replays and _replays_here(self, None):
        found = _replay_of(self)
        if found is not None:
            return list(found[1].events)
    return _rasa_applied_events(self)


# 13. rule states formatted for a debug line ------------------------------------------------------
def _format_states_for_debug(states: List[Dict]) -> Text:
    """RulePolicy formats every state of the conversation into text for a debug log
    line (``format_tracker_states``), three times a message; with debug logging off
    the line is never written, so the text is not made."""
    return Policy.format_tracker_states(states) if debug_logging_on() else ""


# 11. tracker copies without a replay -------------------------------------------------------
_rasa_copy_tracker = DialogueStateTracker.copy


def _copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    if type(self) is not DialogueStateTracker or type(self.slots) is not dict or self._max_event_history is not None:
        return _rasa_copy_tracker(self)
    new = DialogueStateTracker.__new__(DialogueStateTracker)
    # What init_copy() and replaying self.events give; nothing else is carried
    # over (model_id, sender_source and Dana's own attributes start unset).
    new.__dict__.update(
        _max_event_history=None,
        events=self._create_events(list(self.events)),
        sender_id=self.sender_id or DEFAULT_SENDER_ID,
        slots={name: copy.copy(slot) for name, slot in self.slots.items()},
        sender_source=None,
        is_rule_tracker=self.is_rule_tracker,
        _paused=self._paused,
        followup_action=self.followup_action,
        latest_action=dict(self.latest_action) if self.latest_action is not None else None,
        # A replay shares the latest messages' event objects, or makes new
        # empty ones (with their own timestamps) where there are none.
        latest_message=(
            self.latest_message
            if self.latest_message.text is not None or self.latest_message.intent_name
            else UserUttered.empty()
        ),
        latest_bot_utterance=(
            self.latest_bot_utterance
            if self.latest_bot_utterance.text is not None or self.latest_bot_utterance.data
            else BotUttered.empty()
        ),
        active_loop=dataclasses.replace(self.active_loop) if self.active_loop is not None else None,
        model_id=None,
        assistant_id=None,
    )
    return new


# The ``copy`` module as those four modules see it.
copy_for_debug_logs = types.SimpleNamespace(**{**vars(copy), "deepcopy": _deepcopy_for_log})
DEBUG_LOG_COPIERS = (rasa_processor, rasa_memoization, rasa_rule_policy, rasa_forms)
