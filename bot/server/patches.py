"""Every change Dana makes to Rasa's own code, in one list, for one Rasa version.

Where Rasa has an extension point, Dana uses it instead: the NLG, the tracker
store and the lock store are classes named in endpoints.yml, the channels are
classes named in credentials.yml (their base class puts every message through
the message guard: channels/base.py), the NLU components are named in
config.yml, and the HTTP API's body checks are request middleware registered
through Rasa's ``server_listeners`` by the launcher (bot/server/api_guard.py).
What is left replaces Rasa's code at run time. Each entry says what it replaces,
why, and which test shows it; ``install()`` applies them all and is called by
exactly one entry point, the server launcher (``python -m bot.server run …``,
bot/server/__main__.py) — never by an import or a constructor.

- It refuses to start on a Rasa other than ``RASA_VERSION``: each replacement
  copies or wraps code of that version, and another version's code may differ
  silently. Upgrading Rasa means re-reading each entry against the new code.
- ``DANA_RASA_PATCHES=off`` leaves Rasa's code as it is: Dana then runs Rasa's
  own code paths (slower; see «What is lost without them» below), which is how
  to compare with stock Rasa or to rule a patch out when something looks wrong.
- Tests install them in a scope and undo them (``installed()``).

What is lost without them: the speed-ups (bench/load.py), a retried custom
action, and the tracker store riding out a database restart unwrapped by Rasa's
fail-safe store (which would answer from an empty conversation). The tests of
those entries skip when they are off; everything else behaves the same.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Tuple

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
SWITCH = "DANA_RASA_PATCHES"
_MISSING = object()


@dataclass(frozen=True)
class Patch:
    target: Any  # the class or module whose attribute is replaced
    attribute: str
    build: Callable[[Any], Any]  # the original → its replacement
    why: str
    test: str


def enabled() -> bool:
    return os.environ.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


def check_rasa_version() -> None:
    import rasa

    if rasa.__version__ != RASA_VERSION:
        raise RuntimeError(
            f"Dana's changes to Rasa (bot/server/patches.py) are written for Rasa {RASA_VERSION}, "
            f"this is Rasa {rasa.__version__}. Install the pinned version (requirements.txt) or "
            f"re-check each patch against the new code; {SWITCH}=off runs Rasa's own code."
        )


def same(replacement: Any) -> Callable[[Any], Any]:
    """A replacement that does not need Rasa's original."""
    return lambda original: replacement


def patches() -> List[Patch]:
    """The list, in the order it is applied (imports here: Rasa is heavy)."""
    from rasa.core import processor as rasa_processor
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.slots import Slot
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.server import resilience, speedups, tracker_store

    fast = "tests/bot/server/test_speedups.py"
    log_copy = [
        Patch(
            module,
            "copy",
            same(speedups.copy_for_debug_logs),
            "deep copies made for debug log calls only when debug logging is on (speedup 7)",
            fast,
        )
        for module in speedups.DEBUG_LOG_COPIERS
    ]
    return log_copy + [
        Patch(
            RulePolicy,
            "_get_possible_keys",
            same(speedups._get_possible_keys),
            "rules matched against the last states only, remembered (speedup 6)",
            fast,
        ),
        Patch(Slot, "__copy__", same(speedups._copy_slot), "a slot's shallow copy without __reduce_ex__ (5)", fast),
        Patch(
            RemoteAction,
            "__init__",
            same(speedups._remote_action_init),
            "kept-alive connections to the action server (4)",
            fast,
        ),
        Patch(
            RemoteAction,
            "_validate_action_result",
            same(speedups._validate_action_result),
            "the action reply's schema compiled once, known events not re-checked (1)",
            fast,
        ),
        Patch(
            Event,
            "resolve_by_type",
            same(staticmethod(speedups._resolve_by_type)),
            "event type by name from a map built once (2)",
            fast,
        ),
        Patch(
            rasa_processor,
            "DaskGraphRunner",
            same(speedups.SequentialGraphRunner),
            "graphs run in a precomputed order instead of through dask (3)",
            fast,
        ),
        Patch(
            Agent,
            "load_model",
            same(speedups._load_model_then_freeze),
            "a loaded model frozen out of the garbage collector's full passes (8)",
            fast,
        ),
        Patch(Domain, "is_empty", same(speedups._domain_is_empty), "the empty domain's dict built once (9)", fast),
        Patch(
            TrackerFeaturizer,
            "_create_states",
            same(staticmethod(speedups._create_states)),
            "a conversation's states kept while its events are the same (10), and extended as it goes (12)",
            fast,
        ),
        Patch(
            DialogueStateTracker,
            "copy",
            same(speedups._copy_tracker),
            "a tracker copied without deep-copying its events (11)",
            fast,
        ),
        Patch(
            DialogueStateTracker,
            "applied_events",
            same(speedups._applied_events),
            "a conversation's applied events from its kept replay, brought up to date (12)",
            fast,
        ),
        Patch(
            RulePolicy,
            "format_tracker_states",
            same(staticmethod(speedups._format_states_for_debug)),
            "the conversation's states formatted for a debug line only when debug logging is on (13)",
            fast,
        ),
        Patch(
            RemoteAction,
            "run",
            resilience.guarded_run,
            "a failed custom action is tried again while an action server or the database restarts, "
            "then the customer hears «try again» instead of nothing",
            "tests/bot/server/test_resilience.py",
        ),
        Patch(
            Agent,
            "_create_tracker_store",
            tracker_store.unwrapped,
            "Dana's tracker store used as it is, not wrapped in Rasa's FailSafeTrackerStore, which on a "
            "database error answers from an empty conversation",
            "tests/bot/server/test_tracker_store.py",
        ),
    ]


_installed: List[Tuple[Any, str, Any]] = []


def install() -> bool:
    """Apply every patch (once); False when switched off."""
    if not enabled():
        logger.info("%s=off: Rasa's own code paths", SWITCH)
        return False
    if _installed:
        return True
    check_rasa_version()
    try:
        for patch in patches():
            original = patch.target.__dict__.get(patch.attribute, _MISSING)
            current = getattr(patch.target, patch.attribute, None)  # None: the patch adds it
            setattr(patch.target, patch.attribute, patch.build(current))
            _installed.append((patch.target, patch.attribute, original))
    except Exception:
        uninstall()  # all or nothing
        raise
    return True


def uninstall() -> None:
    """Put Rasa's code back (tests)."""
    while _installed:
        target, attribute, original = _installed.pop()
        if original is _MISSING:
            delattr(target, attribute)
        else:
            setattr(target, attribute, original)


@contextmanager
def installed() -> Iterator[bool]:
    """The patches for the duration of a block (tests); undone after it if this block installed them."""
    already = bool(_installed)
    on = install()
    try:
        yield on
    finally:
        if on and not already:
            uninstall()
