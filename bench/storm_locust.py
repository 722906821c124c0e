"""Locust customers of the storm benchmark (bench/storm.py runs them headless).

Customers as Dana meets them at 19:00 on the day of an outage, on the two
channels most of them use: the REST webhook (a channel adapter's requests) and
the website widget (one Socket.IO connection each, held open between messages).

- ``RestCustomer``, ``WidgetCustomer``: short conversations (the load
  benchmark's flows, both languages), a message every ``--think`` seconds
  (10–30), a new conversation after each one ends; a widget customer keeps its
  socket and asks for a new session for it.
- ``LongRestCustomer``, ``LongWidgetCustomer``: one conversation of
  ``--long-turns`` (40) FAQ questions and small talk, which never ends in a form,
  a message every ``--long-think`` seconds (3–4: under the per-sender rate limit
  of 20 a minute); they start ``--long-start`` seconds into the run, once the
  others are spawned, and record each message's place in the conversation.
- ``OutageRestCustomer``, ``OutageWidgetCustomer``: one of ``--storm-logins``
  (subscribers of the area under the declared outage): «the internet is down»,
  Dana asks for the login, the login after ``--think`` seconds; the answer must
  carry the outage and its ETA (``--storm-eta``) — without it the turn is an
  error. A widget customer then stays connected until the end.
- ``IdleWidget``: connects, takes a session and says nothing (what an open
  widget tab costs the server).

Timing. A REST message is timed by Locust's FastHttpUser from the request to
the answer. A widget message is sent with a Socket.IO acknowledgement, which
Dana sends once the turn is answered (channels/web.py), after the turn's
``bot_uttered`` messages: from ``user_uttered`` to its ack. Each message is
reported through Locust's ``request`` event (its stats, CSV and failures) and
kept, with its time, scenario, channel and place in the conversation, for
bench/storm.py's tables: each process writes ``--storm-out``/records-<pid>.json
when it quits, with the customers it held every 2 seconds.

A turn is an error when the transport fails or times out (``--turn-timeout``),
the answer is empty, «write again» (``utter_service_unavailable``) or «too many
messages» (``utter_rate_limited``), or — for an outage customer's login — lacks
the outage ETA; a widget socket dropped is an error too.

Widget sockets use python-socketio's client (it comes with Rasa) with the
websocket transport (websocket-client, bench/requirements-storm.txt) under
Locust's gevent. ``--source-addresses N`` binds them to N loopback addresses
(127.1.x.y): the cluster's balancer keeps a widget on a server by its source
address, and customers come from many.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import socket
import time
import uuid
import weakref
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import gevent
import yaml
from gevent.event import Event
from locust import FastHttpUser, User, between, events, task

from bench.load import CONVERSATIONS  # bench/storm.py runs Locust with the project on PYTHONPATH

ROOT = Path(__file__).resolve().parent.parent

# Short conversations: the load benchmark's, without the hand-off to an operator
# (a paused conversation is the operators', not Dana's, to answer).
SHORT = [turns for turns in CONVERSATIONS if not any("operator" in text for text in turns)]
# A long conversation: FAQ questions and small talk, in a cycle of six, so that
# messages 4, 10, 16 … 40 are the same question (compared like for like).
LONG = {
    "kk": ["Сәлеметсіз бе", "тарифті қалай ауыстырамын", "статикалық IP деген не?",
           "роутерді қалай қайтарамын", "рахмет", "сен ботсың ба?"],
    "ru": ["Здравствуйте", "как сменить тариф", "что такое статический IP?",
           "как вернуть роутер", "спасибо", "ты бот?"],
}
OUTAGE = {"kk": ("Сәлеметсіз бе, интернет істемей тұр", "{login}"),
          "ru": ("Здравствуйте, пропал интернет", "мой логин {login}")}
# What Dana says around the ETA in utter_outage_found (domain/responses/diagnostics.yml).
OUTAGE_MARKERS = ("Қалпына келтірудің болжамды уақыты", "Ориентировочное время восстановления")

RECORDS: list[list[Any]] = []  # [start epoch, ms, ok, scenario, channel, turn, error]
SAMPLES: list[list[Any]] = []  # [epoch, users, sockets open, process], every 2 s
STATE: dict[str, Any] = {"t0": None, "logins": [], "login_index": itertools.count()}
WIDGETS: "weakref.WeakSet[WidgetClient]" = weakref.WeakSet()  # this process's widget connections


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("Dana storm")
    group.add_argument("--storm-out", default="results/storm/run", help="directory for records-<pid>.json")
    group.add_argument("--think", default="10-30", help="seconds between a customer's messages, MIN-MAX")
    group.add_argument("--long-think", default="3-4", help="… in a long conversation")
    group.add_argument("--long-turns", type=int, default=40)
    group.add_argument("--long-users", type=int, default=0, help="long conversations, half of them on the widget")
    group.add_argument("--long-start", type=float, default=0.0, help="seconds into the run they begin")
    group.add_argument("--long-stagger", type=float, default=10.0, help="… spread over this many seconds")
    group.add_argument("--widget-share", type=float, default=0.6, help="share of customers on the widget")
    group.add_argument("--storm-logins", default="", help="file of outage logins, one a line")
    group.add_argument("--storm-eta", default="", help="the outage's ETA as Dana writes it («18.11 18:00»)")
    group.add_argument("--source-addresses", type=int, default=0, help="widget sockets from N loopback addresses")
    group.add_argument("--turn-timeout", type=float, default=30.0)


def _span(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def _unhappy_texts() -> tuple[str, ...]:
    """The start of «write again» and «too many messages», in every language."""
    found = []
    for path in (ROOT / "domain" / "responses").glob("*.yml"):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        for name in ("utter_service_unavailable", "utter_rate_limited"):
            for variation in responses.get(name, []):
                head = str(variation.get("text", "")).split("{")[0].strip()[:40]
                if head:
                    found.append(head)
    return tuple(sorted(set(found)))


UNHAPPY = _unhappy_texts()


@events.init.add_listener
def _configure(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    STATE["options"] = options
    share = min(max(options.widget_share, 0.0), 1.0)
    RestCustomer.weight, WidgetCustomer.weight = round((1 - share) * 100), round(share * 100)
    OutageRestCustomer.weight, OutageWidgetCustomer.weight = RestCustomer.weight, WidgetCustomer.weight
    think, long_think = between(*_span(options.think)), between(*_span(options.long_think))
    for cls in (RestCustomer, WidgetCustomer, OutageRestCustomer, OutageWidgetCustomer):
        cls.wait_time = think
    LongRestCustomer.wait_time = LongWidgetCustomer.wait_time = long_think
    LongRestCustomer.fixed_count = options.long_users // 2
    LongWidgetCustomer.fixed_count = options.long_users - options.long_users // 2
    if options.storm_logins:
        STATE["logins"] = Path(options.storm_logins).read_text().split()


@events.test_start.add_listener
def _started(environment: Any, **_: Any) -> None:
    STATE["t0"] = time.time()

    def sample() -> None:
        while True:
            runner = environment.runner
            sockets = sum(1 for widget in list(WIDGETS) if widget.connected and not widget.dropped)
            SAMPLES.append([round(time.time(), 2), runner.user_count if runner else 0, sockets, os.getpid()])
            gevent.sleep(2)

    gevent.spawn(sample)


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, exception: Any = None,
            context: Optional[dict] = None, **_: Any) -> None:
    context = context or {}
    if "scenario" not in context:
        return
    start = context.get("started") or time.time() - response_time / 1000
    RECORDS.append([round(start, 3), round(response_time, 2), exception is None, context["scenario"],
                    context["channel"], context.get("turn", 0), None if exception is None else str(exception)[:80]])


@events.quitting.add_listener
def _write(environment: Any, **_: Any) -> None:
    options = STATE.get("options")
    if options is None or (not RECORDS and not SAMPLES):
        return
    out = Path(options.storm_out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"records-{os.getpid()}.json").write_text(json.dumps({"records": RECORDS, "samples": SAMPLES}))


class TurnFailed(Exception):
    pass


def check_answer(texts: list[str], expect: Optional[str] = None) -> Optional[str]:
    """Why an answer is an error, or None."""
    whole = "\n".join(t for t in texts if t)
    if not whole.strip():
        return "empty answer"
    if any(line.startswith(UNHAPPY) for line in whole.split("\n")):
        return "«write again» or rate-limited"
    if expect is not None and (expect not in whole or not any(m in whole for m in OUTAGE_MARKERS)):
        return "no outage ETA in the answer"
    return None


# Channels ---------------------------------------------------------------------------
class RestChannel(FastHttpUser):
    abstract = True
    channel = "rest"
    network_timeout = 30.0
    connection_timeout = 10.0

    def open_conversation(self) -> None:
        self.sender = f"storm-{uuid.uuid4().hex[:20]}"

    def say(self, text: str, scenario: str, turn: int, expect: Optional[str] = None) -> bool:
        context = {"scenario": scenario, "channel": self.channel, "turn": turn, "started": time.time()}
        with self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                              name=f"{scenario} {self.channel}", context=context, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
                return False
            try:
                texts = [m.get("text") or "" for m in answer.json()]
            except (ValueError, TypeError, AttributeError):
                answer.failure("not JSON")
                return False
            problem = check_answer(texts, expect)
            if problem:
                answer.failure(problem)
                return False
            return True


class WidgetClient:
    """One widget: a Socket.IO connection (websocket transport) and its session."""

    def __init__(self, base_url: str, timeout: float, source: Optional[str] = None) -> None:
        import socketio

        self.base_url, self.timeout, self.source = base_url, timeout, source
        options: dict[str, Any] = {}
        if source:
            parsed = urlparse(base_url)
            options["socket"] = socket.create_connection((parsed.hostname, parsed.port or 80), timeout,
                                                         source_address=(source, 0))
        self.sio = socketio.Client(reconnection=False, request_timeout=timeout, websocket_extra_options=options)
        self.session_id = ""
        self._confirmed = Event()
        self._texts: Optional[list[str]] = None
        self.connected = self.dropped = False
        WIDGETS.add(self)
        self.sio.on("session_confirm", lambda *_: self._confirmed.set())
        self.sio.on("bot_uttered", self._bot_uttered)
        self.sio.on("disconnect", self._disconnected)

    def _bot_uttered(self, data: Any = None) -> None:
        if self._texts is not None:
            self._texts.append((data or {}).get("text") or "")

    def _disconnected(self, *_: Any) -> None:
        self.dropped = True

    def connect(self) -> None:
        self.sio.connect(self.base_url, transports=["websocket"], socketio_path="socket.io",
                         wait_timeout=self.timeout)
        self.connected = True

    def new_session(self) -> None:
        """A session (a conversation) for this connection, as the widget asks on connect."""
        self.session_id = uuid.uuid4().hex
        self._confirmed.clear()
        self.sio.emit("session_request", {"session_id": self.session_id})
        if not self._confirmed.wait(self.timeout):
            raise TurnFailed("no session_confirm")

    def say(self, text: str) -> list[str]:
        """The answer's texts; raises TurnFailed without an ack in time."""
        acked = Event()
        self._texts = texts = []
        message_id = uuid.uuid4().hex
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id, "message_id": message_id},
                      callback=lambda *_: acked.set())
        if not acked.wait(self.timeout):
            raise TurnFailed("socket dropped" if self.dropped else "no answer in time")
        gevent.sleep(0)  # bot_uttered handlers run in their own greenlets, started before the ack's
        self._texts = None
        return texts

    def close(self) -> None:
        self.connected = False
        try:
            self.sio.disconnect()
        except Exception:  # closing after a drop
            pass


