"""GET /metrics on a running Dana: customers write over REST in Kazakh and in Russian,
and both servers' counters move with the right channel and language labels — with no
sender id, login or text anywhere in what they serve (bot/server/metrics.py)."""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.channels.conftest import ROOT

LOGIN = "0851234569"  # the demo login in an area with an outage: diagnostics run on the action server
CONVERSATIONS = {
    "kk": ["Сәлеметсіз бе, интернет істемей тұр", LOGIN],
    "ru": ["Здравствуйте, пропал интернет", LOGIN],
}


def scrape(base: str) -> tuple[str, dict]:
    """The page and {(name, frozenset(labels)): value}."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = answer.read().decode()
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    return text, samples


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def say(dana, sender: str, text: str) -> list:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{dana['url']}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def test_both_servers_count_the_conversations_by_channel_and_language(dana):
    rasa_before = scrape(dana["url"])[1]
    actions_before = scrape(dana["actions_url"])[1]
    senders = {lang: f"metrics-{lang}-{os.getpid()}" for lang in CONVERSATIONS}
    said = []
    for lang, messages in CONVERSATIONS.items():
        for text in messages:
            said += [m.get("text", "") for m in say(dana, senders[lang], text)]
    assert any(said), "Dana answered nothing"
    rasa_text, rasa_after = scrape(dana["url"])
    actions_text, actions_after = scrape(dana["actions_url"])

    for lang in CONVERSATIONS:
        assert moved(rasa_before, rasa_after, "dana_messages_total", channel="rest", language=lang) >= 2, lang
    assert moved(rasa_before, rasa_after, "dana_response_seconds_count", channel="rest") >= 4
    assert moved(rasa_before, rasa_after, "dana_response_seconds_bucket", channel="rest", le="+Inf") >= 4
    intents = sum(moved(rasa_before, rasa_after, name, **dict(labels))
                  for name, labels in rasa_after if name == "dana_intents_total")
    assert intents >= 4
    # The login turn ran the diagnostics on the action server, in both conversations.
    assert moved(actions_before, actions_after, "dana_actions_total", action="action_run_diagnostics") >= 2
    assert moved(actions_before, actions_after, "dana_action_seconds_count", action="action_run_diagnostics") >= 2
    # Each server counts what passes through it.
    assert not [key for key in actions_after if key[0] == "dana_messages_total"]
    assert not [key for key in rasa_after if key[0] == "dana_actions_total"]

    domain_intents = set()
    for path in (ROOT / "domain").glob("*.yml"):
        domain_intents |= {next(iter(i)) if isinstance(i, dict) else i
                           for i in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents", [])}
    allowed = {
        "channel": {"rest", "socketio", "telegram", "voice", "messenger", "instagram", "whatsapp", "other"},
        "language": {"kk", "ru", "undecided"},
        "intent": domain_intents | {"nlu_fallback", "other"},
    }
    for name, labels in list(rasa_after) + list(actions_after):
        if not name.startswith("dana_"):
            continue
        for key, label in labels:
            assert key in ("channel", "language", "intent", "reason", "action", "le"), (name, key)
            if key in allowed:
                assert label in allowed[key], (name, key, label)
            if key == "action":
                assert re.fullmatch(r"[a-z_]+", label), (name, label)
    for text in (rasa_text, actions_text):
        for secret in [*senders.values(), LOGIN, *CONVERSATIONS["kk"], *CONVERSATIONS["ru"]]:
            assert secret not in text


def test_metrics_are_at_the_root_only(dana):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{dana['url']}/webhooks/metrics", timeout=10)
    assert refused.value.code == 404
