"""Add labelled examples to the training data, each into its intent's topic file.

    .venv/bin/python scripts/add_nlu_examples.py FILE.yml [--lang kk|ru|auto]

FILE is Rasa NLU YAML (what `python -m bot export-misses` writes, once a
person has labelled it). Each example goes to nlu/<lang>/<topic>.yml, the file
that already holds its intent; a new intent goes to general.yml. Examples
already in nlu/ (same text, ignoring case and entity marks) or in the held-out
sets (tests/nlu/) are skipped: held-out text must never be trained on.
``--lang auto`` decides per example with Dana's language detector (Kazakh
letters, lexicons) and skips what it cannot place. A block that names its
language (``metadata: {language: kk}``, as the console's labels do,
bot/office/analytics.py) goes to that language whatever ``--lang`` says.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

def plain(example: str) -> str:
    """The example's text without entity marks, for comparison (case and spacing ignored)."""
    from bot.office.nlu_misses import plain as unmarked

    return " ".join(unmarked(example).lower().split())


def blocks_of(path: Path) -> list[tuple[str, str | None, list[str]]]:
    """(intent, the language its metadata names or None, examples) per block."""
    data = yaml.safe_load(path.read_text()) or {}
    found = []
    for block in data.get("nlu") or []:
        if "intent" in block:
            lines = [line.strip()[2:].strip() for line in (block.get("examples") or "").splitlines()
                     if line.strip().startswith("- ")]
            found.append((block["intent"], (block.get("metadata") or {}).get("language"), lines))
    return found


def examples_of(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for intent, _, lines in blocks_of(path):
        found.setdefault(intent, []).extend(lines)
    return found


def known_texts() -> set[str]:
    texts = set()
    for folder in (ROOT / "nlu", ROOT / "tests" / "nlu", ROOT / "bench" / "nlu_dev"):
        for path in folder.rglob("*.yml"):
            for lines in examples_of(path).values():
                texts.update(plain(e) for e in lines)
    return texts


def topic_file(lang: str, intent: str) -> Path:
    for path in sorted((ROOT / "nlu" / lang).glob("*.yml")):
        if re.search(rf"^- intent: {re.escape(intent)}\s*$", path.read_text(), re.M):
            return path
    return ROOT / "nlu" / lang / "general.yml"


def append(path: Path, lang: str, intent: str, examples: list[str]) -> None:
    text = path.read_text() if path.exists() else 'version: "3.1"\nnlu:\n'
    lines = "".join(f"    - {e}\n" for e in examples)
    match = re.search(rf"^- intent: {re.escape(intent)}\s*\n", text, re.M)
    if not match:
        text = text.rstrip("\n") + (f"\n- intent: {intent}\n  metadata: {{language: {lang}}}\n"
                                    f"  examples: |\n{lines}")
    else:
        following = re.search(r"^\S", text[match.end():], re.M)  # the next top-level line
        end = match.end() + following.start() if following else len(text)
        body = text[match.end():end]
        gap = body[len(body.rstrip("\n")) + 1:]  # blank lines before the next block stay
        text = text[:match.end()] + body.rstrip("\n") + "\n" + lines + gap + text[end:]
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--lang", choices=("kk", "ru", "auto"), required=True)
    args = parser.parse_args()
    from bot.text.language.detect import detect_language

    known = known_texts()
    added = skipped = 0
    for source in args.files:
        for intent, named, examples in blocks_of(source):
            by_lang: dict[str, list[str]] = {}
            for example in examples:
                text = plain(example)
                lang = named if named in ("kk", "ru") else args.lang
                if lang == "auto":
                    lang = detect_language(text).language
                if not text or text in known or lang is None:
                    skipped += 1
                    continue
                known.add(text)
                by_lang.setdefault(lang, []).append(example)
            for lang, new in by_lang.items():
                append(topic_file(lang, intent), lang, intent, new)
                added += len(new)
    print(f"added {added}, skipped {skipped} (already known, held out, or no language)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
