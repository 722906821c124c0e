"""The back-office flows over the REST channel, on a running Dana, in both
languages: what a customer sees and what support staff then find in the admin CLI."""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_ids = itertools.count(1)


class Customer:
    def __init__(self, dana, name: str) -> None:
        self.url = f"{dana['url']}/webhooks/rest/webhook"
        self.sender = f"rest-{name}-{next(_ids)}-{os.getpid()}"

    def say(self, text: str) -> str:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return "\n".join(m.get("text", "") for m in json.loads(answer.read()) if m.get("text"))


def cli(dana, *args: str, as_json: bool = True):
    env = {**os.environ, "DANA_DATABASE_URL": dana["database_url"], "PYTHONPATH": str(ROOT)}
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "bot", *args,
                          *(["--json"] if as_json else [])], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out) if as_json else out


@pytest.mark.parametrize("lang, opening, yes, want", [
    ("kk", "Сәлеметсіз бе, интернет істемей тұр", "иә", "№"),
    ("ru", "Здравствуйте, пропал интернет", "да", "№"),
])
def test_cable_cut_gets_one_ticket_with_its_deadlines(dana, lang, opening, yes, want):
    # A subscriber of its own (other tests file tickets for the demo logins),
    # added the way support staff would.
    login = {"kk": "0859000001", "ru": "0859000002"}[lang]
    cli(dana, "add-subscriber", login, "--name", "Сериков Серік", "--area", "Астана, Алматы ауданы",
        "--line", "cable_cut", as_json=False)
    customer = Customer(dana, f"ticket-{lang}")
    customer.say(opening)
    customer.say(login)
    customer.say(yes)  # Home Internet, not mobile
    customer.say(yes)  # send a technician
    customer.say(yes)  # consent
    filed = customer.say("87021234568")
    assert want in filed and "2" in filed
    tickets = cli(dana, "list", "tickets", "--login", login)
    assert len(tickets) == 1
    ticket = tickets[0]
    created = datetime.fromisoformat(ticket["created_at"])
    assert (datetime.fromisoformat(ticket["callback_due"]) - created).total_seconds() == 2 * 3600
    assert (datetime.fromisoformat(ticket["resolve_due"]) - created).days == 3

    again = Customer(dana, f"again-{lang}")
    again.say(opening)
    answer = again.say(login)
    assert f"№{ticket['id']}" in answer  # the open ticket, no second one
    assert len(cli(dana, "list", "tickets", "--login", login)) == 1


@pytest.mark.parametrize("lang, opening, word", [
    ("kk", "интернет жоқ", "жаппай"), ("ru", "пропал интернет", "авари"),
])
def test_outage_login_hears_the_eta_and_gets_no_ticket(dana, lang, opening, word):
    customer = Customer(dana, f"outage-{lang}")
    customer.say(opening)
    answer = customer.say("0851234569")
    assert word in answer.lower()
    assert cli(dana, "list", "tickets", "--login", "0851234569") == []


@pytest.mark.parametrize("lang, script, receipt_needed", [
    ("ru", ["Оплатил не на тот логин", "0851234567", "0851234572", "12000 тенге", "вчера", "да",
            "Асанов Асан Асанович", "87011234567", "нет"], True),
    ("kk", ["Басқа логинге төлеп қойдым", "0851234567", "0851234572", "12 мың теңге", "кеше", "иә",
            "Асанов Асан Асанұлы", "87011234567", "жоқ"], True),
    ("ru", ["Оплатил не на тот логин", "0851234567", "0851234572", "5000 тенге", "вчера", "да",
            "Асанов Асан Асанович", "87011234567", "нет"], False),
    ("kk", ["Басқа логинге төлеп қойдым", "0851234567", "0851234572", "5 мың теңге", "кеше", "иә",
            "Асанов Асан Асанұлы", "87011234567", "жоқ"], False),
])
def test_wrong_login_payment_asks_for_a_receipt_only_when_the_rules_say_so(dana, lang, script, receipt_needed):
    customer = Customer(dana, f"refund-{lang}")
    answers = [customer.say(line) for line in script]
    filed = answers[-1]
    required = {"ru": "нужен чек", "kk": "чек міндетті"}[lang]
    not_required = {"ru": "чек не нужен", "kk": "чек қажет емес"}[lang]
    assert (required in filed) is receipt_needed, filed
    assert (not_required in filed) is (not receipt_needed), filed
    refunds = [r for r in cli(dana, "list", "refunds") if r["conversation_id"] == customer.sender]
    assert len(refunds) == 1 and refunds[0]["receipt_required"] is receipt_needed
    assert f"№{refunds[0]['id']}" in filed


def test_a_russian_refund_stays_russian_when_the_payer_has_a_kazakh_name(dana):
    """Most customers' names have Kazakh letters: the name is data, not a language."""
    from bot.text.language.detect import detect_language

    customer = Customer(dana, "refund-ru-kk-name")
    script = ["Оплатил не на тот логин", "0851234567", "0851234572", "5000 тенге", "вчера", "да"]
    for line in script:
        customer.say(line)
    after_name = [customer.say(line) for line in ("Асанов Асан Асанұлы", "87011234567", "нет")]
    for answer in after_name:
        assert detect_language(answer).language == "ru", answer
    assert "чек не нужен" in after_name[-1]


