"""scripts/add_nlu_examples.py: labelled examples land next to their intent, never a held-out text."""
import sys

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from scripts import add_nlu_examples as add

TOPIC = """version: "3.1"
nlu:
- intent: internet_down
  metadata: {language: kk}
  examples: |
    - интернет жоқ
- intent: greet
  metadata: {language: kk}
  examples: |
    - сәлем
"""
HELD = """version: "3.1"
nlu:
- intent: internet_down
  examples: |
    - үйде интернет жоқ қой
"""
NEW = """version: "3.1"
nlu:
- intent: internet_down
  examples: |
    - ғаламтор жоқ, логин [0851234567](login)
    - Интернет жоқ
    - үйде интернет жоқ қой
- intent: request_human
  examples: |
    - маманға қосыңыз
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "nlu" / "kk").mkdir(parents=True)
    (tmp_path / "nlu" / "kk" / "diagnostics.yml").write_text(TOPIC)
    (tmp_path / "tests" / "nlu" / "kk").mkdir(parents=True)
    (tmp_path / "tests" / "nlu" / "kk" / "held.yml").write_text(HELD)
    (tmp_path / "new.yml").write_text(NEW)
    monkeypatch.setattr(add, "ROOT", tmp_path)
    return tmp_path


def test_examples_join_their_intent_and_held_out_or_known_texts_are_skipped(repo, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["add", str(repo / "new.yml"), "--lang", "kk"])
    assert add.main() == 0
    assert "added 2, skipped 2" in capsys.readouterr().out
    topic = load_data(str(repo / "nlu" / "kk" / "diagnostics.yml"))
    down = [m.get("text") for m in topic.intent_examples if m.get("intent") == "internet_down"]
    assert down == ["интернет жоқ", "ғаламтор жоқ, логин 0851234567"]
    assert [m.get("text") for m in topic.intent_examples if m.get("intent") == "greet"] == ["сәлем"]
    general = load_data(str(repo / "nlu" / "kk" / "general.yml"))  # a new intent: general.yml
    assert [(m.get("intent"), m.get("text")) for m in general.intent_examples] == [("request_human", "маманға қосыңыз")]
    assert general.intent_examples[0].get("metadata") == {"intent": {"language": "kk"}}
