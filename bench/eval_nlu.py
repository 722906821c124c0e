"""NLU evaluation on text the training data never saw.

Sets (``tests/nlu/``, held out: written by writers who were given only the
intent contract and never saw ``nlu/``; see tests/nlu/README.md):

- ``kk``, ``ru``, ``noisy``: intent accuracy, macro-F1, entity recall;
  a low-confidence prediction (``nlu_fallback``) counts as an error;
- ``ood``: out-of-domain requests (kk and ru): the share answered as
  ``out_of_scope`` or with a rephrase request (``nlu_fallback``);
- ``langid.tsv``: language id per kind of text (sentences, two-word phrases,
  without Kazakh letters, Latin script, Russian with Kazakh names …); no
  answer (the conversation would keep its language) counts as a miss.

``--sets dev`` evaluates ``bench/nlu_dev/`` instead: the development set
that tuning may look at. The held-out figures are reported as they come.

    python -m bench.eval_nlu --model models/dana.tar.gz [--gate] [--sets dev]
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SET_DIRS = {"heldout": ROOT / "tests" / "nlu", "dev": ROOT / "bench" / "nlu_dev"}
INTENT_SETS = ("kk", "ru", "noisy", "entities")
RECALLED_ENTITIES = ("login", "phone_number", "amount", "payment_date", "full_name", "email")
HANDLED_OOD = ("out_of_scope", "nlu_fallback")
# Gates of `make test` on the held-out sets, a point under the targets (0.95 for
# intents, 0.90 out of domain, 0.95 recall; README «NLU on independent text»)
# so that a retrain that loses a couple of borderline sentences still lands.
GATES = {"kk": 0.94, "ru": 0.94, "noisy": 0.94, "ood": 0.89}
RECALL_GATE = 0.94  # amount, payment_date, full_name on the entity set
# Language id: stripped Kazakh sentences / short phrases, Russian pairs.
LANGID_GATES = {"kk_sentence_plain": 0.95, "public_kk_sentence_plain": 0.95, "kk_short_plain": 0.85,
                "public_kk_pair_plain": 0.85, "ru_short": 0.90, "public_ru_pair": 0.90}


@dataclass
class Example:
    text: str
    intent: str
    entities: list[tuple[str, int, int]]


@dataclass
class SetResult:
    name: str
    n: int = 0
    accuracy: float = 0.0
    macro_f1: float = 0.0
    entity_recall: dict[str, float | None] = field(default_factory=dict)
    language_accuracy: float | None = None
    parse_ms_mean: float = 0.0
    parse_ms_p95: float = 0.0
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def load_examples(folder: Path) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [
        Example(
            m.get("text"),
            m.get("intent"),
            [(e["entity"], e["start"], e["end"]) for e in m.get("entities") or []],
        )
        for m in data.intent_examples
    ]


def _f1(tp: int, fp: int, fn: int) -> float:
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for label in set(gold):
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        scores.append(_f1(tp, fp, fn))
    return sum(scores) / len(scores) if scores else 0.0


def recalled(gold: tuple[str, int, int], found: list[tuple[str, int, int]]) -> bool:
    """A gold entity is found when an extracted one of its type overlaps it
    (writers differ on whether «тенге» or «назад» belong to the span)."""
    name, start, end = gold
    return any(n == name and s < end and start < e for n, s, e in found)


def detected_language(parsed: dict) -> str | None:
    return next((e["value"] for e in parsed.get("entities") or []
                 if e["entity"] == "detected_language"), None)


async def parse(agent, text: str) -> dict:
    """Parse as in the middle of a conversation: its language is already known,
    so no message is turned into a language choice (that is a first-message
    behaviour, tested in tests/components)."""
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("eval", [SlotSet("language", "kk")])
    return await agent.processor.parse_message(UserMessage(text), tracker=tracker)


async def evaluate_set(agent, name: str, examples: list[Example], language: str | None) -> SetResult:
    result = SetResult(name, n=len(examples))
    gold, predicted, times = [], [], []
    counts: dict[str, Counter] = {e: Counter() for e in RECALLED_ENTITIES}
    language_hits = language_total = 0
    for example in examples:
        start = time.perf_counter()
        parsed = await parse(agent, example.text)
        times.append((time.perf_counter() - start) * 1000)
        intent = (parsed.get("intent") or {}).get("name") or "None"
        gold.append(example.intent)
        predicted.append(intent)
        if intent != example.intent:
            result.errors.append((example.text, example.intent, intent))
        found = [(e["entity"], e["start"], e["end"]) for e in parsed.get("entities") or []]
        for entity in example.entities:
            if entity[0] in counts:
                counts[entity[0]]["hit" if recalled(entity, found) else "miss"] += 1
        if language and example.intent != "switch_language":  # a request names the other language
            language_hits += detected_language(parsed) == language
            language_total += 1
    result.accuracy = sum(g == p for g, p in zip(gold, predicted)) / max(len(gold), 1)
    result.macro_f1 = macro_f1(gold, predicted)
    result.entity_recall = {
        e: round(c["hit"] / (c["hit"] + c["miss"]), 3) if c["hit"] + c["miss"] else None
        for e, c in counts.items()
    }
    if language:
        result.language_accuracy = language_hits / max(language_total, 1)
    result.parse_ms_mean = statistics.mean(times) if times else 0.0
    result.parse_ms_p95 = sorted(times)[int(0.95 * (len(times) - 1))] if times else 0.0
    return result


def ood_result(results: list[SetResult]) -> SetResult:
    """The out-of-domain sets together: 'accuracy' is the share handled."""
    merged = SetResult("ood", n=sum(r.n for r in results))
    handled = sum(r.n - len([e for e in r.errors if e[2] not in HANDLED_OOD]) for r in results)
    merged.accuracy = handled / max(merged.n, 1)
    merged.errors = [e for r in results for e in r.errors if e[2] not in HANDLED_OOD]
    merged.parse_ms_mean = statistics.mean(r.parse_ms_mean for r in results) if results else 0.0
    merged.parse_ms_p95 = max((r.parse_ms_p95 for r in results), default=0.0)
    return merged


STRIP = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")


def load_langid(folder: Path) -> list[tuple[str, str, str]]:
    """(lang, kind, text) rows of a folder's language-id sets: langid.tsv
    (chat text written for Dana) and public/ (sentences and word pairs of
    lingua's test data, from the Leipzig Wortschatz corpora), Kazakh also
    with its special letters stripped."""
    rows: list[tuple[str, str, str]] = []
    if (folder / "langid.tsv").exists():
        with (folder / "langid.tsv").open(encoding="utf-8") as handle:
            rows += [(r["lang"], r["kind"], r["text"]) for r in csv.DictReader(handle, delimiter="\t")]
    for path in sorted((folder / "public").glob("*.txt")):
        kind, lang = path.stem.rsplit("-", 1)
        kind = "pair" if kind == "word-pairs" else "sentence"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((lang, f"public_{lang}_{kind}", line))
                if lang == "kk" and line.translate(STRIP) != line:
                    rows.append((lang, f"public_kk_{kind}_plain", line.translate(STRIP).lower()))
    return rows


async def evaluate_langid(agent, rows: list[tuple[str, str, str]]) -> dict[str, tuple[int, float]]:
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for lang, kind, text in rows:
        parsed = await parse(agent, text)
        # «қазақша жазыңыз» is answered by the request it makes, not by detection.
        requested = next((e["value"] for e in parsed.get("entities") or [] if e["entity"] == "language"), None)
        by_kind[kind].append((detected_language(parsed) or requested) == lang)
    return {kind: (len(hits), sum(hits) / len(hits)) for kind, hits in sorted(by_kind.items())}


async def evaluate_model(model: str, folder: Path) -> tuple[list[SetResult], dict[str, tuple[int, float]]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    agent = Agent.load(model)
    results = []
    for name in INTENT_SETS:
        if (folder / name).exists():
            language = name if name in ("kk", "ru") else None
            results.append(await evaluate_set(agent, name, load_examples(folder / name), language))
    ood = [await evaluate_set(agent, f"ood-{f.stem}", load_examples(f), None)
           for f in sorted((folder / "ood").glob("*.yml"))]
    if ood:
        results.append(ood_result(ood))
    langid = await evaluate_langid(agent, load_langid(folder))
    return results, langid


def table(results: list[SetResult]) -> str:
    lines = ["| set | n | intent acc | macro-F1 | amount / date / name recall | login / phone / e-mail recall "
             "| language id | parse ms (mean/p95) |",
             "|---|---|---|---|---|---|---|---|"]

    def fmt(value):
        return "–" if value is None else f"{value:.2f}"

    for r in results:
        er = r.entity_recall
        lang = f"{r.language_accuracy:.3f}" if r.language_accuracy is not None else "–"
        acc = f"{r.accuracy:.3f}" + (" handled" if r.name == "ood" else "")
        f1 = "–" if r.name == "ood" else f"{r.macro_f1:.3f}"
        lines.append(
            f"| {r.name} | {r.n} | {acc} | {f1} | "
            f"{fmt(er.get('amount'))} / {fmt(er.get('payment_date'))} / {fmt(er.get('full_name'))} | "
            f"{fmt(er.get('login'))} / {fmt(er.get('phone_number'))} / {fmt(er.get('email'))} | {lang} | "
            f"{r.parse_ms_mean:.1f} / {r.parse_ms_p95:.1f} |"
        )
    return "\n".join(lines)


def langid_table(langid: dict[str, tuple[int, float]]) -> str:
    lines = ["| language-id set | n | Dana |", "|---|---|---|"]
    lines += [f"| {kind} | {n} | {accuracy:.3f} |" for kind, (n, accuracy) in langid.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "dana.tar.gz"))
    parser.add_argument("--sets", choices=sorted(SET_DIRS), default="heldout")
    parser.add_argument("--gate", action="store_true", help="exit 1 below the accuracy gates")
    parser.add_argument("--errors", type=int, default=0, help="print N misclassified examples per set")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results, langid = asyncio.run(evaluate_model(args.model, SET_DIRS[args.sets]))
    print(table(results))
    if langid:
        print()
        print(langid_table(langid))
    for r in results:
        for text, want, got in r.errors[: args.errors]:
            print(f"  [{r.name}] {want} → {got}: {text}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"sets": [r.__dict__ for r in results], "langid": langid}, ensure_ascii=False, indent=1))
    failed = [r.name for r in results if r.accuracy < GATES.get(r.name, 0)]
    failed += [f"{r.name} {e} recall" for r in results if r.name == "entities"
               for e in ("amount", "payment_date", "full_name") if (r.entity_recall.get(e) or 0) < RECALL_GATE]
    failed += [f"language id {kind}" for kind, (_, accuracy) in langid.items()
               if accuracy < LANGID_GATES.get(kind, 0)]
    if args.gate and failed:
        print(f"below the gate: {failed} (gates {GATES}, recall {RECALL_GATE}, {LANGID_GATES})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
