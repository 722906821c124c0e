"""What a message costs by its place in a conversation, one conversation at a time.

Loads Dana's model in this process, as ``python -m bot.server run`` does (the
patches of bot/server/patches.py, endpoints.yml: Dana's tracker store on a
database of its own, SQLite unless ``--database-url``), and sends conversations
of ``--turns`` FAQ questions and small talk (bench/storm_locust.py's long ones,
never a form, so no action server is needed) through the agent, timing each
message's CPU and wall time. The same conversations run with each variant,
interleaved (so a slower minute of the machine hits them all alike):

- ``before``: the tracker store reads the whole session each message
  (``DANA_TRACKER_CACHE=off``) and every prediction replays it into states;
- ``kept conversations``: only the tracker store's cache (bot/server/tracker_store.py);
- ``kept states``: only the incremental states and applied events, and no
  debug-line formatting (speed-ups 12 and 13, bot/server/speedups.py);
- ``after``: both, as the server runs.

    python -m bench.turn_cost [--conversations 3] [--turns 40] [--out bench/out/storm/turn_cost.json]
                              [--profile N]   # cProfile of message N with both on
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
LONG = {
    "kk": ["Сәлеметсіз бе", "тарифті қалай ауыстырамын", "статикалық IP деген не?",
           "роутерді қалай қайтарамын", "рахмет", "сен ботсың ба?"],
    "ru": ["Здравствуйте", "как сменить тариф", "что такое статический IP?",
           "как вернуть роутер", "спасибо", "ты бот?"],
}
VARIANTS = {"before": (False, False), "kept conversations": (True, False), "kept states": (False, True),
            "after": (True, True)}
SHOWN = (1, 4, 10, 20, 30, 40)


async def measure(args: argparse.Namespace) -> dict:
    from unittest import mock

    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.utils import AvailableEndpoints

    from bot.server import speedups, tracker_store

    agent = await load_agent(str(ROOT / "models" / "dana.tar.gz"),
                             endpoints=AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml")))
    store = agent.tracker_store
    store = getattr(store, "_tracker_store", store)
    cache = store.recent if isinstance(store, tracker_store.DanaTrackerStore) else None
    replays_kept = speedups.REPLAYS_KEPT
    cpu: dict = {name: {n: [] for n in range(1, args.turns + 1)} for name in VARIANTS}
    wall: dict = {name: {n: [] for n in range(1, args.turns + 1)} for name in VARIANTS}
    profile = None
    for number in range(args.conversations):
        language = ("kk", "ru")[number % 2]
        for name, (keep_conversations, keep_states) in VARIANTS.items():
            store.recent = cache if keep_conversations else None
            speedups.REPLAYS_KEPT = replays_kept if keep_states else 0
            # Without the kept states, RulePolicy's debug-line formatting is Rasa's too (speed-up 13).
            formatting = mock.patch.object(RulePolicy, "format_tracker_states",
                                           staticmethod(Policy.format_tracker_states)) if not keep_states else None
            if formatting is not None:
                formatting.start()
            sender = f"turn-cost-{os.getpid()}-{number}-{name.replace(' ', '-')}"
            for turn in range(1, args.turns + 1):
                text = LONG[language][(turn - 1) % len(LONG[language])]
                output = CollectingOutputChannel()
                message = UserMessage(text, output, sender, input_channel="rest")
                profiling = args.profile == turn and name == "after" and number == args.conversations - 1
                if profiling:
                    import cProfile

                    profile = cProfile.Profile()
                    profile.enable()
                started, clock = time.process_time(), time.perf_counter()
                await agent.handle_message(message)
                cpu[name][turn].append((time.process_time() - started) * 1000)
                wall[name][turn].append((time.perf_counter() - clock) * 1000)
                if profiling and profile is not None:
                    profile.disable()
                if not output.messages:
                    raise RuntimeError(f"no answer to {text!r} (message {turn}, {name})")
            if formatting is not None:
                formatting.stop()
    store.recent, speedups.REPLAYS_KEPT = cache, replays_kept
    if profile is not None:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    result: dict = {"conversations": args.conversations, "turns": args.turns, "variants": {}}
    for name in VARIANTS:
        cpu_ms = {n: statistics.median(v) for n, v in cpu[name].items()}
        wall_ms = {n: statistics.median(v) for n, v in wall[name].items()}
        late = min(40, args.turns)
        result["variants"][name] = {"cpu_ms": cpu_ms, "wall_ms": wall_ms,
                                    "ratio_40_4": cpu_ms[late] / cpu_ms[min(4, late)]}
    return result


def table(result: dict) -> str:
    from tabulate import tabulate

    shown = [n for n in SHOWN if n <= result["turns"]]
    rows = [[name] + [f"{figures['cpu_ms'][n]:.2f}" for n in shown] + [f"{figures['ratio_40_4']:.2f}"]
            for name, figures in result["variants"].items()]
    return tabulate(rows, headers=["CPU ms per message"] + [f"msg {n}" for n in shown] + ["40th / 4th"],
                    tablefmt="github")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=3, help="per variant")
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", type=int, default=0, help="print a cProfile of this message (variant after)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "storm" / "turn_cost.json")
    args = parser.parse_args(argv)
    scratch = tempfile.TemporaryDirectory(prefix="dana-turn-cost-")
    database_url = args.database_url or f"sqlite:///{scratch.name}/turns.db"
    os.environ.update({"DANA_DATABASE_URL": database_url, "DANA_LOCK_STORE": "in_memory",
                       "ACTION_SERVER_URL": os.environ.get("ACTION_SERVER_URL", "http://127.0.0.1:9/webhook"),
                       "REDIS_HOST": os.environ.get("REDIS_HOST", "127.0.0.1"),
                       "REDIS_PORT": os.environ.get("REDIS_PORT", "6379"),
                       "REDIS_LOCK_DB": os.environ.get("REDIS_LOCK_DB", "1")})
    os.chdir(ROOT)
    from bot.office.db import init_db
    from bot.server import patches

    init_db(database_url)
    patches.install()
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    result: Any = asyncio.run(measure(args))
    print(f"\nOne conversation at a time, {args.conversations} conversations per variant, median CPU per message:\n")
    print(table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
