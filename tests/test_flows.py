"""One topic name per flow (docs/flows.md «Topics»): a flow's files share its name.

The topic list is read from docs/flows.md, so the page and the files cannot drift
apart: each topic has the sibling files marked for it below (and no others),
no data, rules, actions or tests file lives outside a topic name except the
shared ones listed here, every intent of the contract (docs/spec/intents.md)
and every intent, form and custom action of the domain belongs to exactly one
topic, and each file holds its own topic's intents, rules and stories.
"""
import re
from pathlib import Path

import pytest
import yaml

from tests.test_domain import CONTRACT_INTENTS

ROOT = Path(__file__).resolve().parent.parent
FLOWS_DOC = ROOT / "docs" / "flows.md"
SHARED_INTENTS = {"affirm", "deny", "inform"}  # every flow's answers: declared in domain/_common.yml

# Where a topic's sibling files live; "{t}" is the topic.
SIBLINGS = {
    "domain": "domain/{t}.yml",
    "responses": "domain/responses/{t}.yml",
    "nlu_kk": "nlu/kk/{t}.yml",
    "nlu_ru": "nlu/ru/{t}.yml",
    "rules": "stories/rules/{t}.yml",
    "actions": "actions/{t}.py",
    "office": "bot/office/{t}.py",
    "action_tests": "tests/actions/test_{t}.py",
    "stories": "tests/stories/test_{t}.yml",
}
ALL = set(SIBLINGS)
# Which siblings each topic has (docs/flows.md says why some have none).
HAS = {
    "diagnostics": ALL,
    "technician": ALL,
    "callback": ALL,
    "refund": ALL,
    "payment_check": ALL,
    "receipts": ALL - {"action_tests", "stories"},
    "consent": ALL - {"action_tests"},
    "info": ALL - {"actions", "office", "action_tests"},
    "handoff": ALL,
    "csat": ALL,
    "general": ALL - {"office"},
}
# Files under no topic: what every flow shares.
SHARED_FILES = {
    "domain/_common.yml",
    "domain/responses/_common.yml",
    "domain/responses/channels.yml",  # what a channel says by itself, outside Dana's turns
    "actions/__init__.py",
    "actions/base.py",
    "actions/conversation.py",
    "actions/filing.py",
    "actions/login.py",
    "actions/payment_data.py",
    "actions/phone.py",
    "tests/actions/__init__.py",
    "tests/actions/test_phone.py",
}
# The folders where every file is a topic's or shared.
CHECKED = ("domain/*.yml", "domain/responses/*.yml", "nlu/kk/*.yml", "nlu/ru/*.yml", "stories/**/*.yml",
           "actions/*.py", "tests/actions/*.py", "tests/stories/*.yml")

LINE = re.compile(r"^- `([a-z_]+)` → intents: (.*?); forms: (.*?); actions: (.*)$")


def _names(text: str) -> list[str]:
    text = text.strip()
    return [] if text in ("—", "-", "") else [n.strip() for n in text.split(",")]


def _topics() -> dict[str, dict[str, list[str]]]:
    topics = {}
    for line in FLOWS_DOC.read_text(encoding="utf-8").splitlines():
        match = LINE.match(line)
        if match:
            name, intents, forms, actions = match.groups()
            assert name not in topics, f"docs/flows.md lists {name} twice"
            topics[name] = {"intents": _names(intents), "forms": _names(forms), "actions": _names(actions)}
    return topics


TOPICS = _topics()


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _domain_file(path: Path) -> dict:
    data = _yaml(path)
    actions = [next(iter(a)) if isinstance(a, dict) else a for a in data.get("actions") or []]
    return {"intents": list(data.get("intents") or []), "forms": list(data.get("forms") or {}), "actions": actions}


def _topic_of_intent() -> dict[str, str]:
    return {intent: topic for topic, spec in TOPICS.items() for intent in spec["intents"]}


def test_the_topic_list_is_in_docs_flows_md():
    assert set(TOPICS) == set(HAS), ("docs/flows.md «Topics» and HAS here name different topics: "
                                     f"{sorted(set(TOPICS) ^ set(HAS))}")


@pytest.mark.parametrize("topic", sorted(HAS))
def test_each_topic_has_its_sibling_files(topic):
    present = {kind for kind, pattern in SIBLINGS.items() if (ROOT / pattern.format(t=topic)).exists()}
    missing, unexpected = HAS[topic] - present, present - HAS[topic]
    assert not missing, f"{topic}: no {[SIBLINGS[k].format(t=topic) for k in sorted(missing)]}"
    assert not unexpected, (f"{topic}: {[SIBLINGS[k].format(t=topic) for k in sorted(unexpected)]} exist: "
                            "mark them in HAS here and in docs/flows.md")


