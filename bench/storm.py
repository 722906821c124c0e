"""Storm benchmark: thousands of customers with think time, an outage storm and
long conversations, driven by Locust (bench/storm_locust.py), on one server and
on the cluster. `make storm` runs `python -m bench.storm`.

For each deployment — one Rasa server with its action server (SQLite, as
`make run`), and the local cluster (scripts/cluster.sh: two Rasa and two action
servers behind HAProxy, PostgreSQL, Redis; its own ports, directory, Redis and
database) — in this order:

1. **sessions**: ``--sessions`` widget tabs connect, take a session and say
   nothing; the server's memory per open Socket.IO session.
2. **think**: ``--users`` customers (``--widget-share`` of them on the widget,
   the rest on REST) in short conversations, a message every 10–30 s
   (``--think``), spawned over ``--ramp`` seconds and held ``--hold`` seconds;
   beside them ``--long-users`` customers in one conversation of 40 FAQ and
   small-talk messages each (every 3–3.5 s), begun once the others are all there.
   Figures of the steady state (from the end of the ramp + ``--settle`` 30 s:
   every customer has spoken by then); latency by place in the long conversations.
3. **outage**: ``--storm-customers`` subscribers of one area with a declared
   outage arrive over ``--storm-window`` seconds, say the internet is down and
   give their login; each must get the outage with its ETA, and nothing may be
   filed for them (tickets, callbacks, refunds, investigations, hand-offs).

Before the deployments, ``bench.turn_cost`` measures, one conversation at a
time in one process, the CPU of each message by its place in a 40-message
conversation, with the tracker store's cache and the incremental dialogue
states off and on (the before and after of one run).

Prints a table per deployment (customers held, messages/s, p50/p95/p99, errors,
server memory per open customer and per open widget session, CPU of the
servers and of the load generator), latency by place in the conversation and
the targets of issue 21 met or missed; writes results/storm.json and
results/storm.md. The load generator runs on the same 2 cores as the servers
(nice ``--locust-nice``); its CPU is reported beside theirs.

    python -m bench.storm [--deployments single,cluster] [--users N] [--single-users N] [--sessions N]
                          [--storm-customers N] [--storm-window S] [--ramp S] [--hold S] [--quick]
                          [--no-compare] [--compare-users 1000] [--compare-hold 110]
    python -m bench.storm --compare     # only the before/after comparison

After the deployments (``--no-compare``: not), the comparison runs the
think-time scenario (with the long conversations) on one server once per
variant of ``VARIANTS`` — nothing kept and Python's GC thresholds; recent
conversations and their states kept; then GC thresholds too — each on a fresh
server, ``--compare-users`` customers, and prints them side by side (also
results/storm-compare.json): every change before and after, in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional, Sequence

from tabulate import tabulate

from bench.load import _free_base_port, _free_port, _wait, cpu_seconds, memory_mb
from bench.soak import quantile

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "storm"
RESULTS = ROOT / "results"
VENV_BIN = ROOT / ".venv" / "bin"
LOCUSTFILE = ROOT / "bench" / "storm_locust.py"
STORM_AREA = "Астана, Сарыарқа ауданы"  # one district: the outage's
STORM_PREFIX = "0878"  # logins of the storm's subscribers (the soak uses 0877)
TURNS_SHOWN = (1, 4, 10, 20, 30, 40)

# Issue 21's targets.
P95_TARGET_MS = 300.0
CLUSTER_CUSTOMERS = 5000
SINGLE_WIDGET_SESSIONS = 2000
TURN_RATIO_TARGET = 1.2


# Figures ----------------------------------------------------------------------------------
@dataclass
class Turns:
    """A set of turns' figures."""

    count: int
    errors: int
    per_s: float
    p50: float
    p95: float
    p99: float
    why: dict = field(default_factory=dict)


def turn_figures(records: Sequence[Sequence[Any]], start: float, end: float, scenario: Optional[str] = None,
                 channel: Optional[str] = None) -> Turns:
    """Turns begun in [start, end) (records: [start, ms, ok, scenario, channel, turn, error])."""
    chosen = [r for r in records if start <= r[0] < end and (scenario is None or r[3] == scenario)
              and (channel is None or r[4] == channel)]
    latencies = [r[1] for r in chosen]
    why: dict = {}
    for r in chosen:
        if not r[2]:
            why[r[6] or "error"] = why.get(r[6] or "error", 0) + 1
    span = max(end - start, 1e-9)
    return Turns(len(chosen), sum(1 for r in chosen if not r[2]), len(chosen) / span,
                 quantile(latencies, 0.5), quantile(latencies, 0.95), quantile(latencies, 0.99), why)


def by_turn(records: Sequence[Sequence[Any]], scenario: str = "long",
            turns: Sequence[int] = TURNS_SHOWN) -> dict[int, tuple[int, float, float]]:
    """Place in the conversation → (turns, p50 ms, p95 ms), answered turns only."""
    found = {}
    for number in turns:
        latencies = [r[1] for r in records if r[3] == scenario and r[5] == number and r[2]]
        found[number] = (len(latencies), quantile(latencies, 0.5), quantile(latencies, 0.95))
    return found


# The same three questions of the long conversation's cycle of six (bench/storm_locust.py LONG).
EARLY_TURNS, LATE_TURNS = (2, 3, 4), (38, 39, 40)


def by_turns(records: Sequence[Sequence[Any]], turns: Sequence[int], scenario: str = "long") -> tuple[int, float]:
    """(answered turns, p50 ms) of the messages at these places together (three
    times the samples of one place: under load one place's p50 is noisy)."""
    latencies = [r[1] for r in records if r[3] == scenario and r[5] in turns and r[2]]
    return len(latencies), quantile(latencies, 0.5)