_source_counter = itertools.count()


def _source_address(count: int) -> Optional[str]:
    if count <= 0:
        return None
    n = next(_source_counter) % count
    return f"127.1.{n // 250}.{n % 250 + 1}"


class WidgetChannel(User):
    abstract = True
    channel = "widget"
    widget: Optional[WidgetClient] = None

    def on_start(self) -> None:
        options = STATE["options"]
        started = time.perf_counter()
        try:
            widget = WidgetClient(self.host, options.turn_timeout, _source_address(options.source_addresses))
            widget.connect()
            self.widget = widget
        except Exception as error:  # the customer's every message then fails: counted there
            events.request.fire(request_type="WS", name="widget connect", response_length=0,
                                response_time=(time.perf_counter() - started) * 1000, exception=error, context={})

    def on_stop(self) -> None:
        if self.widget is not None:
            self.widget.close()

    def open_conversation(self) -> None:
        if self.widget is None or self.widget.dropped:
            raise TurnFailed("socket not connected")
        self.widget.new_session()

    def say(self, text: str, scenario: str, turn: int, expect: Optional[str] = None) -> bool:
        started = time.time()
        clock = time.perf_counter()
        problem: Optional[str] = None
        try:
            if self.widget is None or self.widget.dropped:
                raise TurnFailed("socket not connected")
            problem = check_answer(self.widget.say(text), expect)
        except Exception as error:  # counted as an error of this turn
            problem = str(error) or type(error).__name__
        report(scenario, self.channel, turn, started, (time.perf_counter() - clock) * 1000, problem)
        return problem is None