def test_no_file_lives_outside_a_topic_name():
    allowed = {pattern.format(t=topic) for topic in HAS for pattern in SIBLINGS.values()} | SHARED_FILES
    strays = sorted(str(path.relative_to(ROOT)) for glob in CHECKED for path in ROOT.glob(glob)
                    if str(path.relative_to(ROOT)) not in allowed)
    assert not strays, f"name these after their flow's topic (docs/flows.md), or list them as shared: {strays}"


def test_every_contract_intent_belongs_to_exactly_one_topic():
    owners: dict[str, list[str]] = {}
    for topic, spec in TOPICS.items():
        for intent in spec["intents"]:
            owners.setdefault(intent, []).append(topic)
    assert CONTRACT_INTENTS
    assert not [i for i in CONTRACT_INTENTS if len(owners.get(i, [])) != 1], {
        i: owners.get(i, []) for i in CONTRACT_INTENTS if len(owners.get(i, [])) != 1}
    assert not {i: t for i, t in owners.items() if len(t) > 1}


def test_the_domain_files_declare_what_the_topic_list_says():
    """A topic's intents, forms and custom actions are declared in domain/<topic>.yml
    (shared intents in domain/_common.yml), and every one declared belongs to a topic."""
    common = _domain_file(ROOT / "domain" / "_common.yml")
    assert set(common["intents"]) == SHARED_INTENTS and not common["forms"]
    for topic, spec in TOPICS.items():
        declared = _domain_file(ROOT / "domain" / f"{topic}.yml")
        listed_intents = set(spec["intents"]) - (SHARED_INTENTS if topic == "general" else set())
        assert set(declared["intents"]) == listed_intents, topic
        assert set(declared["forms"]) == set(spec["forms"]), topic
        assert set(declared["actions"]) == set(spec["actions"]), topic
    assert SHARED_INTENTS <= set(TOPICS["general"]["intents"])


def test_each_nlu_file_trains_its_own_topics_intents():
    topic_of = _topic_of_intent()
    for lang in ("kk", "ru"):
        for path in sorted((ROOT / "nlu" / lang).glob("*.yml")):
            for block in _yaml(path)["nlu"]:
                if "intent" in block:
                    assert topic_of.get(block["intent"]) == path.stem, f"nlu/{lang}/{path.name}: {block['intent']}"


def test_each_rule_is_in_its_flows_file():
    """A rule that starts with a topic's intent, or runs while a topic's form is
    active, is in that topic's rules file."""
    topic_of = _topic_of_intent()
    form_topic = {form: topic for topic, spec in TOPICS.items() for form in spec["forms"]}
    for path in sorted((ROOT / "stories" / "rules").glob("*.yml")):
        for rule in _yaml(path).get("rules") or []:
            first = rule["steps"][0].get("intent")
            if first and first not in SHARED_INTENTS:
                assert topic_of[first] == path.stem, f"{path.name}: {rule['rule']}"
            for condition in rule.get("condition") or []:
                if condition.get("active_loop"):
                    assert form_topic[condition["active_loop"]] == path.stem, f"{path.name}: {rule['rule']}"


def test_a_forms_own_questions_are_in_its_flows_responses():
    """utter_ask_<form>_<slot> (Rasa asks with it first) is worded with the flow."""
    form_topic = {form: topic for topic, spec in TOPICS.items() for form in spec["forms"]}
    for path in sorted((ROOT / "domain" / "responses").glob("*.yml")):
        for name in _yaml(path).get("responses") or {}:
            for form, topic in form_topic.items():
                if name.startswith(f"utter_ask_{form}_"):
                    assert path.stem == topic, f"{path.name}: {name} belongs in {topic}.yml"


def test_each_test_story_is_in_its_flows_file():
    """A story belongs to the topic of its first intent (yes / no / data aside)."""
    topic_of = _topic_of_intent()
    count = 0
    for path in sorted((ROOT / "tests" / "stories").glob("*.yml")):
        for story in _yaml(path).get("stories") or []:
            first = next(s["intent"] for s in story["steps"] if s.get("intent") and s["intent"] not in SHARED_INTENTS)
            assert f"test_{topic_of[first]}" == path.stem, f"{path.name}: {story['story']}"
            count += 1
    assert count >= 95  # issue 17 regrouped 95 stories; none may get lost
