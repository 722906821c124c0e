"""Load benchmark: Dana against stock Rasa (default pipeline and policies), same data.

For each configuration: full training time, then a Rasa server with that
model (same endpoints, SQL tracker store, same action server) driven by C
concurrent REST conversations in Kazakh and Russian (multi-turn flows with
questions and answers). Prints p50/p95/p99 latency, messages per second and
the server's peak RSS, side by side.

    python -m bench.load [--concurrency 16] [--conversations 160] [--only dana] [--skip-train]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
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


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


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


def run_one(name: str, port: int, action_url: str, args) -> dict:
    env = {**os.environ, "ACTION_SERVER_URL": action_url,
           "DANA_DATABASE_URL": f"sqlite:///{OUT / f'{name}-tracker.db'}"}
    (OUT / f"{name}-tracker.db").unlink(missing_ok=True)
    log = open(OUT / f"{name}-server.log", "w")
    server = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "-m", str(OUT / f"{name}.tar.gz"), "-p", str(port),
         "-i", "127.0.0.1", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/", 300)
        figures = asyncio.run(drive(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                    args.concurrency, args.conversations))
        figures["rss_mb"] = peak_rss_mb(server.pid)
        return figures
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--conversations", type=int, default=160)
    parser.add_argument("--only", choices=list(CONFIGS))
    parser.add_argument("--skip-train", action="store_true", help="reuse bench/out models")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    names = [args.only] if args.only else list(CONFIGS)
    train_s = {n: (None if args.skip_train else train(n, CONFIGS[n])) for n in names}

    action_port = int(os.environ.get("BENCH_ACTION_PORT", "5155"))
    actions = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port)],
        cwd=ROOT, stdout=open(OUT / "actions.log", "w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    results = {}
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", 60)
        for offset, name in enumerate(names):
            results[name] = run_one(name, 5105 + offset, f"http://127.0.0.1:{action_port}/webhook", args)
    finally:
        os.killpg(actions.pid, signal.SIGTERM)
        actions.wait(30)

    print(f"\n{args.conversations} conversations, {args.concurrency} concurrent, "
          f"{os.cpu_count()} cores\n")
    print("| config | full training s | messages | errors | msg/s | p50 ms | p95 ms | p99 ms | server peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        t = f"{train_s[name]:.0f}" if train_s[name] else "–"
        print(f"| {name} | {t} | {r['messages']} | {r['failures']} | {r['msg_per_s']:.1f} | "
              f"{r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['rss_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
