"""Dana says things in the operator's own words (docs/glossary.yml): the terms of
the seeds, never the calque or the synonym a Kazakh editor struck out."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = yaml.safe_load((ROOT / "docs" / "glossary.yml").read_text(encoding="utf-8"))
DOMAIN = Domain.load(str(ROOT / "domain"))


def texts(language: str):
    """(response, text) for every variation said in ``language`` (the default
    variation, without a language condition, is Russian)."""
    for name, variations in DOMAIN.responses.items():
        for variation in variations:
            condition = variation.get("condition") or []
            said_in = next((c["value"] for c in condition if c.get("name") == "language"), "ru")
            if said_in != language:
                continue
            parts = [variation.get("text") or ""]
            parts += [b.get("title") or "" for b in variation.get("buttons") or []]
            yield name, " ".join(parts)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_responses_use_the_seeds_terms(language):
    wrong = []
    for entry in GLOSSARY[language]:
        for pattern in entry["avoid"]:
            found = re.compile(pattern, re.IGNORECASE)
            wrong += [f"{name}: «{found.search(text)[0]}» — say «{entry['use']}»"
                      for name, text in texts(language) if found.search(text)]
    assert not wrong, "\n".join(wrong)


def test_every_glossary_entry_names_its_source():
    for language in ("kk", "ru"):
        for entry in GLOSSARY[language]:
            assert entry.get("use") and entry.get("avoid") and entry.get("source"), entry


def test_the_kazakh_terms_are_the_seeds_own():
    """The terms Dana must use appear in the Kazakh seeds copied into docs/spec
    (the glossary's claim is checked, not trusted)."""
    seeds = ROOT / "docs" / "spec" / "seed-terms.txt"
    text = seeds.read_text(encoding="utf-8").lower()
    for term in ("техникт", "өтініш", "қолдау орталығ", "чек", "теңгерім", "менің beeline-ым",
                 "жеке кабинет", "үйдегі интернет", "кері қоңырау", "абоненттік төлем"):
        assert term in text, term
