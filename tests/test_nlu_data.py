"""Training and held-out data keep the contract and stay apart."""
from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from tests.test_domain import CONTRACT_INTENTS

ROOT = Path(__file__).resolve().parent.parent


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def training():
    return {lang: load_data(str(ROOT / "nlu" / lang)) for lang in ("kk", "ru")}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_at_least_40_examples_per_intent_per_language(training, lang):
    counts = Counter(m.get("intent") for m in training[lang].intent_examples)
    thin = {i: counts[i] for i in CONTRACT_INTENTS if counts[i] < 40}
    assert not thin


def test_held_out_sets_are_never_trained_on(training):
    trained = {_norm(m.get("text")) for d in training.values() for m in d.intent_examples}
    for name in ("kk", "ru", "noisy"):
        held = load_data(str(ROOT / "tests" / "nlu" / name))
        leaked = [m.get("text") for m in held.intent_examples if _norm(m.get("text")) in trained]
        assert not leaked, f"{name}: {leaked[:5]}"


@pytest.mark.parametrize("name", ["kk", "ru"])
def test_held_out_covers_every_intent(name):
    held = load_data(str(ROOT / "tests" / "nlu" / name))
    assert set(CONTRACT_INTENTS) <= {m.get("intent") for m in held.intent_examples}
