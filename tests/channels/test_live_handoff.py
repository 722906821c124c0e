"""Live hand-off on a running Dana (issue 19): after «connect me to an operator»
Dana steps back, an operator takes the conversation through the operator API
and answers on the customer's channel, then closes it and Dana takes over again.
The widget's side is in tests/channels/test_web.py and web/e2e/widget.mjs."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, Tuple

import pytest
from sqlalchemy import create_engine, text

from tests.channels.conftest import HANDOFF_SECRET, OPERATOR_TOKEN
from tests.channels.test_meta import Customer as MetaCustomer
from tests.channels.test_rest_flows import Customer
from tests.channels.test_telegram import Chat, texts


def api(dana, method: str, path: str, body: Optional[Dict[str, Any]] = None,
        token: Optional[str] = OPERATOR_TOKEN, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{dana['url']}/webhooks/operators{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {}),
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def handoff_of(dana, conversation_id: str) -> Dict[str, Any]:
    status, queue = api(dana, "GET", "/queue")
    assert status == 200
    found = [h for h in queue["handoffs"] if h["conversation_id"] == conversation_id]
    assert len(found) == 1, queue
    return found[0]


def kept(dana, sender: str, after: float = 0) -> List[Dict[str, Any]]:
    """What the REST channel keeps for the client outside its turns."""
    url = f"{dana['url']}/webhooks/rest/messages?sender={sender}&after={after}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())["messages"]


def wait_until(check, timeout: float = 20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not within the time")


def test_the_operator_api_wants_credentials(dana):
    assert api(dana, "GET", "/queue", token=None)[0] == 401
    assert api(dana, "GET", "/queue", token="wrong")[0] == 401
    import hashlib
    import hmac

    signed = "sha256=" + hmac.new(HANDOFF_SECRET.encode(), b"", hashlib.sha256).hexdigest()
    assert api(dana, "GET", "/queue", token=None, headers={"X-Dana-Signature": signed})[0] == 200
    assert api(dana, "POST", "/handoffs/1/claim", {"operator": "a b"})[0] == 400


@pytest.mark.parametrize("lang, ask, said_after", [
    ("ru", "Соедините с оператором", "Оператор завершил разговор"),
    ("kk", "Операторға қосыңызшы", "Оператор сөйлесуді аяқтады"),
])
def test_dana_steps_back_until_the_operator_closes(dana, standin, lang, ask, said_after):
    customer = Customer(dana, f"live-{lang}")
    customer.say("мой логин 0000000001, интернет не работает" if lang == "ru" else "логинім 0000000001")
    assert customer.say(ask)
    # Paused: the customer's message is kept for the operator, Dana says nothing.
    assert customer.say("алло, вы тут?" if lang == "ru" else "сіз осындасыз ба?") == ""
    handoff = handoff_of(dana, customer.sender)
    assert handoff["language"] == lang and handoff["status"] == "open" and handoff["operator"] is None
    said = [m["text"] for m in handoff["transcript"] if m["from"] == "customer"]
    assert said[-2:] == [ask, "алло, вы тут?" if lang == "ru" else "сіз осындасыз ба?"]
    # The contact centre's webhook got the conversation so far (masked: untrusted receiver).
    delivered = [c.json for c in standin.wait_for("handoff", 1)
                 if c.json.get("conversation_id") == customer.sender and c.json.get("event") == "handoff"]
    assert delivered and any(m["text"] == ask for m in wait_until(lambda: delivered[-1]["transcript"]))
    assert "0000000001" not in json.dumps(delivered[-1]["transcript"], ensure_ascii=False)
    # The customer's message while handed over went on to the platform too.
    relayed = wait_until(lambda: [c.json for c in standin.calls_to("handoff") if c.json.get("event") ==
                                  "customer_message" and c.json["conversation_id"] == customer.sender])
    assert [r["text"] for r in relayed] == ["алло, вы тут?" if lang == "ru" else "сіз осындасыз ба?"]
    assert relayed[0]["handoff_id"] == handoff["id"]

    status, taken = api(dana, "POST", f"/handoffs/{handoff['id']}/claim", {"operator": "aigerim"})
    assert status == 200 and taken["operator"] == "aigerim"
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/claim", {"operator": "other"})[0] == 409
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/messages", {"operator": "other", "text": "x"})[0] == 409
    status, _ = api(dana, "POST", f"/handoffs/{handoff['id']}/messages",
                    {"operator": "aigerim", "text": "Здравствуйте, я Айгерим. Проверяю вашу линию."})
    assert status == 200
    messages = kept(dana, customer.sender)
    assert messages[-1] == {**messages[-1], "from": "operator", "text": "Здравствуйте, я Айгерим. Проверяю вашу линию."}
    assert any(m["from"] == "dana" and "Оператор" in m["text"] for m in messages)  # «operator joined»
    # Still the operator's: Dana does not answer.
    assert customer.say("спасибо, жду" if lang == "ru" else "рахмет, күтемін") == ""

    status, closed = api(dana, "POST", f"/handoffs/{handoff['id']}/close", {"operator": "aigerim"})
    assert status == 200 and closed["status"] == "resolved"
    assert said_after in kept(dana, customer.sender, messages[-1]["timestamp"])[0]["text"]
    assert handoff["id"] not in [h["id"] for h in api(dana, "GET", "/queue")[1]["handoffs"]]
    # Dana is back.
    assert customer.say("Соедините с оператором" if lang == "ru" else "Операторға қосыңызшы")
    engine = create_engine(dana["database_url"])
    with engine.connect() as connection:
        actions = connection.execute(text(
            "SELECT staff, action FROM staff_actions WHERE target = :t ORDER BY id"), {"t": f"handoff:{handoff['id']}"}
        ).all()
    assert [tuple(a) for a in actions] == [("aigerim", "claim"), ("aigerim", "reply"), ("aigerim", "close")]


def test_nobody_takes_it_dana_says_so_once_and_answers_again(dana):
    customer = Customer(dana, "no-operator")
    customer.say("Соедините с оператором")
    handoff = handoff_of(dana, customer.sender)
    engine = create_engine(dana["database_url"])
    with engine.begin() as connection:  # as if it had waited past LIMITS.handoff_wait_seconds
        connection.execute(text("UPDATE handoffs SET created_at = '2020-01-01 00:00:00.000000' WHERE id = :i"),
                           {"i": handoff["id"]})
    told = wait_until(lambda: [m for m in kept(dana, customer.sender) if "оператор" in m.get("text", "")
                               and ("нет" in m["text"] or "отвечают" in m["text"])])
    time.sleep(12)  # two more rounds of the desk's watch: said once
    assert len([m for m in kept(dana, customer.sender) if m.get("text") == told[0]["text"]]) == 1
    assert "логин" in customer.say("не работает интернет")  # Dana answers again, not with the fallback
    assert handoff_of(dana, customer.sender)["id"] == handoff["id"]  # still in the queue


def test_telegram_the_whole_loop_and_the_days_figures(dana, standin):
    from tests.channels.test_rest_flows import cli
    from tests.channels.test_telegram import buttons

    chat = Chat(dana, standin, "ru")
    chat.say("Соедините с оператором")
    before = len(chat.messages())
    handoff = handoff_of(dana, f"telegram:{chat.id}")
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/claim", {"operator": "op1"})[0] == 200
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/messages", {"operator": "op1", "text": "Добрый день!"})[0] == 200
    sent = wait_until(lambda: texts(chat.messages()[before:]) if "Добрый день!" in texts(chat.messages()) else "")
    assert "Оператор подключился" in sent and sent.endswith("Добрый день!")
    # The customer's answer reaches the operator, not Dana.
    said = len(chat.messages())
    assert post_telegram(chat, "Спасибо, у меня роутер мигает красным") == 200
    wait_until(lambda: [m for m in api(dana, "GET", f"/handoffs/{handoff['id']}")[1]["transcript"]
                        if m["text"] == "Спасибо, у меня роутер мигает красным"])
    time.sleep(2)
    assert len(chat.messages()) == said
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/close", {"operator": "op1"})[0] == 200
    closing = wait_until(lambda: [m for m in chat.messages()[said:] if buttons(m)])
    assert "Оператор завершил разговор" in texts(chat.messages()[said:])
    assert [b.split('"')[-2] for b in buttons(closing[-1])] == ["1", "2", "3", "4", "5"]
    chat.click(buttons(closing[-1])[4])
    ratings = [r for r in cli(dana, "list", "ratings") if r["conversation_id"] == f"telegram:{chat.id}"]
    assert [(r["rating"], r["flow"], r["channel"]) for r in ratings] == [(5, "handoff", "telegram")]
    # The day's figures show it: a handed-off Telegram conversation and its rating.
    figures = cli(dana, "stats", "--by", "channel")
    [telegram] = [row for row in figures["rows"] if row["channel"] == "telegram"]
    assert telegram["handed_off"] > 0 and telegram["contained"] < 1 and telegram["csat_answers"] >= 1


def post_telegram(chat, text_: str) -> int:
    from tests.channels.test_telegram import post

    return post(chat.dana, {"update_id": int(time.time() * 1000) % 10**9, "message": {
        "message_id": 9000, "date": int(time.time()), "chat": {"id": chat.id, "type": "private"},
        "from": chat.user, "text": text_}})


def test_meta_customer_gets_the_operators_message_within_the_window(dana, standin):
    customer = MetaCustomer(dana, standin, "whatsapp")
    customer.say("Соедините с оператором")
    before = len(customer.sent())
    handoff = handoff_of(dana, f"whatsapp:{customer.id}")
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/claim", {"operator": "op2"})[0] == 200
    assert api(dana, "POST", f"/handoffs/{handoff['id']}/messages", {"operator": "op2", "text": "Сәлеметсіз бе!"})[0] == 200
    bodies = customer.sent()[before:]
    assert (bodies[-1].get("text") or {}).get("body") == "Сәлеметсіз бе!"
    engine = create_engine(dana["database_url"])
    with engine.begin() as connection:  # the customer's last message a day ago: outside Meta's window
        rows = connection.execute(text("SELECT id, data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                                  {"s": f"whatsapp:{customer.id}"}).all()
        for row in rows:
            data = json.loads(row.data)
            data["timestamp"] -= 25 * 3600
            connection.execute(text("UPDATE events SET data = :d WHERE id = :i"), {"d": json.dumps(data), "i": row.id})
        # Rows are only ever appended or deleted, and a server keeps a conversation it answered a
        # moment ago, reading only the rows after its last: history rewritten in place must be new rows.
        connection.execute(text("UPDATE events SET id = id + 1000000 WHERE sender_id = :s"),
                           {"s": f"whatsapp:{customer.id}"})
    status, answer = api(dana, "POST", f"/handoffs/{handoff['id']}/messages", {"operator": "op2", "text": "Ещё тут?"})
    assert (status, answer["error"]) == (409, "outside_24h_window")


def test_an_outage_cleared_is_told_to_each_customer_told_about_it_once(dana):
    from bot.office import schedule
    from tests.channels.test_rest_flows import cli

    login = "0851277701"
    cli(dana, "add-subscriber", login, "--name", "Сейітов Ерлан", "--area", "Қосшы, тест", as_json=False)
    declared = cli(dana, "outage", "Қосшы, тест", "--until", "+2h", as_json=False)
    outage_id = declared.split("#")[1].split()[0]
    customers = [Customer(dana, "outage-kk"), Customer(dana, "outage-ru")]
    for customer, (problem, said) in zip(customers, [("интернет істемейді", "логинім"), ("пропал интернет", "логин")]):
        customer.say(problem)
        assert "Қосшы" in customer.say(f"{said} {login}")  # the outage and its area
    customer.say(f"{said} {login}")  # told again: still one notice
    cleared = cli(dana, "clear-outage", outage_id, as_json=False)
    assert "2 customer(s)" in cleared
    if not schedule.may_notify(schedule.now_astana()):
        pytest.skip("night in Astana: the message waits for 09:00 (tests/bot/office/test_notices.py)")
    for customer, restored in zip(customers, ["қалпына келтірілді", "интернет восстановлен"]):
        told = wait_until(lambda c=customer: [m for m in kept(dana, c.sender) if restored in m.get("text", "")])
        time.sleep(6)  # another round of the desk: said once
        assert len([m for m in kept(dana, customer.sender) if restored in m.get("text", "")]) == 1, told


def test_a_resolved_ticket_is_told_on_the_customers_channel(dana, standin):
    from bot.office import schedule
    from tests.channels.test_rest_flows import cli

    login = "0851277702"
    cli(dana, "add-subscriber", login, "--name", "Нұрланова Әсел", "--area", "Астана", "--line", "cable_cut",
        as_json=False)
    chat = Chat(dana, standin, "ru")
    chat.say("Вызовите мастера, пожалуйста")
    chat.say(login)  # a cable cut: «is it Home Internet?», then the visit offered, consent, phone
    for step in range(3):
        chat.click("/affirm", on_message=80 + step)
    filed = texts(chat.say("+7 702 123 45 68"))
    tickets = [t for t in cli(dana, "list", "tickets") if t["conversation_id"] == f"telegram:{chat.id}"]
    assert tickets and f"№{tickets[0]['id']}" in filed, filed
    before = len(chat.messages())
    assert api(dana, "POST", "/requests/tickets/9999999/status", {"operator": "op3", "status": "resolved"})[0] == 404
    assert api(dana, "POST", f"/requests/tickets/{tickets[0]['id']}/status", {"operator": "op3", "status": "?"})[0] == 400
    status, changed = api(dana, "POST", f"/requests/tickets/{tickets[0]['id']}/status",
                          {"operator": "op3", "status": "resolved"})
    assert (status, changed) == (200, {"status": "resolved", "customer_told": True})
    if not schedule.may_notify(schedule.now_astana()):
        pytest.skip("night in Astana: the message waits for 09:00 (tests/bot/office/test_notices.py)")
    said = wait_until(lambda: texts(chat.messages()[before:]))
    assert f"Заявка №{tickets[0]['id']} выполнена" in said