def ratio(figures: dict[int, tuple[int, float, float]], late: int = 40, early: int = 4) -> float:
    """p50 of message ``late`` over p50 of message ``early``."""
    if late not in figures or early not in figures or not figures[early][0] or not figures[late][0]:
        return float("nan")
    return figures[late][1] / figures[early][1]


def _per_bucket(samples: Sequence[Sequence[Any]], bucket: float) -> dict[int, tuple[int, int]]:
    """Bucket → (customers, open sockets) summed over the generator's processes
    (each process's last sample in the bucket)."""
    last: dict[tuple[int, Any], tuple[int, int]] = {}
    for at, count, open_sockets, *process in sorted(samples, key=lambda s: s[0]):
        last[(int(at // bucket), process[0] if process else 0)] = (count, open_sockets)
    sums: dict[int, tuple[int, int]] = {}
    for (key, _), (count, open_sockets) in last.items():
        users, sockets = sums.get(key, (0, 0))
        sums[key] = (users + count, sockets + open_sockets)
    return sums


def held(samples: Sequence[Sequence[Any]], start: float, end: float, bucket: float = 5.0) -> tuple[int, int]:
    """(customers, open widget sockets) held throughout [start, end): the lowest,
    per ``bucket`` seconds, of the sums over the generator's processes."""
    inside = _per_bucket([s for s in samples if start <= s[0] < end], bucket)
    return (min(u for u, _ in inside.values()) if inside else 0, min(s for _, s in inside.values()) if inside else 0)


def most_held(samples: Sequence[Sequence[Any]], start: float, end: float, bucket: float = 2.0) -> tuple[int, int]:
    """(customers, open widget sockets) at their most in [start, end)."""
    inside = _per_bucket([s for s in samples if start <= s[0] < end], bucket)
    return (max(u for u, _ in inside.values()) if inside else 0, max(s for _, s in inside.values()) if inside else 0)


def ramp_end(samples: Sequence[Sequence[Any]], target: int, bucket: float = 2.0) -> Optional[float]:
    """When the customers (summed over the generator's processes) first reached ``target``."""
    for key, (users, _) in sorted(_per_bucket(samples, bucket).items()):
        if users >= target:
            return (key + 1) * bucket
    return None


def per_unit_kb(before_mb: float, during_mb: float, units: int) -> float:
    return (during_mb - before_mb) * 1024 / units if units else float("nan")


def verdict(met: bool, detail: str) -> str:
    return f"{'met' if met else 'MISSED'}: {detail}"


# Deployments -----------------------------------------------------------------------------
class Deployment:
    name = ""
    url = ""
    database_url = ""

    def up(self) -> None:
        raise NotImplementedError

    def down(self) -> None:
        raise NotImplementedError

    def servers(self) -> list[int]:
        """Rasa servers' process ids."""
        raise NotImplementedError

    def actions(self) -> list[int]:
        raise NotImplementedError

    def others(self) -> list[int]:
        """What else serves the customers (balancer, Redis, PostgreSQL)."""
        return []

    def metrics_urls(self) -> list[str]:
        """Each Rasa server's /metrics (docs/metrics.md)."""
        raise NotImplementedError

    def server_ports(self) -> list[int]:
        return [int(url.rsplit(":", 1)[1].split("/")[0]) for url in self.metrics_urls()]


def _server_env(database_url: str, action_url: str) -> dict:
    return {**os.environ, "ACTION_SERVER_URL": action_url, "DANA_DATABASE_URL": database_url,
            "SANIC_WORKERS": "1", "DANA_LOCK_STORE": "in_memory", "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT)}


class SingleServer(Deployment):
    """One Rasa server and one action server on SQLite, as `make run` starts them."""

    name = "single"

    def __init__(self, port: int, action_port: int, database_url: str, extra_env: Optional[dict] = None) -> None:
        self.port, self.action_port, self.database_url = port, action_port, database_url
        self.extra_env = extra_env or {}
        self.url = f"http://127.0.0.1:{port}"
        self._server: Optional[subprocess.Popen] = None
        self._actions: Optional[subprocess.Popen] = None

    def up(self) -> None:
        env = {**_server_env(self.database_url, f"http://127.0.0.1:{self.action_port}/webhook"), **self.extra_env}
        logs = OUT / "single"
        self._actions = subprocess.Popen(
            [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(self.action_port)],
            cwd=ROOT, env=env, stdout=open(logs / "actions.log", "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self._server = subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "bot.server", "run", "-m", "models/dana.tar.gz", "-p", str(self.port),
             "-i", "127.0.0.1", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=open(logs / "server.log", "w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        _wait(f"http://127.0.0.1:{self.action_port}/health", 120)
        _wait(f"{self.url}/", 300)

    def down(self) -> None:
        for process in (self._server, self._actions):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def servers(self) -> list[int]:
        return [self._server.pid] if self._server else []

    def metrics_urls(self) -> list[str]:
        return [f"{self.url}/metrics"]

    def actions(self) -> list[int]:
        return [self._actions.pid] if self._actions else []


class ClusterDeployment(Deployment):
    """scripts/cluster.sh on its own ports, directory, Redis and PostgreSQL database."""

    name = "cluster"

    def __init__(self, database: str, redis_port: int) -> None:
        self.directory = OUT / "cluster"
        port = _free_port()
        self.env = {**os.environ, "DANA_CLUSTER_PORT": str(port), "DANA_CLUSTER_BASE_PORT": str(_free_base_port()),
                    "DANA_CLUSTER_DIR": str(self.directory), "DANA_CLUSTER_DB": database,
                    "REDIS_PORT": str(redis_port)}
        self.url = f"http://127.0.0.1:{port}"
        self.redis_port = redis_port
        self.database_url = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), database], cwd=ROOT,
                                           check=True, capture_output=True, text=True).stdout.split()[-1]

    def _cluster(self, command: str) -> None:
        subprocess.run(["bash", str(ROOT / "scripts" / "cluster.sh"), command], cwd=ROOT, env=self.env, check=True,
                       stdout=open(OUT / "cluster-sh.log", "a"), stderr=subprocess.STDOUT)

    def up(self) -> None:
        self._cluster("up")

    def down(self) -> None:
        self._cluster("down")

    def _pid(self, name: str) -> Optional[int]:
        try:
            return int((self.directory / f"{name}.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def servers(self) -> list[int]:
        return [p for p in (self._pid("rasa-1"), self._pid("rasa-2")) if p]

    def metrics_urls(self) -> list[str]:
        base = int(self.env["DANA_CLUSTER_BASE_PORT"])
        return [f"http://127.0.0.1:{base + n}/metrics" for n in (1, 2)]

    def actions(self) -> list[int]:
        return [p for p in (self._pid("actions-1"), self._pid("actions-2")) if p]

    def others(self) -> list[int]:
        found = [p for p in (self._pid("balancer"),) if p]
        try:
            info = subprocess.run(["redis-cli", "-p", str(self.redis_port), "info", "server"], capture_output=True,
                                  text=True, timeout=5).stdout
            found += [int(line.split(":")[1]) for line in info.splitlines() if line.startswith("process_id:")]
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        for pid_file in Path("/var/lib/postgresql").glob("*/main/postmaster.pid"):
            try:
                found.append(int(pid_file.read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return found


# The database --------------------------------------------------------------------------------
def prepare_database(database_url: str, customers: int, fresh_sqlite: Optional[Path] = None) -> tuple[list, str]:
    """The storm's subscribers (one area) and its declared outage; the logins and
    the ETA as Dana writes it. Earlier runs' storm rows and conversations go."""
    os.environ["DANA_DATABASE_URL"] = database_url
    from sqlalchemy import inspect, text

    from bot.office.db import get_engine, init_db, new_session
    from bot.office.models import Outage, Subscriber, utcnow
    from bot.office.seed import seed
    from bot.text.formats import customer_moment

    if fresh_sqlite is not None:
        for stale in fresh_sqlite.parent.glob(fresh_sqlite.name + "*"):
            stale.unlink()
    init_db(database_url)
    logins = [f"{STORM_PREFIX}{n:06d}" for n in range(customers)]
    now = utcnow()
    with get_engine(database_url).begin() as connection:
        like = {"prefix": STORM_PREFIX + "%"}
        for table in ("technician_tickets", "outage_notices"):
            connection.execute(text(f"DELETE FROM {table} WHERE login LIKE :prefix"), like)
        connection.execute(text("DELETE FROM outage_notices WHERE outage_id IN "
                                "(SELECT id FROM outages WHERE area = :area)"), {"area": STORM_AREA})
        connection.execute(text("DELETE FROM outages WHERE area = :area"), {"area": STORM_AREA})
        connection.execute(text("DELETE FROM subscribers WHERE login LIKE :prefix"), like)
        if inspect(connection).has_table("events"):  # the bench's own database: earlier runs' conversations
            connection.execute(text("DELETE FROM events"))
    eta = now + timedelta(hours=3)
    with new_session(database_url) as session, session.begin():
        seed(session, now)
        session.add_all([Subscriber(login=login, full_name="Сынақ Абонент", contact_phone="+77021234568",
                                    area=STORM_AREA, address=f"{STORM_AREA}, {n}", fee_paid=True, line_status="ok")
                         for n, login in enumerate(logins)])
        session.add(Outage(area=STORM_AREA, started_at=now - timedelta(minutes=20), expected_end=eta,
                           note="storm bench / магистральдық кабель"))
    return logins, customer_moment(eta)


def audit_storm(database_url: str, logins: Sequence[str], since: Any) -> dict:
    """What was filed during the storm (nothing may be) and how many were told of the outage."""
    from sqlalchemy import func, select

    from bot.office.db import new_session
    from bot.office.models import (
        CallbackRequest,
        Handoff,
        Outage,
        OutageNotice,
        PaymentInvestigation,
        RefundRequest,
        TechnicianTicket,
    )

    storm = set(logins)
    with new_session(database_url) as session:
        tickets = session.execute(select(TechnicianTicket.login)).scalars().all()
        outage_id = session.execute(select(Outage.id).where(Outage.area == STORM_AREA)).scalar_one()
        told = session.execute(select(func.count(OutageNotice.id)).where(OutageNotice.outage_id == outage_id)).scalar()
        filed = {
            "tickets": sum(1 for login in tickets if login in storm),
            "callbacks": session.execute(select(func.count(CallbackRequest.id))
                                         .where(CallbackRequest.created_at >= since)).scalar(),
            "refunds": session.execute(select(func.count(RefundRequest.id))
                                       .where(RefundRequest.created_at >= since)).scalar(),
            "investigations": session.execute(select(func.count(PaymentInvestigation.id))
                                              .where(PaymentInvestigation.created_at >= since)).scalar(),
            "handoffs": session.execute(select(func.count(Handoff.id)).where(Handoff.created_at >= since)).scalar(),
        }
    return {"filed": filed, "told_of_outage": told}


# Measuring ----------------------------------------------------------------------------------
def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return (sum(fields) - idle) / ticks, sum(fields) / ticks


def connections_to(ports: Sequence[int]) -> list[int]:
    """Established TCP connections each local port holds (ss)."""
    found = []
    for port in ports:
        try:
            lines = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                                   capture_output=True, text=True, timeout=10).stdout
            found.append(sum(1 for line in lines.splitlines() if line.strip()))
        except (OSError, subprocess.TimeoutExpired):
            found.append(-1)
    return found


def pss_mb(pids: Sequence[int]) -> float:
    return sum(memory_mb(pid)[1] for pid in pids)


def tree_cpu(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


WATCHED = ("dana_messages_total", "dana_admission_timeouts_total", "dana_response_seconds_sum",
           "dana_response_seconds_count", "dana_rate_limited_total", "dana_action_errors_total")


def scrape(urls: Sequence[str]) -> dict:
    """The watched counters summed over the servers, and the admission queue at its longest
    (text exposition format; labels summed)."""
    found = {name: 0.0 for name in WATCHED}
    found["dana_admission_queue_depth"] = 0.0
    found["full_gc"] = 0.0
    for url in urls:
        try:
            text = urllib.request.urlopen(url, timeout=10).read().decode()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith('python_gc_collections_total{generation="2"}'):
                found["full_gc"] += float(line.rsplit(" ", 1)[1])
            if line.startswith("#") or " " not in line:
                continue
            name, value = line.split("{", 1)[0].split(" ", 1)[0], line.rsplit(" ", 1)[1]
            if name in found:
                if name == "dana_admission_queue_depth":
                    found[name] = max(found[name], float(value))
                else:
                    found[name] += float(value)
    return found


def counted(before: dict, after: dict) -> dict:
    """What the servers counted during a phase."""
    moved = {name: after[name] - before[name] for name in WATCHED}
    count = moved["dana_response_seconds_count"]
    return {"messages": moved["dana_messages_total"], "admission_timeouts": moved["dana_admission_timeouts_total"],
            "rate_limited": moved["dana_rate_limited_total"], "action_errors": moved["dana_action_errors_total"],
            "mean_response_ms": moved["dana_response_seconds_sum"] * 1000 / count if count else float("nan"),
            "admission_queue_at_end": after["dana_admission_queue_depth"],
            "full_gc": after["full_gc"] - before["full_gc"]}


@dataclass
class Phase:
    """One Locust run against a deployment, with what the servers used meanwhile."""

    name: str
    records: list
    samples: list
    started: float
    ended: float
    memory: list  # [epoch, servers PSS MB, actions PSS MB]
    cpu_s: dict  # servers, actions, others, generator, machine busy (seconds); wall
    returncode: int
    metrics: dict  # what the servers' /metrics counted meanwhile
    connections: list  # established connections per Rasa server near the end


def run_locust(deployment: Deployment, phase: str, classes: Sequence[str], users: int, spawn_rate: float,
               run_time: float, options: Sequence[str], args: argparse.Namespace) -> Phase:
    out = OUT / deployment.name / phase
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = [str(VENV_BIN / "python"), "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
               "-u", str(users), "-r", f"{spawn_rate:.2f}", "-t", f"{int(run_time)}s", "--host", deployment.url,
               "--csv", str(out / "locust"), "--storm-out", str(out), "--loglevel", "WARNING",
               "--exit-code-on-error", "0", "--stop-timeout", "2", *options, *classes]
    if args.locust_processes > 1:
        command[5:5] = ["--processes", str(args.locust_processes)]
    if args.locust_nice:
        command = ["nice", "-n", str(args.locust_nice), *command]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    servers, actions, others = deployment.servers(), deployment.actions(), deployment.others()
    cpu_before = {"servers": tree_cpu(servers), "actions": tree_cpu(actions), "others": tree_cpu(others)}
    busy_before = machine_busy()[0]
    metrics_before = scrape(deployment.metrics_urls())
    memory: list = []
    connections: list = []
    print(f"  [{deployment.name}] {phase}: {users} customers, {int(run_time)} s", flush=True)
    started = time.time()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(out / "locust.log", "w"),
                               stderr=subprocess.STDOUT)
    usage = None
    deadline = started + run_time + 120
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.time() > deadline:
            process.kill()
        memory.append([round(time.time(), 2), pss_mb(servers), pss_mb(actions)])
        if time.time() > started + run_time - 8 and not connections:  # near the end: who holds the sockets
            connections = connections_to(deployment.server_ports())
        time.sleep(2.0)
    ended = time.time()
    generator_cpu = usage.ru_utime + usage.ru_stime if usage is not None else float("nan")
    cpu = {"servers": tree_cpu(servers) - cpu_before["servers"], "actions": tree_cpu(actions) - cpu_before["actions"],
           "others": tree_cpu(others) - cpu_before["others"], "generator": generator_cpu,
           "machine": machine_busy()[0] - busy_before, "wall": ended - started}
    records: list = []
    samples: list = []
    for found in out.glob("records-*.json"):
        data = json.loads(found.read_text())
        records += data["records"]
        samples += data["samples"]
    return Phase(phase, records, samples, started, ended, memory, cpu, process.returncode,
                 counted(metrics_before, scrape(deployment.metrics_urls())), connections)


def memory_at(phase: Phase, start: float, end: float) -> tuple[float, float]:
    """Median servers' and actions' PSS sampled in [start, end)."""
    inside = [m for m in phase.memory if start <= m[0] < end] or phase.memory[-3:]
    return quantile([m[1] for m in inside], 0.5), quantile([m[2] for m in inside], 0.5)


def warm_up(deployment: Deployment) -> None:
    """A few conversations first: a fresh server's first turns are slow."""
    for n, text in enumerate(["Сәлеметсіз бе", "тарифті қалай ауыстырамын", "Здравствуйте, пропал интернет",
                              "0851234569", "спасибо", "рахмет"] * 2):
        body = json.dumps({"sender": f"storm-warm-{n % 3}", "message": text}).encode()
        request = urllib.request.Request(f"{deployment.url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=60).read()
        except OSError:
            time.sleep(1)


# One deployment ---------------------------------------------------------------------------
def measure(deployment: Deployment, users: int, args: argparse.Namespace) -> dict:
    database_url = deployment.database_url
    logins, eta = prepare_database(database_url, args.storm_customers,
                                   OUT / "single.db" if deployment.name == "single" else None)
    (OUT / deployment.name).mkdir(parents=True, exist_ok=True)
    (OUT / deployment.name / "logins.txt").write_text("\n".join(logins))
    print(f"==> {deployment.name}: starting", flush=True)
    deployment.up()
    result: dict = {"deployment": deployment.name, "customers": users}
    try:
        warm_up(deployment)
        time.sleep(3)
        idle = (pss_mb(deployment.servers()), pss_mb(deployment.actions()))
        result["idle_pss_mb"] = {"servers": idle[0], "actions": idle[1]}
        common = ["--turn-timeout", str(args.turn_timeout), "--think", args.think]
        if deployment.name == "cluster":
            common += ["--source-addresses", str(args.source_addresses)]

        # 1. Open widget tabs, nothing said.
        rate = max(1.0, args.sessions / args.sessions_ramp)
        sessions = run_locust(deployment, "sessions", ["IdleWidget"], args.sessions, rate,
                              args.sessions_ramp + args.sessions_hold, common, args)
        # The second half of the hold: on a slow minute the last tabs connect after the ramp.
        window = (sessions.ended - 2 - args.sessions_hold / 2, sessions.ended - 2)
        _, open_sockets = held(sessions.samples, *window)
        servers_mb, _ = memory_at(sessions, *window)
        result["sessions"] = {
            "open": open_sockets, "connect_errors": sum(1 for r in sessions.records if not r[2]),
            "servers_pss_mb": servers_mb, "kb_per_session": per_unit_kb(idle[0], servers_mb, open_sockets),
            "cpu": sessions.cpu_s, "metrics": sessions.metrics, "connections_per_server": sessions.connections,
        }

        # 2. Customers with think time, and long conversations beside them.
        rate = max(1.0, users / args.ramp)
        long_start = args.ramp + args.settle / 2
        think = run_locust(
            deployment, "think", ["RestCustomer", "WidgetCustomer", "LongRestCustomer", "LongWidgetCustomer"],
            users + args.long_users, rate, args.ramp + args.hold,
            common + ["--widget-share", str(args.widget_share), "--long-users", str(args.long_users),
                      "--long-start", str(long_start), "--long-think", args.long_think,
                      "--long-turns", str(args.long_turns), "--long-stagger", str(args.long_stagger)], args)
        spawned = ramp_end(think.samples, users + args.long_users) or (think.started + args.ramp)
        window = (spawned + args.settle, think.started + args.ramp + args.hold - 3)  # before Locust stops them
        customers, sockets = held(think.samples, *window)
        servers_mb, actions_mb = memory_at(think, *window)
        steady = turn_figures(think.records, *window, scenario="think")
        result["think"] = {
            "window_s": round(window[1] - window[0], 1), "held": customers, "sockets": sockets,
            "all": vars(steady),
            "rest": vars(turn_figures(think.records, *window, scenario="think", channel="rest")),
            "widget": vars(turn_figures(think.records, *window, scenario="think", channel="widget")),
            "whole_run_errors": sum(1 for r in think.records if not r[2]),
            "servers_pss_mb": servers_mb, "actions_pss_mb": actions_mb,
            "kb_per_customer": per_unit_kb(idle[0], servers_mb, customers),
            "cpu": think.cpu_s, "metrics": think.metrics, "connections_per_server": think.connections,
            "cpu_ms_per_message": {k: v * 1000 / max(1, len(think.records))
                                   for k, v in think.cpu_s.items() if k not in ("wall",)},
        }
        long_turns = by_turn(think.records)
        early, late = by_turns(think.records, EARLY_TURNS), by_turns(think.records, LATE_TURNS)
        result["long"] = {"all": vars(turn_figures(think.records, think.started, think.ended, scenario="long")),
                          "by_turn": {str(k): v for k, v in long_turns.items()}, "ratio_40_4": ratio(long_turns),
                          "early": early, "late": late,
                          "ratio_late_early": late[1] / early[1] if early[0] and late[0] else float("nan")}

        # 3. The outage storm.
        since_db = _db_now()
        rate = max(0.1, args.storm_customers / args.storm_window)
        run_time = args.storm_window + float(args.think.split("-")[-1]) + args.storm_tail
        storm = run_locust(deployment, "outage", ["OutageRestCustomer", "OutageWidgetCustomer"],
                           args.storm_customers, rate, run_time,
                           common + ["--widget-share", str(args.widget_share), "--storm-logins",
                                     str(OUT / deployment.name / "logins.txt"), "--storm-eta", eta], args)
        figures = turn_figures(storm.records, storm.started, storm.ended, scenario="outage")
        answered = sum(1 for r in storm.records if r[3] == "outage" and r[5] == 2 and r[2])
        stop_at = storm.started + run_time
        customers_done, sockets_end = most_held(storm.samples, stop_at - args.storm_tail - 5, stop_at - 2)
        result["outage"] = {
            "customers": args.storm_customers, "answered_with_eta": answered, "all": vars(figures),
            "login_turn": vars(turn_figures([r for r in storm.records if r[5] == 2], storm.started, storm.ended,
                                            scenario="outage")),
            "held_at_end": customers_done, "sockets_at_end": sockets_end,
            **audit_storm(database_url, logins, since_db), "cpu": storm.cpu_s, "metrics": storm.metrics, "eta": eta,
        }
    finally:
        print(f"==> {deployment.name}: stopping", flush=True)
        deployment.down()
    return result


def _db_now() -> Any:
    from bot.office.models import utcnow

    return utcnow() - timedelta(seconds=1)


# Report -------------------------------------------------------------------------------------
def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"  # NaN: none


def deployment_table(result: dict) -> str:
    think, long_, outage, sessions = result["think"], result["long"], result["outage"], result["sessions"]
    cores = lambda cpu, key: cpu[key] / cpu["wall"]  # noqa: E731
    rows = []
    for name, figures, customers, memory in (
        ("think time 10–30 s: REST + widget", think["all"], f"{think['held']} ({think['sockets']} widget)",
         f"{think['kb_per_customer']:.0f} KB / customer"),
        ("  … REST", think["rest"], "", ""),
        ("  … widget", think["widget"], "", ""),
        ("long conversations (40 turns), beside them", long_["all"], "", ""),
        ("outage storm", outage["all"], f"{outage['customers']} arrived ({outage['sockets_at_end']} widget open)",
         ""),
        ("widget tabs open, nothing said", {"count": 0, "errors": sessions["connect_errors"], "per_s": 0.0,
                                            "p50": float("nan"), "p95": float("nan"), "p99": float("nan")},
         f"{sessions['open']} sessions", f"{sessions['kb_per_session']:.0f} KB / session"),
    ):
        rows.append([name, customers, f"{figures['per_s']:.1f}" if figures["count"] else "–", _ms(figures["p50"]),
                     _ms(figures["p95"]), _ms(figures["p99"]), f"{figures['errors']} / {figures['count']}", memory])
    table = tabulate(rows, headers=["scenario", "customers held", "msg/s", "p50 ms", "p95 ms", "p99 ms",
                                    "errors / turns", "server memory (PSS)"], tablefmt="github")
    cpu_rows = []
    for phase in ("think", "outage"):
        cpu = result[phase]["cpu"]
        cpu_rows.append([phase, f"{cores(cpu, 'servers'):.2f}", f"{cores(cpu, 'actions'):.2f}",
                         f"{cores(cpu, 'others'):.2f}", f"{cores(cpu, 'generator'):.2f}",
                         f"{cores(cpu, 'machine'):.2f} of {os.cpu_count()}"])
    cpu_table = tabulate(cpu_rows, headers=["phase", "Rasa servers", "action servers", "HAProxy + Redis + PostgreSQL",
                                            "load generator (Locust)", "whole machine"], tablefmt="github")
    return f"{table}\n\nCPU, cores busy on average during the phase:\n\n{cpu_table}"


def turn_table(results: Sequence[dict], probe: Optional[dict]) -> str:
    headers = (["place in the conversation"] + [f"msg {n}" for n in TURNS_SHOWN]
               + ["40th / 4th", "msgs 38–40 / 2–4"])
    rows = []
    for result in results:
        figures = {int(k): v for k, v in result["long"]["by_turn"].items()}
        long_ = result["long"]
        rows.append([f"{result['deployment']}, under load: p50 (p95) ms"]
                    + [f"{_ms(figures[n][1])} ({_ms(figures[n][2])})" for n in TURNS_SHOWN]
                    + [f"{long_['ratio_40_4']:.2f}", f"{long_['ratio_late_early']:.2f} ({_ms(long_['late'][1])} / "
                       f"{_ms(long_['early'][1])} ms, {long_['late'][0]} / {long_['early'][0]} turns)"])
    for variant, figures in (probe or {}).get("variants", {}).items():
        per_turn = {int(k): v for k, v in figures["cpu_ms"].items()}
        rows.append([f"one at a time, {variant}: CPU ms"] + [f"{per_turn[n]:.2f}" for n in TURNS_SHOWN]
                    + [f"{figures['ratio_40_4']:.2f}", ""])
    return tabulate(rows, headers=headers, tablefmt="github")


def targets(results: Sequence[dict], probe: Optional[dict]) -> list[tuple[str, str]]:
    by_name = {r["deployment"]: r for r in results}
    found = []
    cluster = by_name.get("cluster")
    if cluster:
        think = cluster["think"]
        ok = (think["held"] >= CLUSTER_CUSTOMERS and think["all"]["p95"] <= P95_TARGET_MS
              and think["all"]["errors"] == 0)
        found.append(("5,000 customers with think time on the cluster (≈250 msg/s), p95 ≤ 300 ms, no error",
                       verdict(ok, f"{think['held']} held, {think['all']['per_s']:.0f} msg/s, p95 "
                                   f"{_ms(think['all']['p95'])} ms, {think['all']['errors']} errors")))
    single = by_name.get("single")
    if single:
        think = single["think"]
        ok = (think["sockets"] >= SINGLE_WIDGET_SESSIONS and think["all"]["errors"] == 0
              and think["all"]["p95"] <= P95_TARGET_MS and single["sessions"]["open"] >= SINGLE_WIDGET_SESSIONS)
        found.append(("2,000 open widget sessions on one server",
                       verdict(ok, f"{think['sockets']} talking customers' sessions held (p95 "
                                   f"{_ms(think['all']['p95'])} ms, {think['all']['errors']} errors), "
                                   f"{single['sessions']['open']} idle tabs held")))
    if probe and "after" in probe.get("variants", {}):
        value = probe["variants"]["after"]["ratio_40_4"]
        found.append(("40th message ≤ 1.2× the 4th (CPU per message, one conversation at a time)",
                      verdict(value <= TURN_RATIO_TARGET, f"{value:.2f}×")))
    for result in results:
        # Not the cost of a message: under load the late messages of the long
        # conversations fall minutes after their early ones, at another load.
        late, early = result["long"]["late"], result["long"]["early"]
        shown = (f"{result['long']['ratio_late_early']:.2f}× ({_ms(late[1])} / {_ms(early[1])} ms, "
                 f"{late[0]} / {early[0]} turns answered)" if late[0] and early[0] else
                 f"not measured: {late[0]} late and {early[0]} early turns answered")
        found.append((f"… latency under load ({result['deployment']}): p50 of msgs 38–40 / 2–4",
                      f"for information: {shown}"))
    for result in results:
        outage = result["outage"]
        filed = sum(outage["filed"].values())
        ok = (outage["answered_with_eta"] == outage["customers"] and outage["all"]["errors"] == 0 and filed == 0
              and outage["all"]["p95"] <= P95_TARGET_MS)
        found.append((f"outage storm ({result['deployment']}): every customer told the outage and its ETA, "
                       "nothing filed, p95 ≤ 300 ms",
                       verdict(ok, f"{outage['answered_with_eta']}/{outage['customers']} told, filed {filed} "
                                   f"({outage['filed']}), p95 {_ms(outage['all']['p95'])} ms, "
                                   f"{outage['all']['errors']} errors")))
    return found


def report(results: Sequence[dict], probe: Optional[dict], args: argparse.Namespace) -> str:
    parts = [f"Storm benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores shared by the servers "
             f"and the load generator (Locust, nice {args.locust_nice})"]
    for result in results:
        think = result["think"]
        parts.append(f"\n### {result['deployment']}: {result['customers']} customers "
                     f"({args.widget_share:.0%} widget), steady state {think['window_s']} s; "
                     f"{args.storm_customers} outage customers over {args.storm_window:.0f} s; "
                     f"{args.sessions} idle widget tabs\n")
        parts.append(deployment_table(result))
        idle = result["idle_pss_mb"]
        parts.append(f"\nConnections each Rasa server held near the end: idle tabs "
                     f"{result['sessions']['connections_per_server']}, think time {think['connections_per_server']}.")
        parts.append(f"\nServer memory (PSS): Rasa {idle['servers']:.0f} MB idle, {think['servers_pss_mb']:.0f} MB "
                     f"with the customers; action servers {idle['actions']:.0f} → {think['actions_pss_mb']:.0f} MB. "
                     f"Outage customers noted as told: {result['outage']['told_of_outage']}; filed: "
                     f"{result['outage']['filed']}.")
        for phase in ("think", "outage"):
            seen = result[phase]["metrics"]
            parts.append(f"/metrics during {phase}: {seen['messages']:.0f} messages, mean answer "
                         f"{_ms(seen['mean_response_ms'])} ms, admission timeouts {seen['admission_timeouts']:.0f}, "
                         f"rate-limited {seen['rate_limited']:.0f}, action errors {seen['action_errors']:.0f}, "
                         f"full garbage collections {seen['full_gc']:.0f}.")
        why = {**think["all"]["why"], **result["long"]["all"]["why"], **result["outage"]["all"]["why"]}
        if why:
            parts.append(f"Errors: {why}")
    parts.append("\n### Latency by place in the conversation (long conversations)\n")
    parts.append(turn_table(results, probe))
    parts.append("\n### Targets (issue 21)\n")
    parts.append(tabulate(targets(results, probe), headers=["target", "this run"], tablefmt="github"))
    return "\n".join(parts)


# Before and after, in one run --------------------------------------------------------------------
VARIANTS = {
    "before (nothing kept, Python's GC thresholds)": {"DANA_TRACKER_CACHE": "off", "DANA_GC_THRESHOLDS": "python"},
    "+ recent conversations and their states kept": {"DANA_GC_THRESHOLDS": "python"},
    "+ full garbage collections 100× rarer (after)": {},
}


def compare(args: argparse.Namespace) -> str:
    """The think-time scenario with long conversations on one server, once per
    variant (the server restarted with its settings), the same customers."""
    rows = []
    found = {}
    for name, extra in VARIANTS.items():
        deployment = SingleServer(args.port, args.port + 1, f"sqlite:///{OUT / 'single.db'}", extra)
        prepare_database(deployment.database_url, 10, OUT / "single.db")
        print(f"==> {name}", flush=True)
        deployment.up()
        try:
            warm_up(deployment)
            idle = pss_mb(deployment.servers())
            phase = run_locust(
                deployment, "compare", ["RestCustomer", "WidgetCustomer", "LongRestCustomer", "LongWidgetCustomer"],
                args.compare_users + args.long_users, max(1.0, args.compare_users / args.ramp),
                args.ramp + args.compare_hold,
                ["--turn-timeout", str(args.turn_timeout), "--think", args.think, "--widget-share",
                 str(args.widget_share), "--long-users", str(args.long_users), "--long-start",
                 str(args.ramp + args.settle / 2), "--long-think", args.long_think, "--long-turns",
                 str(args.long_turns), "--long-stagger", str(args.long_stagger)], args)
        finally:
            deployment.down()
        spawned = ramp_end(phase.samples, args.compare_users + args.long_users) or (phase.started + args.ramp)
        window = (spawned + args.settle, phase.ended - 3)
        figures = turn_figures(phase.records, *window)
        turns = by_turn(phase.records)
        servers_mb, _ = memory_at(phase, *window)
        cpu_ms = phase.cpu_s["servers"] * 1000 / max(1.0, phase.metrics["messages"])
        found[name] = {"turns": vars(figures), "by_turn": turns, "ratio_40_4": ratio(turns), "cpu_ms": cpu_ms,
                       "pss_mb": servers_mb, "idle_pss_mb": idle, "metrics": phase.metrics}
        latencies = [r[1] for r in phase.records if window[0] <= r[0] < window[1]]
        rows.append([name, f"{figures.per_s:.1f}", _ms(figures.p50), _ms(figures.p95), _ms(figures.p99),
                     _ms(max(latencies, default=float("nan"))), f"{figures.errors} / {figures.count}",
                     f"{ratio(turns):.2f}", f"{phase.metrics['full_gc']:.0f}", f"{cpu_ms:.1f}",
                     f"{idle:.0f} → {servers_mb:.0f}"])
    table = tabulate(rows, headers=["variant", "msg/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors / turns",
                                    "40th / 4th (p50)", "full GCs", "server CPU ms/msg", "server PSS MB"],
                     tablefmt="github")
    text = (f"One server, {args.compare_users} customers ({args.widget_share:.0%} widget) with think time "
            f"{args.think} s and {args.long_users} long conversations, {args.compare_hold:.0f} s held, each variant "
            f"a fresh server; {time.strftime('%Y-%m-%d %H:%M')}\n\n{table}")
    (RESULTS / "storm-compare.json").write_text(json.dumps(found, default=str, indent=1))
    return text


def run_probe(args: argparse.Namespace) -> Optional[dict]:
    out = OUT / "turn_cost.json"
    done = subprocess.run([str(VENV_BIN / "python"), "-m", "bench.turn_cost", "--conversations",
                           str(args.probe_conversations), "--out", str(out)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.read_text()) if done.returncode == 0 and out.exists() else None


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deployments", default="single,cluster")
    parser.add_argument("--users", type=int, default=5000, help="customers with think time on the cluster")
    parser.add_argument("--single-users", type=int, default=2500, help="… on the single server")
    parser.add_argument("--widget-share", type=float, default=0.8)
    parser.add_argument("--think", default="10-30")
    parser.add_argument("--ramp", type=float, default=50.0, help="seconds to spawn the customers")
    parser.add_argument("--hold", type=float, default=175.0, help="seconds they are held after the ramp")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="seconds after the ramp before the steady state (every customer has spoken)")
    parser.add_argument("--long-users", type=int, default=40)
    parser.add_argument("--long-turns", type=int, default=40)
    parser.add_argument("--long-think", default="3-3.5")
    parser.add_argument("--long-stagger", type=float, default=20.0, help="long conversations begin over this many s")
    parser.add_argument("--sessions", type=int, default=2000, help="idle widget tabs")
    parser.add_argument("--sessions-ramp", type=float, default=15.0)
    parser.add_argument("--sessions-hold", type=float, default=10.0)
    parser.add_argument("--storm-customers", type=int, default=3000)
    parser.add_argument("--storm-window", type=float, default=120.0, help="seconds over which they arrive")
    parser.add_argument("--storm-tail", type=float, default=10.0, help="seconds after the last think time")
    parser.add_argument("--turn-timeout", type=float, default=30.0)
    parser.add_argument("--source-addresses", type=int, default=500, help="cluster: widgets' loopback addresses")
    parser.add_argument("--locust-nice", type=int, default=5)
    parser.add_argument("--locust-processes", type=int, default=1)
    parser.add_argument("--port", type=int, default=int(os.environ.get("STORM_PORT", 5405)))
    parser.add_argument("--cluster-db", default="dana_storm")
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("STORM_REDIS_PORT", 6393)))
    parser.add_argument("--probe-conversations", type=int, default=3)
    parser.add_argument("--no-probe", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of the whole thing")
    parser.add_argument("--compare", action="store_true",
                        help="only the before/after comparison on one server (else it runs after the deployments)")
    parser.add_argument("--no-compare", action="store_true", help="without the before/after comparison")
    parser.add_argument("--compare-users", type=int, default=1000, help="customers of the before/after comparison")
    parser.add_argument("--compare-hold", type=float, default=110.0, help="… held this many s after the ramp")
    parser.add_argument("--out", type=Path, default=RESULTS / "storm.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.users = args.single_users = 16
        args.sessions, args.storm_customers, args.long_users = 8, 8, 2
        args.ramp, args.hold, args.sessions_ramp, args.sessions_hold = 4.0, 10.0, 2.0, 4.0
        args.storm_window, args.think, args.long_turns, args.long_think = 4.0, "1-2", 6, "1-1.5"
        args.storm_tail, args.settle, args.long_stagger = 6.0, 2.0, 1.0
        args.compare_users, args.compare_hold = 16, 10.0
        args.probe_conversations = 1
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "single").mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    if args.compare:
        text = compare(args)
        print("\n" + text)
        (RESULTS / "storm-compare.md").write_text(text + "\n")
        return 0
    probe = None if args.no_probe else run_probe(args)
    results = []
    for name in [d.strip() for d in args.deployments.split(",") if d.strip()]:
        if name == "single":
            deployment: Deployment = SingleServer(args.port, args.port + 1, f"sqlite:///{OUT / 'single.db'}")
            results.append(measure(deployment, args.single_users, args))
        elif name == "cluster":
            results.append(measure(ClusterDeployment(args.cluster_db, args.redis_port), args.users, args))
        else:
            parser.error(f"unknown deployment {name}")
    text = report(results, probe, args)
    if not args.no_compare:  # what each change did, before and after in one run
        text += "\n\n### Before and after each change, one server\n\n" + compare(args)
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"results": results, "probe": probe, "args": vars(args)}, default=str,
                                   ensure_ascii=False, indent=1))
    args.out.with_suffix(".md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