def test_a_first_message_without_language_gets_a_choice_then_its_answer(dana):
    sender = f"rest-choice-{os.getpid()}"

    def send(text):
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(f"{dana['url']}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())

    choice = send("оператор")
    assert len(choice) == 1 and "Қай тілде" in choice[0]["text"] and "На каком языке" in choice[0]["text"]
    assert [b["title"] for b in choice[0]["buttons"]] == ["Қазақша", "Русский"]
    russian = next(b["payload"] for b in choice[0]["buttons"] if b["title"] == "Русский")
    answers = send(russian)
    texts = " ".join(m.get("text", "") for m in answers)
    assert "продолжим на русском" in texts
    assert "оператор" in texts.lower()  # the hand-off asked for in the first message, in Russian
    handoffs = [h for h in cli(dana, "list", "handoffs") if h["conversation_id"] == sender]
    assert len(handoffs) == 1 and handoffs[0]["language"] == "ru"


def test_asking_for_russian_at_the_login_question_switches_and_asks_again(dana):
    customer = Customer(dana, "switch-at-login")
    assert "логин" in customer.say("интернет жоқ").lower()
    answer = customer.say("давайте на русском")
    assert "продолжим на русском" in answer and "Напишите, пожалуйста, логин" in answer, answer
    assert "не похоже на логин" not in answer and "ұқсамайды" not in answer


def test_a_corrected_amount_is_the_one_filed(dana):
    customer = Customer(dana, "refund-corrected")
    for line in ["Оплатил не на тот логин", "0851234567", "0851234572", "12000 тенге"]:
        customer.say(line)
    assert "исправила" in customer.say("ой, подождите, сумма была не 12000, а 5000")
    answers = [customer.say(line) for line in ("вчера", "да", "Асанов Асан Асанович", "87011234567", "нет")]
    refunds = [r for r in cli(dana, "list", "refunds") if r["conversation_id"] == customer.sender]
    assert len(refunds) == 1 and refunds[0]["amount"] == 5000
    assert refunds[0]["receipt_required"] is False and "чек не нужен" in answers[-1]  # re-decided on 5 000


def test_an_angry_emoji_is_not_taken_for_yes(dana):
    customer = Customer(dana, "angry")
    customer.say("Сәлеметсіз бе")
    answer = customer.say("😡😡😡")
    assert "Жақсы" not in answer and "түсінбей қалдым" in answer, answer
    assert "Жақсы" in customer.say("👍")  # a thumbs-up still is a yes


# --- a technician asked for directly goes through the diagnostics first ---------

@pytest.mark.parametrize("lang, ask, yes", [("kk", "Үйге техник шақырғым келеді", "иә"),
                                            ("ru", "Хочу вызвать мастера", "да")])
def test_a_technician_for_a_cut_cable_comes_after_the_line_fault_is_told_and_confirmed(dana, lang, ask, yes):
    login = {"kk": "0859000011", "ru": "0859000012"}[lang]
    cli(dana, "add-subscriber", login, "--name", "Сериков Серік", "--area", "Астана, Алматы ауданы",
        "--line", "cable_cut", as_json=False)
    customer = Customer(dana, f"tech-direct-{lang}")
    customer.say(ask)
    found = customer.say(login)
    fault = {"kk": "ақау", "ru": "неисправн"}[lang]
    mobile = {"kk": "мобильді", "ru": "мобильн"}[lang]
    assert fault in found.lower() and mobile in found.lower(), found  # the fault, then «Home Internet, not mobile?»
    assert cli(dana, "list", "tickets", "--login", login) == []
    offer = customer.say(yes)  # Home Internet
    consent = customer.say(yes)  # send a technician
    assert {"kk": "келіс", "ru": "соглас"}[lang] in consent.lower(), (offer, consent)
    customer.say(yes)
    filed = customer.say("87051234567")
    tickets = cli(dana, "list", "tickets", "--login", login)
    assert len(tickets) == 1 and f"№{tickets[0]['id']}" in filed


@pytest.mark.parametrize("lang, ask, reboot", [("kk", "Маман жіберіңізші", "роутер"),
                                               ("ru", "Вызовите мастера", "роутер")])
def test_a_technician_for_a_healthy_line_starts_with_a_router_reboot(dana, lang, ask, reboot):
    customer = Customer(dana, f"tech-healthy-{lang}")
    customer.say(ask)
    answer = customer.say("0851234567")
    assert reboot in answer.lower() and "?" in answer, answer  # reboot, then «did it help?»
    assert not any(word in answer.lower() for word in ("келісесіз", "согласны", "номер телефона"))


@pytest.mark.parametrize("lang, ask", [("kk", "шебер шақырыңызшы"), ("ru", "пришлите техника")])
def test_a_technician_during_an_outage_is_not_filed_and_no_personal_data_is_asked(dana, lang, ask):
    customer = Customer(dana, f"tech-outage-{lang}")
    customer.say(ask)
    answer = customer.say("0851234569")
    assert {"kk": "жаппай", "ru": "авари"}[lang] in answer.lower(), answer
    assert not any(word in answer.lower() for word in ("келіс", "соглас", "телефон"))
    assert cli(dana, "list", "tickets", "--login", "0851234569") == []


# --- callback: only to one's own Beeline number (seed 000) -----------------------

def test_a_callback_is_ordered_only_in_its_hours_and_only_to_a_beeline_number(dana):
    """The server's clock decides which half runs; each half checks what the customer gets."""
    from bot.office import schedule

    customer = Customer(dana, "callback")
    opened = customer.say("Перезвоните мне, пожалуйста")

    def mine():
        return [r for r in cli(dana, "list", "callbacks") if r["conversation_id"] == customer.sender]

    if not schedule.in_callback_window(schedule.now_astana()):
        assert "09:00" in opened and "22:00" in opened, opened
        assert customer.say("да") and mine() == []
        return
    customer.say("да")  # consent
    refused = customer.say("8 701 123 45 67")  # Kcell
    assert "Beeline" in refused, refused
    customer.say("8 705 123 45 67")
    customer.say("по поводу тарифа")
    assert [r["phone"] for r in mine()] == ["+77051234567"]


# --- a long message is judged by its main complaint ------------------------------

def test_a_long_story_about_a_dead_line_does_not_start_a_refund(dana):
    from tests.components.test_long_messages import DEAD_LINE_RU

    sender = f"rest-long-{os.getpid()}"
    body = json.dumps({"sender": sender, "message": DEAD_LINE_RU}).encode()
    request = urllib.request.Request(f"{dana['url']}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        messages = json.loads(answer.read())
    text = " ".join(m.get("text", "") for m in messages)
    assert "не на тот логин" not in text and "неправильный логин" not in text
    buttons = [b for m in messages for b in m.get("buttons") or []]
    if buttons:  # Dana asks which topic: the dead line is first
        assert buttons[0]["payload"] == "/internet_down" and "интернет" in buttons[0]["title"].lower()
    else:
        assert "логин" in text.lower()  # the internet_down flow asks for the login


# --- payment not credited after 24 hours: a payment check, in both languages -------

@pytest.mark.parametrize("lang, script", [
    ("ru", ["Деньги не зачислились", "да, логин правильный", "нет, больше суток", "0851234567",
            "позавчера в 14:30", "7000", "Kaspi", "да", "87051234567"]),
    ("kk", ["Ақша түспеді", "иә, логин дұрыс", "жоқ, бір тәуліктен асты", "0851234567",
            "алдыңғы күні сағат 14:30-да", "7000", "Kaspi", "иә", "87051234567"]),
])
def test_a_payment_check_is_filed_with_the_date_time_amount_and_partner(dana, lang, script):
    customer = Customer(dana, f"investigation-{lang}")
    answers = [customer.say(line) for line in script]
    consent_asked = answers[-2 - 1]  # after the partner's name: consent for this flow's data
    assert {"kk": "чек", "ru": "чек"}[lang] in consent_asked.lower(), consent_asked  # names the receipt photo
    rows = [r for r in cli(dana, "list", "investigations") if r["conversation_id"] == customer.sender]
    assert len(rows) == 1, answers
    row = rows[0]
    assert (row["amount"], row["partner"], row["payment_time"]) == (7000, "Kaspi", "14:30"), row
    assert f"№{row['id']}" in answers[-1]
    created, due = datetime.fromisoformat(row["created_at"]), datetime.fromisoformat(row["answer_due"])
    assert (due - created).days == 3
    assert "расследован" not in " ".join(answers).lower()


def _post(dana, body: dict, headers: dict | None = None):
    request = urllib.request.Request(f"{dana['url']}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _user_messages(dana, sender: str) -> int:
    from tests.channels.conftest import API_TOKEN

    url = f"{dana['url']}/conversations/{sender}/tracker?token={API_TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        return sum(e["event"] == "user" for e in json.loads(answer.read())["events"])


@pytest.mark.parametrize("lang, text, given", [
    ("kk", "Сәлеметсіз бе, интернет істемей тұр", "body"),
    ("ru", "Здравствуйте, пропал интернет", "header"),  # the balancer's id on a request it re-sends
])
def test_a_message_sent_again_with_its_id_is_answered_once(dana, lang, text, given):
    """A client repeating a request it got no answer to, or the balancer re-sending
    one whose server died: the stored answer comes back, nothing is processed twice."""
    sender, message_id = f"rest-again-{lang}-{next(_ids)}-{os.getpid()}", f"m-{next(_ids)}-{os.getpid()}"
    body = {"sender": sender, "message": text, **({"message_id": message_id} if given == "body" else {})}
    headers = {"X-Dana-Message-Id": message_id} if given == "header" else {}
    first = _post(dana, body, headers)
    again = _post(dana, body, headers)
    assert first[0] == again[0] == 200 and first[1] and [m.get("text") for m in again[1]] == [
        m.get("text") for m in first[1]]
    assert _user_messages(dana, sender) == 1
    assert _post(dana, {**body, "message_id": "not an id!"})[0] == 400
