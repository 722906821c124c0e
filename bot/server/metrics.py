"""Dana's Prometheus metrics: one registry, its metric objects, and the calls that move them.

Each server exposes the registry at ``GET /metrics`` in the text format: the Rasa server
through a channel (channels/metrics.py), the action server through rasa-sdk's plugin hook
(bot/server/action_server.py). One registry per process, so one process per server:
``SANIC_WORKERS=1`` everywhere Dana is deployed (with more workers a scrape would see one
worker's counts). What each metric means, and the dashboard: docs/metrics.md.

The calls are made where the data already passes through Dana's code, one line each:

- the tracker store's ``save`` (bot/server/tracker_store.py) hands over the events a turn
  added: customer messages, intents, fallbacks and hand-offs (``turn_saved``);
- the message guard (bot/server/message_guard.py) times every message from its arrival
  to Dana's answer (``answering``) and counts the rate-limited;
- admission (bot/server/admission.py): its queue is read at each scrape
  (``watch_admission``), a message that stopped waiting is counted;
- a custom action given up after its retries (bot/server/resilience.py), a phone call the
  IVR channel transfers itself (channels/voice.py);
- the action server: every action call, its time and outcome (``action_done``).

Labels are few and bounded, and never personal: no sender id, login, phone, name or text
is ever a label or a value. ``channel`` is a name a channel registered (channels/base.py),
else ``other``; ``language`` is ``kk``, ``ru`` or ``undecided``; ``intent`` one of the
domain's, else ``other``; ``reason`` one of ``HANDOFF_REASONS``, else ``other``; ``action``
an action the action server ran (a name it does not know is ``other``).

Counted as ``python -m bot stats`` counts (bot/office/stats.py): a customer message is a
user event with a message id (not one an action put back); a fallback is such a message
answered while Dana had the conversation, whose intent was ``nlu_fallback`` or whose turn
said ``utter_default`` or ran ``action_default_fallback``; a hand-off is a message carrying
the ``{"handoff": …}`` payload (actions/handoff.py).
"""

from __future__ import annotations

import itertools
import logging
import re
from typing import Any, Iterable, Optional, Sequence, Set, Text, Tuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from bot.config import LANGUAGES
from bot.office.stats import DEFAULT_CHANNEL, FALLBACK_ACTION, FALLBACK_INTENT, FALLBACK_RESPONSE

logger = logging.getLogger(__name__)
OTHER = "other"
UNDECIDED = "undecided"  # no conversation language yet: Dana answers in both
# Why actions/ hands a conversation over (hand_off's ``reason``), and the IVR's own transfer
# (channels/voice.py). tests/bot/server/test_metrics.py finds every reason the code uses here.
HANDOFF_REASONS = frozenset(
    {
        "requested",
        "fallback",
        "login_not_found",
        "ticket_failed",
        "refund_failed",
        "investigation_failed",
        "callback_failed",
        "bot_error",
    }
)
_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")

