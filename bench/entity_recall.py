"""Recall and false positives of the rule-based entities on the dev sets.

Recall: a gold span counts as found when an extracted entity of the same type
overlaps it (bench/nlu_dev/entities/*.yml and any gold spans in the intent
sets). False positives: extracted amount/date/name entities that overlap no
gold entity, on every dev text. ``--misses`` prints the texts behind both.

    python -m bench.entity_recall [--misses]
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from nlu.components.entity_extractor import extract_entities

DEV = Path(__file__).resolve().parent / "nlu_dev"
FILES = ["entities/kk.yml", "entities/ru.yml", "kk/dev.yml", "ru/dev.yml", "noisy/dev.yml"]
TYPES = ("amount", "payment_date", "full_name")


def main(show: bool) -> None:
    hit, total, false_pos = Counter(), Counter(), Counter()
    for name in FILES:
        for example in load_data(str(DEV / name)).intent_examples:
            text = example.get("text")
            gold = [(e["entity"], e["start"], e["end"]) for e in example.get("entities") or []]
            found = extract_entities(text)
            for kind, start, end in gold:
                if kind not in TYPES:
                    continue
                total[kind] += 1
                if any(f["entity"] == kind and f["start"] < end and start < f["end"] for f in found):
                    hit[kind] += 1
                elif show:
                    print(f"MISS {kind:12} {text[start:end]!r:30} | {text}")
            for f in found:
                if f["entity"] in TYPES and not any(f["start"] < e and s < f["end"] for _, s, e in gold):
                    false_pos[f["entity"]] += 1
                    if show:
                        print(f"FP   {f['entity']:12} {text[f['start']:f['end']]!r:30} | {text}")
    for kind in TYPES:
        print(f"{kind:12} recall {hit[kind] / max(total[kind], 1):.3f} "
              f"({hit[kind]}/{total[kind]})  false positives {false_pos[kind]}")


if __name__ == "__main__":
    main("--misses" in sys.argv)
