"""`python -m bot export-misses`: what Dana did not understand, as NLU data to label, with no personal data."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data

from bot.config import LIMITS
from bot.office.cli import main
from bot.office.nlu_misses import STAND_INS, mask, plain
from bot.server.tracker_store import DanaTrackerStore

DAY = 24 * 3600
# What customers typed that must never leave the database.
PERSONAL = ["+7 705 321 98 76", "7053219876", "Серикова", "Динара", "0861234511", "aigerim.s@mail.kz", "900101300123"]


def _said(text: str, intent: str, confidence: float, *, ranking=(), ago: float = 3600) -> UserUttered:
    top = {"name": intent, "confidence": confidence}
    parse_data = {
        "intent": top,
        "entities": [],
        "text": text,
        "intent_ranking": [top, *({"name": n, "confidence": c} for n, c in ranking)],
    }
    return UserUttered(text, top, [], parse_data, timestamp=time.time() - ago)


def _fallback(text: str, guess: str, confidence: float, **kwargs) -> UserUttered:
    return _said(
        text, "nlu_fallback", LIMITS.nlu_fallback_threshold, ranking=[(guess, confidence), ("greet", 0.05)], **kwargs
    )


CONVERSATIONS = {
    "callback": [
        _fallback("Меня зовут Серикова Динара, мой номер +7 705 321 98 76, перезвоните", "request_human", 0.31)
    ],
    "no-internet": [
        _said("Логинім 0861234511 интернет жоқ", "internet_down", 0.52, ranking=[("internet_slow", 0.3)]),
        _said("интернет не работает", "internet_down", 0.97),  # understood: not exported
        _said("  логинім   0861234511 ИНТЕРНЕТ жоқ ", "internet_down", 0.48),  # the same, typed again
        _said("/affirm", "affirm", 0.2),  # a button
    ],
    "payment": [
        _fallback("оплатил 5000 тг кеше, ИИН 900101300123, деньги не пришли", "payment_not_credited", 0.4),
        _said("мой email aigerim.s@mail.kz, пришлите чек", "send_receipt", 0.55),
        _said("", "nlu_fallback", 0.0),
        _said("а" * (LIMITS.max_message_chars + 1), "nlu_fallback", 0.0),
        _fallback("старое непонятное сообщение", "out_of_scope", 0.2, ago=10 * DAY),  # before --since
    ],
}


async def _store(domain, url: str) -> None:
    store = DanaTrackerStore(domain, host=url)
    with store.engine.begin() as connection:  # PostgreSQL keeps other tests' conversations
        connection.execute(sa.delete(store.SQLEvent.__table__))
    for name, said in CONVERSATIONS.items():
        events = []
        for event in sorted(said, key=lambda e: e.timestamp):
            events += [event, ActionExecuted("action_listen", timestamp=event.timestamp + 1)]
        await store.save(DialogueStateTracker.from_events(f"{name}-{uuid.uuid4().hex}", events, domain.slots))


@pytest.fixture
async def conversations(domain, database):
    await _store(domain, database)
    return database


def _export(capsys, *argv):
    code = main(["export-misses", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _examples(path) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in load_data(str(path)).intent_examples:
        found.setdefault(message.get("intent"), []).append(message)
    return found


def test_misses_exported_masked_merged_and_loadable(conversations, capsys, tmp_path):
    from nlu.components.entity_extractor import extract_entities

    out = tmp_path / "misses.yml"
    code, stdout, stderr = _export(capsys, "--since", "+3d", "--out", str(out))
    assert code == 0 and stdout == ""
    assert "exported 5 missed message(s) as 4 example(s)" in stderr
    written = out.read_text(encoding="utf-8")

    # Nothing the customers typed about themselves, in the file or on the console.
    for value in PERSONAL:
        assert value not in written and value not in stderr, value
    assert "7053219876" not in re.sub(r"\D", "", written)

    # Only the misses, each under the intent Dana guessed, the busiest intent first.
    examples = _examples(out)
    texts = {intent: [m.get("text") for m in messages] for intent, messages in examples.items()}
    assert texts == {
        "internet_down": ["Логинім 0851234567 интернет жоқ"],  # the first spelling
        "request_human": ["Меня зовут Асанов Асан, мой номер +7 701 000 00 00, перезвоните"],
        "payment_not_credited": ["оплатил 5000 тг кеше, ИИН 000000000000, деньги не пришли"],
        "send_receipt": ["мой email name@example.kz, пришлите чек"],
    }
    assert written.index("- intent: internet_down") < written.index("- intent: request_human")
    for absent in ("интернет не работает", "/affirm", "affirm", "старое", "ааааа"):
        assert absent not in written

    # The two spellings of one message are one example, seen twice; counts and
    # confidences are comments, not part of the example.
    assert len(texts["internet_down"]) == 1
    assert re.search(r"#\s+1\. 2×, 0\.48–0\.52\n- intent: internet_down", written)
    assert "1×, 0.31, fallback" in written
    assert all("×" not in text for text in sum(texts.values(), []))

    # Stand-ins and kept amounts/dates are annotated, and Dana's extractor finds them again where
    # annotated (it also reads a zeroed 8+ digit number as a login: that one is left unmarked).
    annotated = {
        (e["entity"], e["value"]) for messages in examples.values() for m in messages for e in m.get("entities", [])
    }
    assert {
        ("login", STAND_INS["login"]),
        ("phone_number", STAND_INS["phone_number"]),
        ("full_name", STAND_INS["full_name"]),
        ("email", STAND_INS["email"]),
        ("amount", "5000 тг"),
        ("payment_date", "кеше"),
    } <= annotated
    for messages in examples.values():
        for message in messages:
            marked = {(e["entity"], e["start"], e["end"]) for e in message.get("entities", [])}
            text = message.get("text")
            found = {(e["entity"], e["start"], e["end"]) for e in extract_entities(text)}
            assert marked <= found, text
            assert all(set(text[start:end]) == {"0"} for _, start, end in found - marked), text

    # The header tells the labeller what this is and what to run next.
    assert written.startswith("# Messages Dana did not understand well: 5 (4 distinct)")
    assert f"scripts/add_nlu_examples.py {out} --lang auto" in written


def test_printed_without_out_and_limited(conversations, capsys):
    code, stdout, stderr = _export(capsys, "--limit", "1")
    assert code == 0 and "exported 2 missed message(s) as 1 example(s)" in stderr
    assert re.findall(r"^- intent: (\w+)", stdout, re.M) == ["internet_down"]
    assert "scripts/add_nlu_examples.py FILE --lang auto" in stdout
    assert "0861234511" not in stdout


def test_since_iso_time_and_old_messages(conversations, capsys, tmp_path):
    out = tmp_path / "old.yml"
    assert _export(capsys, "--since", "2000-01-01T00:00", "--out", str(out))[0] == 0
    assert "старое непонятное сообщение" in [m.get("text") for m in _examples(out)["out_of_scope"]]
    with pytest.raises(SystemExit):
        main(["export-misses", "--since", "yesterday"])


def test_nothing_to_export_is_still_a_loadable_file(database, capsys, tmp_path):
    out = tmp_path / "none.yml"  # a database with no conversations yet (on SQLite: no events table)
    engine = sa.create_engine(database)
    if sa.inspect(engine).has_table("events"):
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM events"))
    engine.dispose()
    code, _, stderr = _export(capsys, "--out", str(out))
    assert code == 0 and "exported 0 missed message(s)" in stderr
    assert load_data(str(out)).intent_examples == []


@pytest.mark.parametrize(
    "text, personal",
    [
        ("менің атым Сапарова Айгерім Ерланқызы, телефоным 8 777 123 45 67", ["Сапарова", "Айгерім", "777 123 45 67"]),
        ("логин A12345678, оплатил 12 000 тг 3 декабря", ["A12345678"]),
        ("почта Test.User@Mail.ru, договор 12345 и 701-123-45-67", ["Test.User", "12345", "701-123-45-67"]),
        ("ИИН 900101300123 [карта](4400 4301 2345 6789)", ["900101300123", "4301 2345"]),
    ],
)
def test_masking_leaves_no_number_or_address(text, personal):
    masked = mask(text)
    for value in personal:
        assert value not in masked
    outside = re.sub(r"\[[^\]]+\]\([a-z_]+\)", "", masked)  # what no annotation covers
    assert all(set(run) == {"0"} for run in re.findall(r"\d{5,}", outside))
    assert "[" not in outside and "@" not in outside
    assert re.fullmatch(r"[^\[\]]*", plain(masked))