REGISTRY = CollectorRegistry()
# The process itself (CPU, memory, open files, GC): for sizing, nothing of the customers.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# The Rasa server.
MESSAGES = Counter(
    "dana_messages",
    "Customer messages received, by channel and the conversation's language after the turn",
    ["channel", "language"],
    registry=REGISTRY,
)
RESPONSE_SECONDS = Histogram(
    "dana_response_seconds",
    "Seconds from a customer message's arrival to Dana's answer (admission wait included)",
    ["channel"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
    registry=REGISTRY,
)
INTENTS = Counter("dana_intents", "Customer messages by the intent NLU gave them", ["intent"], registry=REGISTRY)
FALLBACKS = Counter(
    "dana_fallbacks",
    "Customer messages Dana did not understand (answered by the fallback)",
    ["channel"],
    registry=REGISTRY,
)
HANDOFFS = Counter(
    "dana_handoffs",
    "Conversations handed to an operator, by channel and reason",
    ["channel", "reason"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "dana_rate_limited", "Customer messages dropped by the per-sender rate limit", ["channel"], registry=REGISTRY
)
ADMISSION_QUEUE = Gauge(
    "dana_admission_queue_depth", "Messages waiting for a processing slot (admission)", registry=REGISTRY
)
ADMISSION_TIMEOUTS = Counter(
    "dana_admission_timeouts",
    "Messages that waited the admission's longest wait and went ahead without a slot",
    registry=REGISTRY,
)
# Both servers: on the Rasa server, custom actions given up after their retries (the action
# server unreachable or failing: the customer heard «try again»); on the action server, calls
# that failed there (an exception: 500, or an action it does not have: 404).
ACTION_ERRORS = Counter("dana_action_errors", "Custom action calls that failed", ["action"], registry=REGISTRY)
# The action server.
ACTIONS = Counter("dana_actions", "Custom action calls the action server answered", ["action"], registry=REGISTRY)
ACTION_SECONDS = Histogram(
    "dana_action_seconds",
    "Seconds the action server took for a custom action call",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

_channels: Set[Text] = set()  # the input channel names of this process's channels


def exposition() -> Tuple[bytes, Text]:
    """The registry in Prometheus's text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# ---------------------------------------------------------------- labels


def known_channel(name: Text) -> None:
    """A channel of this process names its messages ``name`` (channels/base.py)."""
    _channels.add(name)


def channel_label(name: Optional[Text]) -> Text:
    name = name or DEFAULT_CHANNEL  # as bot stats: no input channel came over REST
    return name if name in _channels else OTHER


def language_label(language: Any) -> Text:
    return language if language in LANGUAGES else UNDECIDED


def intent_label(intent: Optional[Text], domain: Any) -> Text:
    return intent if intent and domain is not None and intent in domain.intents else OTHER


def reason_label(reason: Any) -> Text:
    return reason if reason in HANDOFF_REASONS else OTHER


def action_label(name: Any, status: int) -> Text:
    """The action's name; ``other`` for a name the action server does not have (404) or no name."""
    return name if status != 404 and isinstance(name, str) and _NAME.fullmatch(name) else OTHER


# ---------------------------------------------------------------- the Rasa server


def turn_saved(tracker: Any, stored: Optional[int], appended: Optional[Sequence[Any]], domain: Any) -> None:
    """Count what a save added (DanaTrackerStore.save): the tracker's events after the
    ``stored`` ones it was loaded with — so a retried save whose first attempt had committed
    still counts its turn, once — or, for a tracker the store did not load, the events it
    ``appended``. The language is the conversation's at the end of the save (one turn per
    save: Rasa saves after each message). Never fails the turn."""
    try:
        events = list(itertools.islice(tracker.events, stored, None)) if stored is not None else appended
        if events:
            _count_turn(tracker, events, domain)
    except Exception as error:  # a metric must not cost a customer their answer
        logger.warning("metrics: turn not counted: %s", type(error).__name__)


def _count_turn(tracker: Any, events: Sequence[Any], domain: Any) -> None:
    slot = tracker.slots.get("language")
    language = language_label(slot.value if slot is not None else None)
    paused = _paused_before(tracker, events)
    channel: Optional[Text] = None  # the label of the message whose turn this is
    missed = False  # … and whether Dana answered it with the fallback
    for event in events:
        kind = getattr(event, "type_name", "")
        if kind == "user" and getattr(event, "message_id", None):
            if channel is not None and missed:
                FALLBACKS.labels(channel).inc()
            channel = channel_label(event.input_channel)
            MESSAGES.labels(channel, language).inc()
            INTENTS.labels(intent_label(event.intent_name, domain)).inc()
            missed = not paused and event.intent_name == FALLBACK_INTENT
        elif kind == "pause":
            paused = True
        elif kind == "resume":
            paused = False
        elif kind == "action" and event.action_name == FALLBACK_ACTION and not paused:
            missed = True
        elif kind == "bot":
            if (event.metadata or {}).get("utter_action") == FALLBACK_RESPONSE and not paused:
                missed = True
            custom = (event.data or {}).get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
                handed_off(channel or tracker.get_latest_input_channel(), custom["handoff"].get("reason"))
    if channel is not None and missed:
        FALLBACKS.labels(channel).inc()


def _paused_before(tracker: Any, events: Iterable[Any]) -> bool:
    """Whether Dana had stepped back before ``events``: the tracker's state now, undone backwards."""
    paused = bool(tracker.is_paused())
    for event in reversed(list(events)):
        kind = getattr(event, "type_name", "")
        if kind == "pause":
            paused = False
        elif kind == "resume":
            paused = True
    return paused


def handed_off(channel: Optional[Text], reason: Any) -> None:
    """A conversation went to an operator; ``channel`` is an input channel's name (or its label)."""
    HANDOFFS.labels(channel_label(channel), reason_label(reason)).inc()


def answering(channel: Optional[Text]) -> Any:
    """``with answering(message.input_channel):`` times the message's handling."""
    return RESPONSE_SECONDS.labels(channel_label(channel)).time()


def rate_limited(channel: Optional[Text]) -> None:
    RATE_LIMITED.labels(channel_label(channel)).inc()


def watch_admission(admitter: Any) -> None:
    """The queue depth is read from this process's admission at each scrape (None: no admission)."""
    ADMISSION_QUEUE.set_function(lambda: admitter.waiting if admitter is not None else 0)


def admission_timed_out() -> None:
    ADMISSION_TIMEOUTS.inc()


def action_failed(name: Text) -> None:
    """The Rasa server gave a custom action up (its name is the domain's: RemoteAction)."""
    ACTION_ERRORS.labels(action_label(name, 500)).inc()


# ---------------------------------------------------------------- the action server


def action_done(name: Any, status: int, seconds: float) -> None:
    """The action server answered a call of ``name`` with HTTP ``status`` after ``seconds``.
    400 is a form rejecting an answer, not an error."""
    label = action_label(name, status)
    ACTIONS.labels(label).inc()
    ACTION_SECONDS.labels(label).observe(seconds)
    if status >= 500 or status == 404:
        ACTION_ERRORS.labels(label).inc()
