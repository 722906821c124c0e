"""Every flow, in Kazakh and Russian, on a real Dana running with debug logging;
then both servers' logs are read: no personal value may be there in any form,
nor any secret the channels are configured with, while the debug lines
themselves are (masked). A support engineer reading these logs can follow a
conversation (intents, actions, slot names, «‹phone …43›») without seeing who it is."""
from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import create_engine, text

from tests.channels import conftest
from tests.channels.test_meta import post as meta_post
from tests.channels.test_rest_flows import Customer, cli
from tests.channels.test_telegram import Chat, texts
from tests.channels.test_voice import Call

NAME = "Жанар Төлеуова"
PHONE = "+77059876543"
EMAIL = "zhanar.test@example.kz"
LOGINS = {"kk": "0857700011", "ru": "0857700012"}
WRONG_LOGIN = "0857700099"  # where the refunded payment went
# How each person writes their phone number (all of them the same number).
PHONE_AS_TYPED = {"kk": "+7 705 987 65 43", "ru": "8(705)9876543"}
RECEIPT_BYTES = b"\xff\xd8\xff\xe0" + b"0" * 2044  # what the stand-in serves for a Telegram photo

FLOWS = {
    "kk": {
        "technician": ["Кабель үзіліп қалды", "{login}", "иә, үйдегі интернет", "иә, жіберіңіз", "иә, келісемін",
                       "{phone}"],
        "refund": ["Басқа логинге төлеп қойдым", "{login}", WRONG_LOGIN, "15 мың теңге", "кеше", "иә", NAME,
                   "{phone}", EMAIL],
        "investigation": ["Ақша түспеді", "иә, логин дұрыс", "жоқ, бір тәуліктен асты", "{login}", "кеше", "7000",
                          "Kaspi", "иә", "{phone}"],
        "callback": ["Маған қоңырау шалыңызшы", "иә", "{phone}", "тариф туралы"],
        "handoff": ["интернет жоқ", f"операторға қосыңыз, мен {NAME}, нөмірім 87059876543"],
        "privacy": [f"Дербес деректерімді өшіріңіз, мен {NAME}, поштам {EMAIL}"],
    },
    "ru": {
        "technician": ["Здравствуйте, пропал интернет", "мой логин {login}", "да, домашний", "да, вызовите мастера",
                       "да, согласен", "{phone}"],
        "refund": ["Оплатил не на тот логин", "{login}", WRONG_LOGIN, "15000 тенге", "вчера", "да", NAME,
                   "{phone}", EMAIL],
        "investigation": ["Деньги не зачислились", "да, логин правильный", "нет, больше суток", "{login}",
                          "позавчера", "7000", "Kaspi", "да", "{phone}"],
        "callback": ["Перезвоните мне пожалуйста", "да", "{phone}", "по поводу тарифа"],
        "handoff": ["нет интернета", f"соедините с оператором, я {NAME}, мой номер 87059876543"],
        "privacy": [f"Удалите мои персональные данные, я {NAME}, почта {EMAIL}"],
    },
}


def forms(value: str) -> set[str]:
    """A value as it could show up in a log: as is, JSON-escaped, repr-escaped."""
    return {value.lower(), json.dumps(value)[1:-1].lower(), value.encode("unicode_escape").decode().lower()}


def personal_values(receipts: list[tuple[str, str]]) -> set[str]:
    found = set()
    for part in (NAME, *NAME.split(), "Толеуова", "zhanar", EMAIL, *LOGINS.values(), WRONG_LOGIN,
                 "857700011", "857700012", "857700099"):
        found |= forms(part)
    # The phone in every shape: digits only, with or without the country code, grouped.
    found |= {PHONE, "77059876543", "87059876543", "7059876543", "705 987 65 43", "987 65 43", "9876543",
              "987-65-43", *PHONE_AS_TYPED.values()}
    for digest, path in receipts:
        found |= {digest, path.rsplit("/", 1)[-1], path}
    return found


def secrets() -> set[str]:
    return {conftest.TELEGRAM_TOKEN, conftest.TELEGRAM_TOKEN.split(":")[1], conftest.TELEGRAM_SECRET,
            conftest.META_APP_SECRET, conftest.META_VERIFY_TOKEN, conftest.VOICE_TOKEN, conftest.HANDOFF_SECRET,
            conftest.API_TOKEN, conftest.OPERATOR_TOKEN, conftest.CHATWOOT_API_TOKEN,
            conftest.CHATWOOT_WEBHOOK_TOKEN, "page-token", "wa-token"}


def run_rest_flows(dana, lang: str) -> dict[str, list[str]]:
    """Each flow's transcript: what Dana said after each line."""
    said = {}
    for flow, script in FLOWS[lang].items():
        customer = Customer(dana, f"privacy-{flow}-{lang}")
        said[flow] = [customer.say(line.format(login=LOGINS[lang], phone=PHONE_AS_TYPED[lang])) for line in script]
    return said


