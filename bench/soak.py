"""Soak run with faults: many conversations through the cluster's balancer while
servers are killed and PostgreSQL and Redis restart, then an audit of the database.

Every flow of the back office, in Kazakh and Russian: technician visit (a
cable-cut login of its own per conversation), wrong-login refund, payment
investigation, callback (inside the callback window), outage, diagnostics,
operator, FAQ questions. Customers behave like people: when a message gets no
answer (connection dropped, 502, silence) they look again a moment later — the
soak reads the conversation through Rasa's HTTP API, as a reloaded widget
would — and send it again only if it never arrived.

At the end it prints: conversations completed, user turns without a reply,
turns processed twice, duplicate tickets/refunds/investigations/callbacks,
lost requests (a number told to a customer with no row behind it, or all the
data given and no number), and p50/p95 latency before/during/after the faults.

    python -m bench.soak [--conversations 1000] [--concurrency 32] [--think 1-3] [--faults full|kill-rasa|none]
                         [--one-server] [--gate] [--keep-cluster]

It starts its own cluster (scripts/cluster.sh, separate ports, directory and
database, so it never touches a cluster you are running) and stops it after.
``--gate`` exits 1 on any duplicate or lost request; the test command runs a
small one (tests/cluster/test_soak.py).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "scripts" / "cluster.sh"
RESULTS = ROOT / "results"
NUMBER = re.compile(r"№\s?(\d+)")
TURN_TIMEOUT = 90  # s; longer than a turn waiting out a database restart
GIVE_UP_AFTER = 120  # s per turn before it counts as unanswered
APP_RETRIES = 2  # a dropped connection: the app sends the same message again
RECOVERY_TARGET_S = 10.0  # back within, and no customer waits longer (issue 18)
SOAK_LOGIN_PREFIX = "0877"  # cable-cut subscribers created for the run

# (fraction of conversations finished, cluster.sh command, service)
FAULTS = {
    "full": [(0.10, "kill", "rasa-1"), (0.18, "start", "rasa-1"),
             (0.28, "kill", "actions-1"), (0.34, "start", "actions-1"),
             (0.44, "restart", "postgres"), (0.54, "restart", "redis"),
             (0.60, "kill", "rasa-2"), (0.66, "start", "rasa-2")],
    "kill-rasa": [(0.3, "kill", "rasa-1"), (0.6, "start", "rasa-1")],
    "none": [],
}


@dataclass
class Flow:
    name: str
    lang: str
    turns: Callable[["Conversation"], list[str]]
    files: Optional[str] = None  # table a finished conversation must have one row in


def _technician(lang: str) -> Callable:
    if lang == "kk":
        return lambda c: ["Сәлеметсіз бе, интернет істемей тұр", c.login, "иә", "иә", "иә", "87021234568"]
    return lambda c: ["Здравствуйте, пропал интернет", c.login, "да", "да", "да", "87021234568"]


FLOWS = [
    Flow("technician", "kk", _technician("kk"), "tickets"),
    Flow("technician", "ru", _technician("ru"), "tickets"),
    Flow("refund", "ru", lambda c: ["Оплатил не на тот логин", "0851234567", "0851234572", "12000 тенге",
                                    "вчера", "да", "Асанов Асан Асанович", "87011234567", "нет"], "refunds"),
    Flow("refund", "kk", lambda c: ["Басқа логинге төлеп қойдым", "0851234567", "0851234572",
                                    "5 мың теңге", "кеше", "иә", "Асанов Асан Асанұлы", "87011234567",
                                    "жоқ"], "refunds"),
    Flow("investigation", "ru", lambda c: ["Деньги не зачислились", "да, логин правильный",
                                           "нет, больше суток", "0851234567", "позавчера", "7000", "Kaspi",
                                           "да", "87011234567"], "investigations"),
    Flow("investigation", "kk", lambda c: ["Ақша түспеді", "иә, логин дұрыс", "жоқ, бір тәуліктен асты",
                                           "0851234567", "2 күн бұрын", "7000", "Kaspi", "иә",
                                           "87011234567"], "investigations"),
    Flow("callback", "ru", lambda c: ["Перезвоните мне", "да", "87771234567", "по поводу тарифа"], "callbacks"),
    Flow("callback", "kk", lambda c: ["Маған қоңырау шалыңызшы", "иә", "87771234567", "тариф туралы"],
         "callbacks"),
    Flow("outage", "kk", lambda c: ["Интернет істемей тұр", "0851234569"]),
    Flow("outage", "ru", lambda c: ["Пропал интернет", "мой логин 0851234569"]),
    Flow("diagnostics", "ru", lambda c: ["не работает интернет", "0851234567", "да, помогло"]),
    Flow("diagnostics", "kk", lambda c: ["интернет жоқ", "0851234567", "иә, көмектесті"]),
    Flow("operator", "kk", lambda c: ["интернет жоқ", "операторға қосыңыз"]),
    Flow("operator", "ru", lambda c: ["нет интернета", "соедините с оператором"]),
    Flow("faq", "kk", lambda c: ["тарифті қалай ауыстырамын", "статикалық IP деген не?", "рахмет"]),
    Flow("faq", "ru", lambda c: ["переезжаю, как перенести интернет", "как вернуть роутер", "спасибо"]),
]


@dataclass
class Turn:
    started: float
    latency: Optional[float] = None  # until the customer saw an answer
    attempts: int = 0
    answered: bool = False
    why_resent: list[str] = field(default_factory=list)  # what the customer saw each time
    app_retries: int = 0  # sent again by the chat app (same message id), not by the customer


@dataclass
class Conversation:
    flow: Flow
    sender: str
    login: Optional[str] = None
    replies: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    finished: bool = False
    callback_expected: bool = True  # callbacks are filed inside the callback window only (set by converse)
    channel: str = "rest"  # or "widget": Socket.IO through the balancer (bench/soak_widget.py)


class Cluster:
    """scripts/cluster.sh with the soak's own ports, directory and database."""

    managed = True

    def __init__(self, port: int, base_port: int, redis_port: int, database: str, directory: Path) -> None:
        self.env = {**os.environ, "DANA_CLUSTER_PORT": str(port), "DANA_CLUSTER_BASE_PORT": str(base_port),
                    "REDIS_PORT": str(redis_port), "DANA_CLUSTER_DB": database,
                    "DANA_CLUSTER_DIR": str(directory)}
        self.url = f"http://127.0.0.1:{port}"
        self.directory = directory

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(["bash", str(CLUSTER), *args], cwd=ROOT, env=self.env, text=True,
                              capture_output=True)
        if check and done.returncode:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done.stdout

    @property
    def token(self) -> str:
        return os.environ.get("RASA_AUTH_TOKEN") or (self.directory / "api-token").read_text().strip()

    @property
    def database_url(self) -> str:
        return subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), self.env["DANA_CLUSTER_DB"]],
                              cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]