def report(scenario: str, channel: str, turn: int, started: float, ms: float, problem: Optional[str]) -> None:
    """A turn in Locust's stats and in the records (a widget turn, or one that never went out)."""
    events.request.fire(request_type="WS" if channel == "widget" else "POST", name=f"{scenario} {channel}",
                        response_time=ms, response_length=0, exception=TurnFailed(problem) if problem else None,
                        context={"scenario": scenario, "channel": channel, "turn": turn, "started": started})


def begin_conversation(user: Any, scenario: str) -> bool:
    """A new conversation (a widget asks for a new session); a failure is this turn's error."""
    started = time.time()
    try:
        user.open_conversation()
        return True
    except Exception as error:
        report(scenario, user.channel, 1, started, (time.time() - started) * 1000, str(error) or "no session")
        return False


# Behaviours ---------------------------------------------------------------------------
class ShortConversations:
    """A message per task, a new conversation after the last message of one."""

    scenario = "think"

    def step(self: Any) -> None:
        script = getattr(self, "_script", None)
        if not script:
            if getattr(self, "_first", True):  # arrivals spread over the think time
                self._first = False
                gevent.sleep(random.uniform(0, _span(STATE["options"].think)[1]))
            if not begin_conversation(self, self.scenario):
                return
            self._script = script = list(random.choice(SHORT))
            self._turn = 0
        self._turn += 1
        self.say(script.pop(0), self.scenario, self._turn)

    tasks = [step]  # Locust collects a base class's tasks, also from a plain mixin


