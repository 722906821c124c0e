"""Load benchmark: Dana against stock Rasa (default pipeline and policies), same data.

For each configuration: full training time, then a Rasa server with that
model (same endpoints, SQL tracker store, same action server) driven by C
concurrent REST conversations in Kazakh and Russian (multi-turn flows with
questions and answers). Prints p50/p95/p99 latency, messages per second and
the server's peak memory and CPU per message, side by side. Dana also runs with
two Sanic workers sharing conversations through Rasa's Redis lock store, and
as the local cluster (scripts/cluster.sh: two one-worker servers, two action
servers, HAProxy, PostgreSQL, Redis) driven through its balancer.

    python -m bench.load [--concurrency 16] [--conversations 160] [--only dana] [--skip-train] [--postgres]

--postgres puts the one-server rows' trackers and back office on PostgreSQL
too (the cluster always uses it), so every row pays the same database.
Ports: BENCH_RASA_PORT (5105, +1 per row), BENCH_ACTION_PORT (5155), REDIS_PORT;
the cluster row finds free ones.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VENV_BIN = ROOT / ".venv" / "bin"
CONFIGS = {"dana": ROOT / "config.yml", "rasa-default": ROOT / "config" / "pipelines" / "rasa_default.yml"}

# Realistic conversations: each a list of turns (the buttons' payloads are
# what a customer's click sends).
CONVERSATIONS = [
    ["Сәлеметсіз бе", "интернет істемей тұр", "/deny", "/affirm"],
    ["Здравствуйте, пропал интернет", "/deny", "/deny"],
    ["ақша түспей жатыр", "/affirm", "/affirm", "рахмет"],
    ["оплатил а деньги не пришли", "/affirm", "/deny", "/deny", "спасибо"],
    ["мастер қашан келеді?", "рахмет, сау болыңыз"],
    ["сколько ждать мастера?", "до свидания"],
    ["тарифті қалай ауыстырамын", "статикалық IP деген не?", "рахмет"],
    ["как сменить тариф", "что входит в мой тариф", "спасибо"],
    ["жаңа пәтерге көштік", "роутерді қалай қайтарамын", "сау болыңыз"],
    ["переезжаю, как перенести интернет", "как вернуть роутер", "пока"],
    ["internet jok", "operatorga qosynyz"],
    ["давайте на русском", "интернет тормозит", "спасибо"],
]


def train(name: str, config: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(VENV_BIN / "rasa"), "train", "--config", str(config), "--domain", "domain",
         "--data", "nlu", "stories", "--out", str(OUT), "--fixed-model-name", name, "--quiet"],
        check=True, cwd=ROOT,
    )
    return time.perf_counter() - start


def _wait(url: str, seconds: int) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not come up")


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (Sanic workers are children)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process tree."""
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process tree in MB. PSS counts pages that forked workers
    share once, so it is the memory the server really takes; RSS sums them."""
    rss = pss = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024


class PeakMemory:
    """Samples the memory of process trees (summed) twice a second while a run lasts."""

    def __init__(self, *pids: int) -> None:
        self.pids, self.rss, self.pss = pids, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            sizes = [memory_mb(pid) for pid in self.pids]
            rss, pss = sum(r for r, _ in sizes), sum(p for _, p in sizes)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


async def converse(session, url, sender, turns, latencies, failures):
    for text in turns:
        start = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                replies = await response.json()
                if response.status != 200 or not replies:
                    failures.append(text)
        except Exception:  # counted, not raised: a benchmark reports errors
            failures.append(text)
        latencies.append((time.perf_counter() - start) * 1000)


async def drive(url: str, concurrency: int, conversations: int) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    rng = random.Random(7)
    scripts = [rng.choice(CONVERSATIONS) for _ in range(conversations)]
    semaphore = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await converse(session, url, "warm-up", CONVERSATIONS[0], [], [])

        async def one(i, turns):
            async with semaphore:
                await converse(session, url, f"bench-{os.getpid()}-{i}", turns, latencies, failures)

        start = time.perf_counter()
        await asyncio.gather(*(one(i, s) for i, s in enumerate(scripts)))
        wall = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {"messages": len(latencies), "failures": len(failures), "msg_per_s": len(latencies) / wall,
            "p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99)}


def _wait_for_workers(pid: int, workers: int) -> None:
    """Each Sanic worker loads the model itself; wait until all have."""
    deadline = time.time() + 300
    while workers > 1 and len(process_tree(pid)) < workers + 1 and time.time() < deadline:
        time.sleep(1)
    # The first worker answers "/" while the others may still load the model:
    # wait until the tree's CPU use settles.
    previous = cpu_seconds(pid)
    while time.time() < deadline:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now - previous < 0.1:
            return
        previous = now


def run_one(name: str, model: str, workers: int, port: int, action_url: str, args,
            action_pid: int) -> dict:
    tracker_db = OUT / f"{model}-{workers}-tracker.db"
    database_url = args.database_url or f"sqlite:///{tracker_db}"
    env = {**os.environ, "ACTION_SERVER_URL": action_url, "DANA_DATABASE_URL": database_url,
           "SANIC_WORKERS": str(workers), "DANA_LOCK_STORE": "redis" if workers > 1 else "in_memory"}
    if not args.database_url:
        for stale in OUT.glob(f"{tracker_db.name}*"):
            stale.unlink()
        # Like the project database (bot/office/db.py), the tracker file runs in WAL mode.
        sqlite3.connect(tracker_db).execute("PRAGMA journal_mode=WAL").close()
    # REST only: the benchmark does not depend on channel credentials.
    (OUT / "credentials.yml").write_text("rest:\n")
    log = open(OUT / f"{model}-{workers}-server.log", "w")
    server = subprocess.Popen(
        # Dana's launcher: with her patches, or Rasa's own code with DANA_RASA_PATCHES=off.
        [str(VENV_BIN / "python"), "-m", "bot.server", "run", "-m", str(OUT / f"{model}.tar.gz"), "-p", str(port),
         "-i", "127.0.0.1", "--endpoints", "endpoints.yml", "--credentials", str(OUT / "credentials.yml")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/", 300)
        _wait_for_workers(server.pid, workers)
        cpu_before = cpu_seconds(server.pid), cpu_seconds(action_pid)
        with PeakMemory(server.pid) as memory:
            figures = asyncio.run(drive(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                        args.concurrency, args.conversations))
        # CPU per message shows which process is the bottleneck on a small machine.
        figures["server_cpu_ms"] = (cpu_seconds(server.pid) - cpu_before[0]) * 1000 / figures["messages"]
        figures["actions_cpu_ms"] = (cpu_seconds(action_pid) - cpu_before[1]) * 1000 / figures["messages"]
        figures["rss_mb"], figures["pss_mb"] = memory.rss, memory.pss
        return figures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_base_port() -> int:
    """A cluster base port whose derived ports (base+1, +2, +50, +51, +52, +90) are free."""
    rng = random.Random()
    for _ in range(100):
        base = rng.randrange(20000, 40000, 100)
        try:
            for offset in (1, 2, 50, 51, 52, 90):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port range for the cluster")


def run_cluster(args) -> dict:
    """The cluster (scripts/cluster.sh, models/dana.tar.gz) on free ports and its
    own directory, driven through HAProxy; CPU and memory of both Rasa servers
    plus the balancer, and of both action servers."""
    directory = OUT / "cluster"
    env = {**os.environ, "DANA_CLUSTER_PORT": str(_free_port()), "DANA_CLUSTER_BASE_PORT": str(_free_base_port()),
           "DANA_CLUSTER_DIR": str(directory), "DANA_CLUSTER_DB": args.cluster_db}
    script = str(ROOT / "scripts" / "cluster.sh")
    subprocess.run([script, "up"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        pid = lambda name: int((directory / f"{name}.pid").read_text())  # noqa: E731
        servers = [pid("rasa-1"), pid("rasa-2"), pid("balancer")]
        actions = [pid("actions-1"), pid("actions-2")]
        cpu = lambda pids: sum(cpu_seconds(p) for p in pids)  # noqa: E731
        cpu_before = cpu(servers), cpu(actions)
        with PeakMemory(*servers) as memory:
            figures = asyncio.run(drive(f"http://127.0.0.1:{env['DANA_CLUSTER_PORT']}/webhooks/rest/webhook",
                                        args.concurrency, args.conversations))
        figures["server_cpu_ms"] = (cpu(servers) - cpu_before[0]) * 1000 / figures["messages"]
        figures["actions_cpu_ms"] = (cpu(actions) - cpu_before[1]) * 1000 / figures["messages"]
        figures["rss_mb"], figures["pss_mb"] = memory.rss, memory.pss
        return figures
    finally:
        subprocess.run([script, "down"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


# (row name, trained config, Sanic workers or "cluster"). Several workers share
# conversations through Rasa's Redis lock store (scripts/redis.sh starts one);
# the cluster is two one-worker servers behind HAProxy (scripts/cluster.sh).
VARIANTS = [("dana", "dana", 1), ("dana, 2 workers + Redis lock", "dana", 2),
            ("dana, 2 servers + HAProxy (cluster)", "dana", "cluster"),
            ("rasa-default", "rasa-default", 1)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--conversations", type=int, default=160)
    parser.add_argument("--only", choices=list(CONFIGS), help="one trained config (all its rows)")
    parser.add_argument("--skip-train", action="store_true", help="reuse bench/out models")
    parser.add_argument("--postgres", action="store_true",
                        help="one-server rows on PostgreSQL (scripts/postgres.sh) like the cluster")
    parser.add_argument("--no-cluster", action="store_true", help="skip the cluster row (needs root)")
    parser.add_argument("--cluster-db", default="dana_bench", help="the PostgreSQL database of the bench's cluster")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    variants = [v for v in VARIANTS if (not args.only or v[1] == args.only)
                and not (args.no_cluster and v[2] == "cluster")]
    models = list(dict.fromkeys(model for _, model, _ in variants))
    train_s = {m: (None if args.skip_train else train(m, CONFIGS[m])) for m in models}
    if any(workers != 1 for _, _, workers in variants):
        subprocess.run([str(ROOT / "scripts" / "redis.sh")], check=True, stdout=subprocess.DEVNULL)
    args.database_url = None
    env = dict(os.environ)
    if args.postgres:
        args.database_url = subprocess.run([str(ROOT / "scripts" / "postgres.sh"), args.cluster_db], check=True,
                                           capture_output=True, text=True).stdout.split()[-1]
        env["DANA_DATABASE_URL"] = args.database_url
        subprocess.run([sys.executable, "-m", "bot", "init", "--seed"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)

    action_port = int(os.environ.get("BENCH_ACTION_PORT", "5155"))
    rasa_port = int(os.environ.get("BENCH_RASA_PORT", "5105"))
    actions = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port)],
        cwd=ROOT, env=env, stdout=open(OUT / "actions.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    results = {}
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", 60)
        for offset, (name, model, workers) in enumerate(variants):
            if workers == "cluster":
                results[name] = run_cluster(args)
            else:
                results[name] = run_one(name, model, workers, rasa_port + offset,
                                        f"http://127.0.0.1:{action_port}/webhook", args, actions.pid)
            results[name]["train_s"] = train_s[model]
    finally:
        os.killpg(actions.pid, signal.SIGTERM)
        actions.wait(30)

    print(f"\n{args.conversations} conversations, {args.concurrency} concurrent, {os.cpu_count()} cores, "
          f"one-server rows on {'PostgreSQL' if args.postgres else 'SQLite'}, the cluster on PostgreSQL\n")
    print("| config | full training s | messages | errors | msg/s | p50 ms | p95 ms | p99 ms "
          "| server peak RSS / PSS MB | CPU ms/msg server + actions |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        t = f"{r['train_s']:.0f}" if r["train_s"] else "–"
        print(f"| {name} | {t} | {r['messages']} | {r['failures']} | {r['msg_per_s']:.1f} | "
              f"{r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['rss_mb']:.0f} / {r['pss_mb']:.0f} | "
              f"{r['server_cpu_ms']:.0f} + {r['actions_cpu_ms']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
