"""The per-sender rate limit (memory and Redis) and the message guard around
every channel's message handler, without a running Dana."""
from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.server import message_guard
from bot.config import ROOT
from bot.server.rate_limit import KEY_PREFIX, MemoryRateLimiter, RedisRateLimiter, redis_client
from tests.bot.conftest import free_port


def run(coro):
    return asyncio.run(coro)


async def hits(limiter, sender: str, n: int) -> List[Any]:
    return [await limiter.hit(sender) for _ in range(n)]


# ------------------------------------------------------------------ memory

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_limit_counts_per_sender_and_refuses_politely_once():
    limiter = MemoryRateLimiter(3, 60, Clock())
    verdicts = run(hits(limiter, "alice", 6))
    assert [v.allowed for v in verdicts] == [True, True, True, False, False, False]
    assert [v.first_refusal for v in verdicts] == [False, False, False, True, False, False]
    assert run(limiter.hit("bob")).allowed  # another sender is not affected


def test_memory_limit_resets_after_the_window():
    clock = Clock()
    limiter = MemoryRateLimiter(2, 60, clock)
    run(hits(limiter, "alice", 3))
    clock.now += 59
    assert not run(limiter.hit("alice")).allowed
    clock.now += 1.5  # the window started with the first message
    assert [v.allowed for v in run(hits(limiter, "alice", 3))] == [True, True, False]


def test_memory_limit_forgets_the_oldest_senders(monkeypatch):
    monkeypatch.setattr("bot.server.rate_limit.MAX_SENDERS", 100)
    limiter = MemoryRateLimiter(1, 60, Clock())
    for i in range(500):
        run(limiter.hit(f"sender-{i}"))
    assert len(limiter._senders) == 100


# ------------------------------------------------------------------ Redis

def test_redis_limit_is_shared_by_servers_and_resets_after_the_window(redis_port):
    async def scenario():
        # Two Rasa servers, two clients: one count.
        first = RedisRateLimiter(3, 1, redis_client("127.0.0.1", redis_port, 1))
        second = RedisRateLimiter(3, 1, redis_client("127.0.0.1", redis_port, 1))
        sender = f"whatsapp:7701{time.time_ns() % 10**7:07d}"
        verdicts = [await (first if i % 2 else second).hit(sender) for i in range(5)]
        other = await first.hit(sender + "-other")
        keys = [k.decode() for k in await first.client.keys(KEY_PREFIX + "*")]
        await asyncio.sleep(1.3)
        after = await second.hit(sender)
        await first.client.close()
        await second.client.close()
        return verdicts, other, keys, after, sender

    verdicts, other, keys, after, sender = run(scenario())
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert [v.first_refusal for v in verdicts] == [False, False, False, True, False]
    assert other.allowed
    assert keys and not any(sender in k for k in keys)  # the phone number is not in the key
    assert after.allowed


def test_redis_down_lets_messages_through_and_logs_without_the_sender(caplog):
    port = free_port()  # nothing listens there

    async def scenario():
        limiter = RedisRateLimiter(1, 60, redis_client("127.0.0.1", port, 1))
        verdicts = await hits(limiter, "telegram:424242", 5)
        await limiter.client.close()
        return verdicts

    verdicts = run(scenario())
    assert all(v.allowed for v in verdicts)
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.server.rate_limit"]
    assert len(warnings) == 1 and "Redis unavailable" in warnings[0]  # once in a while, not per message
    assert "424242" not in caplog.text


# ------------------------------------------------------------------ the guard

def message(text: str, sender: str = "s1", channel: str = "rest", metadata=None) -> UserMessage:
    return UserMessage(text, CollectingOutputChannel(), sender, input_channel=channel, metadata=metadata)


def sent(m: UserMessage) -> List[str]:
    return [x.get("text", "") for x in m.output_channel.messages]


async def broken(message):
    raise RuntimeError("database is down")


@pytest.mark.parametrize("text, metadata, want, not_want", [
    ("интернет істемей тұр", None, "техникалық ақау", "техническая неполадка"),
    ("пропал интернет", None, "техническая неполадка", "техникалық ақау"),
    ("0851234567", {"language": "ru"}, "техническая неполадка", "техникалық ақау"),  # the channel's hint
])
def test_a_failed_turn_is_answered_in_the_customers_language(caplog, text, metadata, want, not_want):
    wrapped = message_guard.guard(broken, None)
    m = message(text, metadata=metadata)
    assert run(wrapped(m)) is None  # returns normally
    assert len(sent(m)) == 1 and want in sent(m)[0] and not_want not in sent(m)[0]
    assert "3131" in sent(m)[0]  # placeholders filled
    assert "RuntimeError" in caplog.text and text not in caplog.text


def test_undecidable_language_gets_both_kazakh_first():
    m = message("👍👍 123")
    run(message_guard.guard(broken, None)(m))
    assert len(sent(m)) == 1  # one message, on every channel
    answer = sent(m)[0]
    assert answer.index("техникалық ақау") < answer.index("техническая неполадка")


def test_the_ivr_keeps_its_own_failure_handling():
    with pytest.raises(RuntimeError):
        run(message_guard.guard(broken, None)(message("алло", channel="voice")))


def test_over_the_limit_one_polite_answer_then_silence_and_nothing_processed():
    processed = []

    async def original(m):
        processed.append(m.text)
        await m.output_channel.send_text_message(m.sender_id, "ok")

    wrapped = message_guard.guard(original, MemoryRateLimiter(2, 60, Clock()))
    burst = [message("Здравствуйте, пропал интернет", "flood") for _ in range(5)]
    for m in burst:
        run(wrapped(m))
    other = message("сәлем", "calm")
    run(wrapped(other))
    assert len(processed) == 3  # two of the flood + the other sender
    assert [sent(m) for m in burst[:2]] == [["ok"], ["ok"]]
    assert "Вы пишете очень часто" in sent(burst[2])[0] and "1 мин" in sent(burst[2])[0]
    assert [sent(m) for m in burst[3:]] == [[], []]
    assert sent(other) == ["ok"]


def test_every_channel_that_takes_messages_answers_a_failed_turn(monkeypatch):
    """Each channel in credentials.yml hands its routes a guarded handler (channels/base.py),
    with Rasa's code unpatched: a failed turn on any of them is answered, not silent."""
    import importlib

    import yaml

    from channels.base import GuardedInput

    monkeypatch.setattr(message_guard, "_limits", (None, None))
    # Staff and platforms, not customers: the operator API and the Chatwoot bridge.
    takes_no_messages = {"channels.health.HealthInput", "channels.metrics.MetricsInput", "channels.web.WidgetPage",
                         "channels.operators.OperatorAPI", "channels.chatwoot.ChatwootBridge",
                         "channels.console.OperatorConsole"}
    for path in yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8")):
        module, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        if path in takes_no_messages:
            assert "on_new_message(" not in inspect.getsource(cls), path
            continue
        assert issubclass(cls, GuardedInput), path
        handed = []
        monkeypatch.setattr(cls, "routes", lambda self, handler, into=handed: into.append(handler))
        cls.blueprint(object.__new__(cls), broken)
        m = message("пропал интернет", channel="rest")
        assert run(handed[0](m)) is None, path
        assert "техническая неполадка" in sent(m)[0], path
