"""Per-message costs in Rasa 3.6 that Dana removes, each measured with cProfile
(bench/load.py prints the result; README "Speed").

1. ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on
   every custom-action reply, and jsonschema 4.17 first re-checks the large,
   constant events schema against its meta-schema: ≈80 ms of CPU per custom
   action, more than the rest of the turn. The schema is checked once here and
   the compiled validator reused; replies are validated exactly as before.
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
   (Sanic: 5 s) or HAProxy would close them under a request.

Installed once per process by DanaNaturalLanguageGenerator, which Rasa
creates before it loads the model.
"""
from __future__ import annotations

import asyncio
import atexit
from functools import lru_cache
from graphlib import TopologicalSorter
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import aiohttp
from jsonschema import ValidationError, validators
from rasa.core import processor as rasa_processor
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig


# 1. custom-action replies ----------------------------------------------------
@lru_cache(maxsize=1)
def _action_reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _action_reply_validator().validate(result)
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

    def run(
        self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
    ) -> Dict[Text, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        results: Dict[Text, Tuple[Text, Any]] = {
            name: (name, value) for name, value in (inputs or {}).items()
        }
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
                {name: [n for n in node.needs.values() if n in schema.nodes]
                 for name, node in schema.nodes.items()}
            ).static_order()
            plans[targets] = [(name, tuple(schema.nodes[name].needs.values())) for name in order]
        return plans[targets]


# 4. kept-alive connections to the action server ------------------------------
IDLE_CONNECTION_SECONDS = 2.0
_sessions: Dict[Tuple[int, int], Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


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
            auth = (aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
                    if endpoint.basic_auth else None)
            # Rasa's EndpointConfig.session, plus a connection pool that keeps connections.
            session = aiohttp.ClientSession(
                headers=endpoint.headers, auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS))
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


def install() -> None:
    RemoteAction.__init__ = _remote_action_init  # type: ignore[method-assign]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]
    rasa_processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
