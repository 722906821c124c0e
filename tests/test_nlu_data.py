"""Training and held-out data keep the contract and stay apart."""
import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from tests.test_domain import CONTRACT_INTENTS

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = ROOT / "tests" / "nlu"
DEV = ROOT / "bench" / "nlu_dev"


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def training():
    return {lang: load_data(str(ROOT / "nlu" / lang)) for lang in ("kk", "ru")}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_at_least_60_examples_per_intent_per_language(training, lang):
    counts = Counter(m.get("intent") for m in training[lang].intent_examples)
    thin = {i: counts[i] for i in CONTRACT_INTENTS if counts[i] < 60}
    assert not thin


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_training_block_names_its_language(lang):
    """The language identifier learns each language from these labels."""
    for path in sorted((ROOT / "nlu" / lang).glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in block:
                assert block.get("metadata") == {"language": lang}, f"{path.name}: {block['intent']}"


@pytest.mark.parametrize("folder", [HELD_OUT, DEV], ids=["held-out", "dev"])
def test_evaluation_sets_are_never_trained_on(training, folder):
    trained = {_norm(m.get("text")) for d in training.values() for m in d.intent_examples}
    for path in sorted(folder.rglob("*.yml")):
        held = load_data(str(path))
        leaked = [m.get("text") for m in held.intent_examples if _norm(m.get("text")) in trained]
        assert not leaked, f"{path}: {leaked[:5]}"


def test_held_out_and_dev_sets_do_not_overlap():
    def texts(folder):
        return {_norm(m.get("text")) for p in folder.rglob("*.yml") for m in load_data(str(p)).intent_examples}
    assert not texts(HELD_OUT) & texts(DEV)


@pytest.mark.parametrize("name, per_intent", [("kk", 20), ("ru", 20)])
def test_held_out_has_20_per_intent_per_language(name, per_intent):
    counts = Counter(m.get("intent") for m in load_data(str(HELD_OUT / name)).intent_examples)
    assert {i: counts[i] for i in CONTRACT_INTENTS if counts[i] < per_intent} == {}


def test_held_out_sizes_noisy_ood_and_language_id():
    assert len(load_data(str(HELD_OUT / "noisy")).intent_examples) >= 200
    assert len(load_data(str(HELD_OUT / "ood")).intent_examples) >= 300
    with (HELD_OUT / "langid.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert {r["lang"] for r in rows} == {"kk", "ru"} and len(rows) >= 600
