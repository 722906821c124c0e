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
   replaces them.
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

Installed once per process by DanaNaturalLanguageGenerator, which Rasa
creates before it loads the model.
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import dataclasses
import gc
import types
from collections import OrderedDict
from functools import lru_cache
from graphlib import TopologicalSorter
from typing import Any, Dict, List, Optional, Text, Tuple, Type

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
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DEFAULT_SENDER_ID, DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
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


def _load_model_then_freeze(self: Agent, *args: Any, **kwargs: Any) -> None:
    _rasa_load_model(self, *args, **kwargs)
    gc.collect()
    gc.freeze()


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
        kept = (
            key,
            last,
            domain,
            _rasa_create_states(tracker, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data),
        )
        tracker.__dict__[_STATES] = kept
    # States are dicts of sub-state dicts of strings and tuples: two levels to copy.
    return [{name: dict(sub) if isinstance(sub, dict) else sub for name, sub in state.items()} for state in kept[3]]


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