def run_telegram_refund_with_receipt(dana, standin, lang: str) -> str:
    chat = Chat(dana, standin, lang)
    chat.user.update(first_name="Жанар", last_name="Төлеуова", username="zhanar_toleuova")
    script = FLOWS[lang]["refund"]
    for line in script[:5]:
        chat.say(line.format(login=LOGINS[lang]))
    chat.click("/affirm")  # consent, from the inline keyboard
    for line in script[6:]:
        chat.say(line.format(phone=PHONE_AS_TYPED[lang]))
    return texts(chat.photo())


def run_whatsapp_message(dana, standin, lang: str) -> None:
    number = PHONE.lstrip("+")  # on WhatsApp the customer *is* their phone number
    body = {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "77000000000",
                                                          "phone_number_id": "555000"},
            "contacts": [{"profile": {"name": NAME}, "wa_id": number}],
            "messages": [{"from": number, "id": f"wamid.privacy.{lang}.{time.time()}", "type": "text",
                          "timestamp": str(int(time.time())),
                          "text": {"body": {"kk": "интернет жоқ", "ru": "нет интернета"}[lang]}}]}}]}]}
    before = len(standin.calls_to("messages"))
    assert meta_post(dana, body)[0] == 200
    deadline = time.time() + 60
    while time.time() < deadline and not [c for c in standin.calls_to("messages")[before:]
                                           if (c.json or {}).get("to") == number]:
        time.sleep(0.2)


def meta_verification(dana, token: str) -> int:
    query = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"})
    try:
        with urllib.request.urlopen(f"{dana['url']}/webhooks/meta/webhook?{query}", timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def everything_said(dana, standin):
    """Runs every flow once; returns what Dana answered and the receipts stored."""
    for lang, login in LOGINS.items():
        cli(dana, "add-subscriber", login, "--name", NAME, "--area", "Алматы, Алмалы ауданы", "--phone", PHONE,
            "--line", "cable_cut", as_json=False)
    answers = {lang: run_rest_flows(dana, lang) for lang in LOGINS}
    receipts = {lang: run_telegram_refund_with_receipt(dana, standin, lang) for lang in LOGINS}
    for lang in LOGINS:
        call = Call(dana, language=lang, caller=PHONE_AS_TYPED[lang])
        call.send("start")
        call.send("message", {"kk": "интернет жоқ", "ru": "нет интернета"}[lang])
        call.send("end")
        run_whatsapp_message(dana, standin, lang)
    verified = (meta_verification(dana, conftest.META_VERIFY_TOKEN), meta_verification(dana, "wrong-token"))
    time.sleep(3)  # hand-off deliveries and background Telegram turns finish logging
    engine = create_engine(dana["database_url"])
    with engine.connect() as connection:
        stored = [tuple(r) for r in connection.execute(text(
            "SELECT sha256, path FROM receipts WHERE conversation_id LIKE 'telegram:%'"))]
    return {"answers": answers, "receipts": receipts, "stored": stored, "verified": verified}


def logs(dana) -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8", errors="replace") for name, path in dana["logs"].items()}


def test_the_flows_really_ran_with_the_personal_data(everything_said):
    """Otherwise a clean log would prove nothing."""
    for lang in LOGINS:
        for flow in ("technician", "refund", "investigation"):
            transcript = everything_said["answers"][lang][flow]
            assert "№" in transcript[-1], (lang, flow, transcript)
        assert "№" in everything_said["receipts"][lang]  # the receipt was attached to the request
    assert everything_said["stored"], "no receipt stored"
    assert everything_said["verified"] == (200, 403)


def test_logs_are_debug_logs_with_the_data_masked(dana, everything_said):
    rasa, actions = logs(dana)["rasa"], logs(dana)["actions"]
    assert '"processor.message.parse"' in rasa and '"parse_data_text": "‹text' in rasa  # debug is on, text masked
    assert "SlotSet(key: full_name, value: ‹name #" in rasa or '"full_name"' in rasa
    assert "‹phone …43›" in rasa and "‹login …0011›" in rasa and "‹login …0012›" in rasa
    assert "Received request to run" in actions  # rasa-sdk's debug lines
    assert "action_file_refund" in rasa or "action_file_refund" in actions or "refund" in rasa  # still readable


@pytest.mark.parametrize("server", ["rasa", "actions"])
def test_no_personal_value_in_any_form(dana, everything_said, server):
    log = logs(dana)[server].lower()
    leaked = sorted(v for v in personal_values(everything_said["stored"]) if v and v.lower() in log)
    assert not leaked, f"{server} log shows {leaked}: " + "; ".join(
        log[max(log.find(v.lower()) - 150, 0):log.find(v.lower()) + 60] for v in leaked[:3])


@pytest.mark.parametrize("server", ["rasa", "actions"])
def test_no_secret_in_the_logs(dana, everything_said, server):
    log = logs(dana)[server]
    leaked = sorted(s for s in secrets() if s in log)
    assert not leaked, f"{server} log shows secrets {leaked}"


def test_receipt_bytes_digest_matches_what_was_checked(everything_said):
    """The digest the leak check looks for is the one Dana stored (the check is not vacuous)."""
    assert hashlib.sha256(RECEIPT_BYTES).hexdigest() in {digest for digest, _ in everything_said["stored"]}