class LongConversation:
    """One conversation of --long-turns messages, in one language, from --long-start on."""

    scenario = "long"

    def step(self: Any) -> None:
        options = STATE["options"]
        if not hasattr(self, "_turn"):
            begin = (STATE["t0"] or time.time()) + options.long_start + random.uniform(0, options.long_stagger)
            gevent.sleep(max(0.0, begin - time.time()))
            self._language = random.choice(("kk", "ru"))
            self._turn = 0
            if not begin_conversation(self, self.scenario):
                self._turn = options.long_turns  # nothing more from this customer
        if self._turn >= options.long_turns:
            gevent.sleep(3600)  # done: stays on (a widget stays connected) until the run ends
            return
        self._turn += 1
        texts = LONG[self._language]
        self.say(texts[(self._turn - 1) % len(texts)], self.scenario, self._turn)

    tasks = [step]


class OutageCall:
    """«The internet is down», then the login of a subscriber under the outage."""

    scenario = "outage"

    def step(self: Any) -> None:
        options = STATE["options"]
        if not hasattr(self, "_turn"):
            logins = STATE["logins"]
            self._login = logins[next(STATE["login_index"]) % len(logins)] if logins else "0851234569"
            self._language = random.choice(("kk", "ru"))
            self._turn = 0
            if not begin_conversation(self, self.scenario):
                self._turn = 2
        if self._turn >= 2:
            gevent.sleep(3600)  # answered: the widget stays open until the run ends
            return
        self._turn += 1
        said = OUTAGE[self._language][self._turn - 1].format(login=self._login)
        self.say(said, self.scenario, self._turn, expect=options.storm_eta if self._turn == 2 else None)

    tasks = [step]


# Customers -------------------------------------------------------------------------------
class RestCustomer(ShortConversations, RestChannel):
    weight = 40


class WidgetCustomer(ShortConversations, WidgetChannel):
    weight = 60


class LongRestCustomer(LongConversation, RestChannel):
    fixed_count = 0


class LongWidgetCustomer(LongConversation, WidgetChannel):
    fixed_count = 0


class OutageRestCustomer(OutageCall, RestChannel):
    weight = 40


class OutageWidgetCustomer(OutageCall, WidgetChannel):
    weight = 60


class IdleWidget(WidgetChannel):
    """An open widget tab: connected, a session, nothing said."""

    def on_start(self) -> None:
        super().on_start()
        begin_conversation(self, "sessions")

    @task
    def idle(self) -> None:
        gevent.sleep(3600)