class Deployment(Cluster):
    """A Dana already running elsewhere (no faults injected): --url, --token, --database-url."""

    managed = False

    def __init__(self, url: str, token: str, database_url: str) -> None:
        self.url, self._token, self._database_url = url.rstrip("/"), token, database_url

    @property
    def token(self) -> str:
        return self._token

    @property
    def database_url(self) -> str:
        return self._database_url


def unavailable_texts() -> set[str]:
    """The customer-facing "technical problem, write again" answers (both languages)."""
    import yaml

    texts = set()
    for path in (ROOT / "domain").rglob("*.yml"):
        responses = (yaml.safe_load(path.read_text()) or {}).get("responses") or {}
        for name in ("utter_service_unavailable",):
            texts.update(v["text"].split("{")[0].strip() for v in responses.get(name, []) if "text" in v)
    return {t for t in texts if t}


class Customer:
    def __init__(self, http: aiohttp.ClientSession, cluster: Cluster, unavailable: set[str]) -> None:
        self.http, self.cluster, self.unavailable = http, cluster, unavailable

    async def _tracker_turns(self, sender: str) -> Optional[list[list[str]]]:
        """Bot texts after each user message stored for this conversation, or None if unreadable."""
        url = f"{self.cluster.url}/conversations/{sender}/tracker?token={self.cluster.token}"
        try:
            async with self.http.get(url, timeout=aiohttp.ClientTimeout(total=30)) as answer:
                if answer.status != 200:
                    return None
                events = (await answer.json()).get("events", [])
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None
        turns: list[list[str]] = []
        for event in events:
            if event.get("event") == "user":
                turns.append([])
            elif event.get("event") == "bot" and turns and event.get("text"):
                turns[-1].append(event["text"])
        return turns

    def _is_unavailable(self, text: str) -> bool:
        """«Write again» anywhere in an answer (messages sent before a turn failed come first)."""
        return any(line.startswith(prefix) for line in text.split("\n") for prefix in self.unavailable)

    async def _post(self, body: dict, turn: Turn) -> tuple[Optional[str], str]:
        """The chat app's send: (reply, what was seen). A request that got no HTTP
        answer at all (the connection dropped) is sent again at once with the same
        message id — the server answers a message it already processed from the
        conversation (channels/rest.py) — as an app does, without the customer."""
        seen = ""
        for _ in range(APP_RETRIES + 1):
            try:
                async with self.http.post(f"{self.cluster.url}/webhooks/rest/webhook", json=body,
                                          timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as answer:
                    if answer.status != 200:
                        return None, f"HTTP {answer.status}"
                    reply = "\n".join(m.get("text", "") for m in await answer.json() if m.get("text"))
                    return reply, ("an empty answer" if not reply else "«write again»")
            except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as error:
                seen = type(error).__name__
                if isinstance(error, asyncio.TimeoutError):
                    break  # waited a whole turn: the customer decides
                turn.app_retries += 1
        return None, seen

    async def say(self, conversation: Conversation, text: str, done_turns: int) -> Turn:
        turn = Turn(started=time.monotonic())
        deadline = turn.started + GIVE_UP_AFTER
        body = {"sender": conversation.sender, "message": text, "message_id": uuid.uuid4().hex}
        while time.monotonic() < deadline:
            turn.attempts += 1
            reply, seen = await self._post(body, turn)
            if reply and not self._is_unavailable(reply):
                return self._answered(conversation, turn, reply)
            turn.why_resent.append(seen)
            body = {**body, "message_id": uuid.uuid4().hex}  # a customer's new message
            await asyncio.sleep(1.5)
            if await self.look_again(conversation, turn, done_turns, deadline):
                return turn
            # Never processed (or only "write again"): send it again, as a customer would.
        conversation.replies.append("")
        return turn

    async def look_again(self, conversation: Conversation, turn: Turn, done_turns: int, deadline: float) -> bool:
        """No answer, or «write again»: was the message answered after all? (What a
        reloaded chat shows: the conversation as stored.)"""
        stored = None
        while stored is None and time.monotonic() < deadline:
            stored = await self._tracker_turns(conversation.sender)
            if stored is None:
                await asyncio.sleep(1.0)
        if stored and len(stored) > done_turns:
            texts = [t for t in stored[done_turns] if not self._is_unavailable(t)]
            if texts:
                self._answered(conversation, turn, "\n".join(texts))
                return True
        return False

    @staticmethod
    def _answered(conversation: Conversation, turn: Turn, reply: str) -> Turn:
        turn.latency = time.monotonic() - turn.started
        turn.answered = True
        conversation.replies.append(reply)
        return turn


async def converse(customer: Customer, conversation: Conversation, think: tuple[float, float] = (0.0, 0.0),
                   rng: Optional[random.Random] = None) -> None:
    turns = conversation.flow.turns(conversation)
    # A callback is owed only if the window was open from the request to the
    # last answer: a run that crosses 22:00 Astana would otherwise count the
    # callbacks Dana rightly refused after it as lost.
    window_at_start = callback_window_open()
    chat = None
    if conversation.channel == "widget":
        from bench.soak_widget import WidgetChat

        chat = WidgetChat(customer.cluster.url, conversation.sender)
    try:
        if chat is not None:
            await chat.open()
        for number, text in enumerate(turns):
            if number and think[1]:  # reading the answer and typing the next message
                await asyncio.sleep((rng or random).uniform(*think))
            if chat is None:
                conversation.turns.append(await customer.say(conversation, text, number))
            else:
                from bench.soak_widget import say

                turn = Turn(started=time.monotonic())
                conversation.turns.append(await say(customer, chat, conversation, text, number, turn,
                                                    turn.started + GIVE_UP_AFTER))
    finally:
        if chat is not None:
            await chat.close()
    conversation.callback_expected = window_at_start and callback_window_open()
    conversation.finished = True


def prepare_database(database_url: str, logins: list[str]) -> None:
    """The soak's own database starts empty of requests and conversations, with
    a cable-cut subscriber per technician conversation."""
    os.environ["DANA_DATABASE_URL"] = database_url
    from sqlalchemy import text

    from bot.office.db import get_engine, init_db, new_session
    from bot.office.models import Subscriber

    init_db(database_url)
    with get_engine(database_url).begin() as connection:
        for table in ("receipts", "technician_tickets", "refund_requests", "payment_investigations",
                      "callback_requests", "consents", "handoffs", "events"):
            connection.execute(text(f"DELETE FROM {table}"))
    with new_session(database_url) as session, session.begin():
        for login in logins:
            session.merge(Subscriber(login=login, full_name="Сынақ Абонент", contact_phone="+77021234568",
                                     area="Павлодар, Солтүстік ауданы", address="Павлодар", fee_paid=True,
                                     line_status="cable_cut"))


def callback_window_open() -> bool:
    """By the servers' real clock — not bot.office.schedule.now_astana, which the
    test suite pins to noon (tests/conftest.py) while the cluster lives on."""
    from datetime import datetime

    from bot.config import ASTANA
    from bot.office.schedule import in_callback_window

    return in_callback_window(datetime.now(ASTANA))


def audit(database_url: str, conversations: list[Conversation]) -> dict:
    """Duplicates and lost requests, read from the back office."""
    from sqlalchemy import select

    from bot.office.db import new_session
    from bot.office.models import CallbackRequest, PaymentInvestigation, RefundRequest, TechnicianTicket

    senders = {c.sender for c in conversations}
    logins = {c.login for c in conversations if c.login}
    with new_session(database_url) as session:
        rows = {
            "tickets": [(t.id, t.login) for t in session.execute(
                select(TechnicianTicket).where(TechnicianTicket.login.in_(logins))).scalars()] if logins else [],
            "refunds": [(r.id, r.conversation_id) for r in session.execute(select(RefundRequest)).scalars()
                        if r.conversation_id in senders],
            "investigations": [(r.id, r.conversation_id) for r in session.execute(
                select(PaymentInvestigation)).scalars() if r.conversation_id in senders],
            "callbacks": [(r.id, r.conversation_id) for r in session.execute(select(CallbackRequest)).scalars()
                          if r.conversation_id in senders],
        }
    duplicates = {kind: sum(n - 1 for n in Counter(key for _, key in found).values() if n > 1)
                  for kind, found in rows.items()}
    ids = {kind: {row_id: key for row_id, key in found} for kind, found in rows.items()}
    keyed = {kind: {key for _, key in found} for kind, found in rows.items()}
    lost_number, lost_silent, filed = 0, 0, Counter()
    for c in conversations:
        kind = c.flow.files
        if not kind or (kind == "callbacks" and not c.callback_expected):
            continue
        key = c.login if kind == "tickets" else c.sender
        told = [int(n) for reply in c.replies for n in NUMBER.findall(reply)]
        if any(ids[kind].get(n) != key for n in told):
            lost_number += 1  # told a number that is not this customer's row
        if c.finished and all(t.answered for t in c.turns) and not told:
            lost_silent += 1  # gave everything, got no number
        if key in keyed[kind]:
            filed[kind] += 1
    return {"duplicates": duplicates, "lost": {"number_without_row": lost_number,
                                               "all_data_no_number": lost_silent},
            "filed": dict(filed)}


async def twice_processed(customer: Customer, conversations: list[Conversation]) -> int:
    """User messages stored more often than the customer sent them."""
    extra = 0
    for c in conversations:
        stored = await customer._tracker_turns(c.sender)
        if stored is not None:
            extra += max(0, len(stored) - len(c.turns))
    return extra


RECOVERY_BUCKET = 5.0  # s of turns per p95 while watching a fault's recovery (~100 turns)
RECOVERED = 1.5  # × the before-fault p95
STAYS_BACK = 2  # stretches in a row within it: recovered (a later blip is not this fault's)


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest rank; NaN for no values (bench/storm.py's empty windows)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def p95(values: list[float]) -> float:
    return quantile(values, 0.95)


def recovery(turns: list["Turn"], faults: list[tuple[float, float]], before_p95: float) -> list[dict]:
    """For each fault (start, next fault's start or the end): the seconds until
    the p95 of the turns begun in each following 5-second stretch is back within
    1.5× the before-fault p95 for two stretches in a row, and the longest wait of
    a turn begun before the next fault."""
    found = []
    for at, until in faults:
        window = [t for t in turns if at <= t.started < until]
        slow_until = at
        bucket = at
        stretches: list[Optional[int]] = []
        good_in_a_row = 0
        while bucket < until:
            latencies = [t.latency if t.answered else GIVE_UP_AFTER for t in window
                         if bucket <= t.started < bucket + RECOVERY_BUCKET]
            stretches.append(round(p95(latencies) * 1000) if latencies else None)
            if latencies and p95(latencies) > RECOVERED * before_p95:
                if good_in_a_row < STAYS_BACK:  # not yet recovered: still the fault's doing
                    slow_until = bucket + RECOVERY_BUCKET
                    good_in_a_row = 0
            elif latencies:
                good_in_a_row += 1
            bucket += RECOVERY_BUCKET
        longest = max((t.latency if t.answered else GIVE_UP_AFTER for t in window), default=0.0)
        found.append({"back_within_s": round(slow_until - at, 1), "longest_wait_s": round(longest, 2),
                      "p95_ms_per_stretch": stretches})
    return found


def percentiles(values: list[float]) -> str:
    if not values:
        return "—"
    return f"p50 {quantile(values, 0.5) * 1000:.0f} ms, p95 {p95(values) * 1000:.0f} ms ({len(values)} turns)"


async def run(args, cluster: Cluster) -> dict:
    faults = list(FAULTS[args.faults])
    rng = random.Random(args.seed)
    counter = itertools.count(1)
    run_id = f"{int(time.time())}"
    conversations: list[Conversation] = []
    for index in range(args.conversations):
        flow = FLOWS[index % len(FLOWS)]
        c = Conversation(flow=flow, sender=f"soak-{run_id}-{flow.name}-{flow.lang}-{next(counter)}")
        # Every n-th conversation on the widget, spread over the flows (16 of them).
        widget_every = round(1 / widget_share) if (widget_share := getattr(args, "widget_share", 0.0)) else 0
        if widget_every and (index // len(FLOWS)) % widget_every == 0:
            c.channel = "widget"
        if flow.name == "technician":
            c.login = f"{SOAK_LOGIN_PREFIX}{index:06d}"
        conversations.append(c)
    rng.shuffle(conversations)
    prepare_database(cluster.database_url, [c.login for c in conversations if c.login])

    queue: asyncio.Queue = asyncio.Queue()
    for c in conversations:
        queue.put_nowait(c)
    finished = 0
    fault_log: list[tuple[float, str]] = []
    fault_starts: list[float] = []
    first_fault = last_fault = None
    started = time.monotonic()

    async def inject_faults() -> None:
        nonlocal first_fault, last_fault
        for fraction, command, service in faults:
            while finished < fraction * len(conversations):
                await asyncio.sleep(0.2)
            at = time.monotonic()
            fault_starts.append(at)
            first_fault = first_fault or at
            await asyncio.to_thread(cluster.run, command, service)
            last_fault = time.monotonic()
            fault_log.append((round(at - started, 1), f"{command} {service} ({last_fault - at:.1f} s)"))
            print(f"  [{at - started:6.1f} s] {command} {service}", flush=True)

    async with aiohttp.ClientSession() as http:
        customer = Customer(http, cluster, unavailable_texts())

        async def worker() -> None:
            nonlocal finished
            while not queue.empty():
                c = queue.get_nowait()
                await converse(customer, c, getattr(args, "think", (0.0, 0.0)), rng)
                finished += 1
                if finished % max(1, len(conversations) // 10) == 0:
                    print(f"  {finished}/{len(conversations)} conversations", flush=True)

        # Warm both servers first (the first turns of a fresh server are slow):
        # "before the faults" then measures the cluster as it normally runs.
        warm = [Conversation(flow=flow, sender=f"soak-{run_id}-warmup-{n}")
                for n, flow in enumerate([f for f in FLOWS if f.name in ("faq", "diagnostics")] * 4)]
        await asyncio.gather(*(converse(customer, c) for c in warm))
        started = time.monotonic()
        faulting = asyncio.create_task(inject_faults())
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        await faulting
        elapsed = time.monotonic() - started
        twice = await twice_processed(customer, conversations)

    turns = [t for c in conversations for t in c.turns]
    answered = [t for t in turns if t.answered]

    def phase(t: Turn) -> str:
        if first_fault is None or t.started < first_fault:
            return "before"
        return "during" if t.started <= (last_fault or first_fault) + 5 else "after"

    latencies = defaultdict(list)
    for t in answered:
        latencies[phase(t)].append(t.latency)
    before_p95 = p95(latencies["before"]) if latencies["before"] else 0.0
    end = time.monotonic()
    windows = list(zip(fault_starts, fault_starts[1:] + [end]))
    recovered = recovery(turns, windows, before_p95) if before_p95 else []
    after_p95 = p95(latencies["after"]) if latencies["after"] else 0.0
    result = {
        "conversations": len(conversations),
        "completed": sum(c.finished and all(t.answered for t in c.turns) for c in conversations),
        "user_turns": len(turns),
        "turns_without_reply": len(turns) - len(answered),
        "turns_resent": sum(t.attempts > 1 for t in turns),
        "by_channel": {
            channel: {
                "conversations": sum(c.channel == channel for c in conversations),
                "turns": sum(len(c.turns) for c in conversations if c.channel == channel),
                "sent_again": sum(t.attempts > 1 for c in conversations if c.channel == channel for t in c.turns),
                "latency": percentiles([t.latency for c in conversations if c.channel == channel
                                        for t in c.turns if t.answered]),
            }
            for channel in ("rest", "widget")
        },
        "resent_because": dict(Counter(why for t in turns if t.attempts > 1 for why in t.why_resent[:1])),
        "resent_at_s": sorted(round(t.started - started, 1) for t in turns if t.attempts > 1),
        "app_retries": sum(t.app_retries for t in turns),
        "turns_processed_twice": twice,
        "elapsed_s": round(elapsed, 1),
        "messages_per_s": round(len(turns) / elapsed, 1),
        "faults": fault_log,
        "callbacks_expected": sum(c.flow.files == "callbacks" and c.callback_expected for c in conversations),
        **audit(cluster.database_url, conversations),
        "latency": {name: percentiles(latencies[name]) for name in ("before", "during", "after")},
        "p95_ms": {"before": round(before_p95 * 1000), "after": round(after_p95 * 1000)},
        "recovery": [{"fault": what, **figures} for (_, what), figures in zip(fault_log, recovered)],
        "longest_wait_s": round(max((t.latency if t.answered else GIVE_UP_AFTER for t in turns), default=0.0), 2),
    }
    return result


def report(result: dict) -> None:
    print("\nSoak result")
    print(f"  conversations completed     {result['completed']}/{result['conversations']}"
          f" in {result['elapsed_s']} s ({result['messages_per_s']} msg/s)")
    print(f"  user turns                  {result['user_turns']}; without a reply {result['turns_without_reply']};"
          f" sent again {result['turns_resent']}; processed twice {result['turns_processed_twice']}")
    print(f"  sent again by the app        {result['app_retries']} (same message id, a dropped connection)")
    for channel, figures in result["by_channel"].items():
        print(f"  {channel:<27} {figures['conversations']} conversations, {figures['turns']} turns,"
              f" sent again {figures['sent_again']}, {figures['latency']}")
    if result["resent_because"]:
        print(f"  sent again after            {result['resent_because']} at {result['resent_at_s']} s")
    print(f"  duplicates                  {result['duplicates']}")
    print(f"  lost requests               {result['lost']}")
    print(f"  filed                       {result['filed']} (callbacks owed, window open: {result['callbacks_expected']})")
    for name, figures in result["latency"].items():
        print(f"  latency {name:<7}             {figures}")
    for at, what in result["faults"]:
        print(f"  fault at {at:>6} s            {what}")
    if result["recovery"]:
        print(f"  recovery (p95 back within {RECOVERED}× the before-fault {result['p95_ms']['before']} ms;"
              f" targets ≤ {RECOVERY_TARGET_S:.0f} s, no wait over {RECOVERY_TARGET_S:.0f} s)")
        for figures in result["recovery"]:
            print(f"    {figures['fault']:<34} back within {figures['back_within_s']:>5} s,"
                  f" longest wait {figures['longest_wait_s']:>6} s")
    print(f"  longest wait of any turn    {result['longest_wait_s']} s")
    for problem in recovery_problems(result):
        print(f"  MISSED: {problem}")


def recovery_problems(result: dict) -> list[str]:
    """Issue 18's targets that this run missed."""
    problems = []
    for figures in result["recovery"]:
        if figures["back_within_s"] > RECOVERY_TARGET_S:
            problems.append(f"{figures['fault']}: p95 back only after {figures['back_within_s']} s")
    if result["longest_wait_s"] > RECOVERY_TARGET_S:
        problems.append(f"a customer waited {result['longest_wait_s']} s")
    if result["turns_resent"]:
        problems.append(f"{result['turns_resent']} turns sent again by the customer")
    before, after = result["p95_ms"]["before"], result["p95_ms"]["after"]
    if before and after > RECOVERED * before:
        problems.append(f"after the faults p95 {after} ms > {RECOVERED}× before ({before} ms)")
    return problems


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--think", type=lambda v: tuple(float(x) for x in v.split("-")), default=(1.0, 3.0),
                        help="seconds a customer takes between an answer and the next message, min-max (0-0: none)")
    parser.add_argument("--faults", choices=sorted(FAULTS), default="full")
    parser.add_argument("--widget-share", type=float, default=0.25,
                        help="share of conversations on the widget (Socket.IO) instead of REST")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SOAK_PORT", 8100)))
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("SOAK_BASE_PORT", 5300)))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("SOAK_REDIS_PORT", 6391)))
    parser.add_argument("--database", default="dana_soak")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "soak-cluster")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the cluster running")
    parser.add_argument("--one-server", action="store_true",
                        help="stop rasa-2 and actions-2 first and inject no faults: the baseline to compare with")
    parser.add_argument("--gate", action="store_true", help="exit 1 on a duplicate or lost request")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    parser.add_argument("--url", help="drive a Dana already running here instead (no faults)")
    parser.add_argument("--token", default=os.environ.get("RASA_AUTH_TOKEN", ""), help="its API token")
    parser.add_argument("--database-url", default=os.environ.get("DANA_DATABASE_URL"), help="its database")
    args = parser.parse_args(argv)

    if args.url:
        cluster: Cluster = Deployment(args.url, args.token, args.database_url)
        args.faults = "none"
    else:
        cluster = Cluster(args.port, args.base_port, args.redis_port, args.database, args.dir)
        print(f"==> cluster on {cluster.url} (log: {args.dir / 'log'})", flush=True)
        cluster.run("up")
        if args.one_server:
            args.faults = "none"
            for service in ("rasa-2", "actions-2"):
                cluster.run("kill", service)
            time.sleep(5)  # HAProxy's health checks take them out of rotation
    try:
        result = asyncio.run(run(args, cluster))
    finally:
        if cluster.managed and not args.keep_cluster:
            cluster.run("down", check=False)
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    bad = sum(result["duplicates"].values()) + sum(result["lost"].values()) + result["turns_without_reply"]
    return 1 if args.gate and (bad or recovery_problems(result)) else 0


if __name__ == "__main__":
    sys.exit(main())
