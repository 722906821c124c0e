"""The operator console end to end (issue 20): accounts made with the admin
CLI, then headless Chromium (web/e2e/console.mjs) as an operator, a locked-out
account and a supervisor against the live Dana; afterwards the database must
hold what the pages did, and the analytics page must have shown the figures of
the database — including the conversation this test just held."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.web.test_widget import RESULTS, ROOT, WEB, built, chromium, get  # noqa: F401

BIN = ROOT / ".venv" / "bin"
OPERATOR = ("aigerim.s", "operator-pass-1234")
SUPERVISOR = ("bauyrzhan.k", "supervisor-pass-5678")
LOCKED = ("dana.locked", "locked-pass-9012")


def _env(dana) -> dict:
    return {**os.environ, "DANA_DATABASE_URL": dana["database_url"], "PYTHONPATH": str(ROOT)}


def _data(dana, what: str) -> dict:
    done = subprocess.run([str(BIN / "python"), "-m", "tests.web.console_data", what], cwd=ROOT, env=_env(dana),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _staff_add(dana, name: str, role: str, password: str) -> None:
    done = subprocess.run([str(BIN / "python"), "-m", "bot", "staff", "add", name, "--role", role, "--password-stdin"],
                          cwd=ROOT, env=_env(dana), input=password + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _share(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def test_console_page_needs_a_login(dana, built):
    base = f"{dana['url']}/webhooks/console"
    status, kind, body = get(f"{base}/")
    assert status == 200 and kind.startswith("text/html") and b"static/console.js" in body
    assert get(f"{base}/static/chart.umd.js")[0] == 200
    for name in ("index.html", "..%2Fe2e%2Fconsole.mjs", "missing.js"):
        assert get(f"{base}/static/{name}")[0] == 404, name
    for path in ("api/queue", "api/requests", "api/outages", "api/analytics", "api/me", "api/events"):
        assert get(f"{base}/{path}")[0] == 401, path


def test_console_in_headless_chromium(dana, built, chromium):
    for shot in RESULTS.glob("console-*.png"):
        shot.unlink()
    for name, role, password in ((*OPERATOR[:1], "operator", OPERATOR[1]), (*SUPERVISOR[:1], "supervisor", SUPERVISOR[1]),
                                 (*LOCKED[:1], "operator", LOCKED[1])):
        _staff_add(dana, name, role, password)
    seeded = _data(dana, "seed")
    assert seeded["raised"] == [False, False, False, False, True], seeded  # the fifth report raises it
    before = _data(dana, "report")

    run = subprocess.run(
        ["node", str(WEB / "e2e" / "console.mjs"), dana["url"], str(RESULTS)], cwd=ROOT,
        env={**os.environ, "CHROMIUM": chromium, "OPERATOR": ":".join(OPERATOR), "SUPERVISOR": ":".join(SUPERVISOR),
             "LOCKED": ":".join(LOCKED), "TICKET_PHONE": "+7 777 123 99 99", "DECLARE_AREA": "Алматы, Медеу ауданы"},
        capture_output=True, text=True, timeout=900)
    print(run.stdout)
    failed = f"{run.stdout[-4000:]}\n{run.stderr[-3000:]}\nrasa log: {dana['logs']['rasa']}"
    lines = [line for line in run.stdout.splitlines() if line.startswith("[console] result ")]
    assert lines, failed
    shown = json.loads(lines[-1].split(" result ", 1)[1])
    assert run.returncode == 0, failed
    after = _data(dana, "report")
    db = _data(dana, "check")
    operator, supervisor = OPERATOR[0], SUPERVISOR[0]

    # 1. Accounts: scrypt hashes; the locked account is locked.
    assert {user["hash"] for user in db["users"].values()} == {"scrypt$"}
    assert db["users"][LOCKED[0]]["locked"] and not db["users"][operator]["locked"]
    assert "заблокирована" in shown["lockout_messages"][-1] and "Неверное" in shown["lockout_messages"][0]

    # 2. The hand-off: taken, answered and closed by the operator, each step audited.
    handoff = db["handoffs"][str(shown["handoff_id"])]
    assert handoff == {"status": "resolved", "operator": operator, "conversation": shown["customer_session"]}
    done = {(staff, action, target) for staff, action, target in db["actions"]}
    for action in ("claim", "reply", "close", "view"):
        assert (operator, action, f"handoff:{shown['handoff_id']}") in done, action
    assert any(text.startswith("1-ден 5-ке") or "бағалаңыз" in text for text in shown["after_close"]), shown["after_close"]

    # 3. The ticket: found by phone, its callback overdue, resolved — and its customer will be told.
    assert shown["ticket_id"] == seeded["ticket_id"] and shown["ticket_overdue"] is True
    assert db["tickets"][str(seeded["ticket_id"])] == "resolved"
    assert (operator, "status:resolved", f"tickets:{seeded['ticket_id']}") in done
    assert any(conversation == "console-ticket-customer" for conversation, _ in db["notified"])

    # 4. Operators are kept out of supervisor pages; a POST without the CSRF token is refused.
    assert shown["operator_analytics"] == 403 and shown["operator_declare"] == 403 and shown["without_csrf"] == 403

    # 5. The suspected outage confirmed (its reporters told), the declared one cleared, all audited.
    assert [(area, status) for area, status, _ in db["suspected"]] == [(seeded["area"], "confirmed")]
    confirmed = [row for row in db["outages"] if row[1] == seeded["area"]]
    assert len(confirmed) == 1 and not confirmed[0][2]
    assert sum(conversation.startswith("console-report-") for conversation, _ in db["notified"]) == 5
    declared = [row for row in db["outages"] if row[0] == shown["declared"]["id"]][0]
    assert declared[1] == "Алматы, Медеу ауданы" and declared[2]  # cleared
    assert {(supervisor, "outage_declared"), (supervisor, "outage_cleared")} <= {(s, a) for s, a, _ in done}
    assert "Павлодар" in shown["suspected_text"]

    # 6. Analytics show the database's figures, and the conversation held above is among them.
    figures, charts = shown["analytics"]["figures"], shown["analytics"]["charts"]
    totals = after["totals"]
    assert totals["conversations"] >= before["totals"]["conversations"] + 1
    assert int(figures["total_conversations"]) == totals["conversations"]
    assert figures["total_handed_off"] == _share(totals["handed_off"])
    assert figures["total_contained"] == _share(totals["contained"])
    assert figures["total_fallback"] == _share(totals["fallback"])
    today = shown["analytics"]["until"]
    column = charts["chart-channels"]["labels"].index(today)
    by_channel = {d["label"]: d["data"][column] for d in charts["chart-channels"]["datasets"]}
    expected = {}
    for row in after["per_day"]:
        if row["day"] == today:
            expected[row["channel"]] = expected.get(row["channel"], 0) + row["conversations"]
    assert by_channel == expected
    assert by_channel["socketio"] >= 1
    by_language = {d["label"]: d["data"][column] for d in charts["chart-languages"]["datasets"]}
    assert by_language.get("kk", 0) >= 1 and sum(by_language.values()) == totals["conversations"]
    intents = charts["chart-intents"]
    assert intents["type"] == "bar" and intents["labels"] == [row["intent"] for row in after["intents"]]
    assert intents["datasets"][0]["data"] == [row["count"] for row in after["intents"]]
    assert shown["csv"]["status"] == 200 and shown["csv"]["type"].startswith("text/csv")
    assert (supervisor, "export") in {(s, a) for s, a, _ in done}

    # The message Dana did not understand, labelled by the supervisor for the next training.
    assert shown["labelled"]["example"] == "фывапролдж ячсмить"
    labelled = yaml.safe_load(Path(dana["labelled"]).read_text(encoding="utf-8"))
    blocks = [block for block in labelled["nlu"] if block["intent"] == "request_human"]
    assert any("фывапролдж ячсмить" in block["examples"] for block in blocks), labelled
    assert (supervisor, "label") in {(s, a) for s, a, _ in done}

    # Screenshots of every page in both languages.
    for page in ("login", "queue", "requests", "outages", "analytics"):
        for lang in ("kk", "ru"):
            assert (RESULTS / f"console-{page}-{lang}.png").stat().st_size > 10_000, (page, lang)


@pytest.fixture(autouse=True)
def _results_dir():
    Path(RESULTS).mkdir(exist_ok=True)
