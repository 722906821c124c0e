"""Compare NLU pipelines on the held-out sets: accuracy, F1, recall, training and parse time.

Each pipeline is trained on nlu/ only (the same data) and evaluated on the
held-out tests/nlu/ sets, which no pipeline ever sees in training. Writes the
table to docs/pipeline-comparison.md (or --sets dev: bench/nlu_dev/, printed
only) and prints it.

Pipelines: Dana's (config.yml); Dana's with Russian words lemmatised by
pymorphy2, the dictionaries spaCy's Russian lemmatiser uses (config.yml with
the tokenizer's ``russian_lemmas`` on); Dana's features with Rasa's DIET
classifier (config/pipelines/dana_diet.yml); Rasa's default pipeline
(config/pipelines/rasa_default.yml).

    python -m bench.compare_pipelines [--only dana] [--sets dev]
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml

from bench.eval_nlu import ROOT, SET_DIRS, evaluate_model


def _dana(config: dict) -> dict:
    return config


def _dana_ru_lemmas(config: dict) -> dict:
    config["pipeline"][0]["russian_lemmas"] = True
    return config


def _file(path: Path) -> Callable[[dict], dict]:
    return lambda _: yaml.safe_load(path.read_text())


PIPELINES: dict[str, Callable[[dict], dict]] = {
    "dana (config.yml)": _dana,
    "dana + Russian lemmas (pymorphy2)": _dana_ru_lemmas,
    "dana features + DIET": _file(ROOT / "config" / "pipelines" / "dana_diet.yml"),
    "rasa default (DIET)": _file(ROOT / "config" / "pipelines" / "rasa_default.yml"),
}


def train_nlu(config: dict, out: Path, name: str) -> tuple[Path, float]:
    path = out / f"{name}.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    start = time.perf_counter()
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rasa"), "train", "nlu", "--config", str(path),
         "--nlu", str(ROOT / "nlu"), "--out", str(out), "--fixed-model-name", name, "--quiet"],
        check=True, cwd=ROOT,
    )
    return out / f"{name}.tar.gz", time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="substring of one pipeline name")
    parser.add_argument("--sets", choices=sorted(SET_DIRS), default="heldout")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = ["| pipeline | set | n | intent acc | macro-F1 | amount / date / name recall | NLU train s "
            "| parse ms mean / p95 |",
            "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for number, (label, build) in enumerate(PIPELINES.items()):
            if args.only and args.only not in label:
                continue
            config = build(yaml.safe_load((ROOT / "config.yml").read_text()))
            model, seconds = train_nlu(config, Path(tmp), f"pipeline{number}")
            results, _ = asyncio.run(evaluate_model(str(model), SET_DIRS[args.sets]))
            for r in results:
                recall = " / ".join("–" if r.entity_recall.get(e) is None else f"{r.entity_recall[e]:.2f}"
                                    for e in ("amount", "payment_date", "full_name"))
                f1 = "–" if r.name == "ood" else f"{r.macro_f1:.3f}"
                rows.append(f"| {label} | {r.name} | {r.n} | {r.accuracy:.3f} | {f1} | {recall} | "
                            f"{seconds:.0f} | {r.parse_ms_mean:.1f} / {r.parse_ms_p95:.1f} |")
            print("\n".join(rows), flush=True)
    table = "\n".join(rows)
    if not args.no_write and args.sets == "heldout":
        doc = ROOT / "docs" / "pipeline-comparison.md"
        text = doc.read_text() if doc.exists() else ""
        marker = "<!-- table -->"
        head, _, tail = text.partition(marker)
        tail = tail.split("<!-- /table -->", 1)[-1] if tail else "\n"
        doc.write_text(f"{head or '# NLU pipeline comparison' + chr(10) * 2}{marker}\n{table}\n<!-- /table -->{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
