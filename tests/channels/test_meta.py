"""Meta channel (Messenger, Instagram, WhatsApp) end to end against a real Dana
and a stand-in Graph API, plus the parsing and body building as plain functions.

Each end-to-end test is one customer (unique ids); assertions are on the
exact Graph API calls Dana makes.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Tuple

import pytest
from sqlalchemy import create_engine, text

from bot.config import LIMITS
from channels.meta import MAX_USER, parse_events, signature_ok
from channels.meta_graph import messenger_bodies, whatsapp_bodies
from channels.text import split_text
from tests.channels.conftest import META_APP_SECRET, META_VERIFY_TOKEN

_ids = itertools.count(1)
KAZAKH = re.compile("[әғқңөұүһі]", re.IGNORECASE)
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def sign(body: bytes, secret: str = META_APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(dana, body: Any, signature: str | None = "valid") -> Tuple[int, bytes]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = sign(data) if signature == "valid" else signature
    request = urllib.request.Request(f"{dana['url']}/webhooks/meta/webhook", method="POST", data=data,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def verify(dana, **params: str) -> Tuple[int, str]:
    url = f"{dana['url']}/webhooks/meta/webhook?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Customer:
    """One person writing to Dana on Messenger, Instagram or WhatsApp."""

    def __init__(self, dana, standin, platform: str = "messenger") -> None:
        self.dana, self.standin, self.platform = dana, standin, platform
        n = next(_ids)
        self.id = f"7701{n:07d}" if platform == "whatsapp" else f"{platform[:2]}-psid-{n}"

    def sent(self) -> List[Dict[str, Any]]:
        """Graph API bodies addressed to this customer, failed attempts included."""
        key = (lambda b: b.get("to")) if self.platform == "whatsapp" else \
            (lambda b: (b.get("recipient") or {}).get("id"))
        return [c.json for c in self.standin.calls_to("messages") if isinstance(c.json, dict)
                and key(c.json) == self.id]

    def wait_for_answers(self, before: int, settle: float = 1.5, timeout: float = 60) -> List[Dict[str, Any]]:
        deadline, last_count, last_change = time.time() + timeout, before, time.time()
        while time.time() < deadline:
            count = len(self.sent())
            if count != last_count:
                last_count, last_change = count, time.time()
            elif count > before and time.time() - last_change > settle:
                return self.sent()[before:]
            time.sleep(0.1)
        raise AssertionError(f"no answer from Dana; calls: {[c.path for c in self.standin.calls][-10:]}")

    def delivery(self, mid: str | None = None, **message: Any) -> Dict[str, Any]:
        mid = mid or f"mid.{next(_ids)}"
        if self.platform == "whatsapp":
            return {"object": "whatsapp_business_account", "entry": [{"id": "waba", "changes": [{
                "field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "77000000000", "phone_number_id": "555000"},
                    "contacts": [{"profile": {"name": "Асан"}, "wa_id": self.id}],
                    "messages": [{"from": self.id, "id": mid, "timestamp": str(int(time.time())), **message}]}}]}]}
        return {"object": "page" if self.platform == "messenger" else "instagram", "entry": [{
            "id": "page-1", "time": int(time.time() * 1000), "messaging": [{
                "sender": {"id": self.id}, "recipient": {"id": "page-1"}, "timestamp": int(time.time() * 1000),
                "message": {"mid": mid, **message}}]}]}

    def send(self, body: Dict[str, Any]) -> List[Dict[str, Any]]:
        before = len(self.sent())
        status, answer = post(self.dana, body)
        assert (status, answer) == (200, b"EVENT_RECEIVED")
        return self.wait_for_answers(before)

    def say(self, text_: str) -> List[Dict[str, Any]]:
        if self.platform == "whatsapp":
            return self.send(self.delivery(type="text", text={"body": text_}))
        return self.send(self.delivery(text=text_))


def said(bodies: List[Dict[str, Any]]) -> str:
    parts = []
    for b in bodies:
        parts.append((b.get("message") or {}).get("text") or (b.get("text") or {}).get("body")
                     or ((b.get("interactive") or {}).get("body") or {}).get("text") or "")
    return "\n".join(parts)


def quiet(standin, seconds: float = 1.0, timeout: float = 30) -> None:
    """Wait until no Graph API call has come for ``seconds`` (earlier tests' answers)."""
    deadline = time.time() + timeout
    last = len(standin.calls_to("messages"))
    since = time.time()
    while time.time() < deadline and time.time() - since < seconds:
        time.sleep(0.1)
        count = len(standin.calls_to("messages"))
        if count != last:
            last, since = count, time.time()


# Webhook checks ---------------------------------------------------------------

def test_verification_echoes_the_challenge(dana):
    assert verify(dana, **{"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN,
                           "hub.challenge": "1158201444"}) == (200, "1158201444")


def test_verification_with_a_wrong_token_is_refused(dana):
    status, _ = verify(dana, **{"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42"})
    assert status == 403


def test_unsigned_and_wrongly_signed_deliveries_are_refused(dana, standin):
    customer = Customer(dana, standin)
    body = customer.delivery(text="Здравствуйте")
    assert post(dana, body, signature=None)[0] == 403
    assert post(dana, body, signature=sign(json.dumps(body).encode(), "other-secret"))[0] == 403
    assert post(dana, body, signature="sha256=")[0] == 403
    time.sleep(2)
    assert customer.sent() == []


def test_a_signed_body_that_is_not_json_is_a_bad_request(dana):
    assert post(dana, b"{not json")[0] == 400


# Conversations ----------------------------------------------------------------

def test_messenger_russian_greeting_gets_a_russian_answer(dana, standin):
    customer = Customer(dana, standin, "messenger")
    answers = customer.say("Здравствуйте, пропал интернет")
    assert answers
    call = [c for c in standin.calls_to("messages") if (c.json or {}).get("recipient", {}).get("id") == customer.id][0]
    assert call.path.startswith("/graph/v19.0/me/messages?") and "access_token=page-token" in call.path
    for body in answers:
        assert body["messaging_type"] == "RESPONSE"
        assert len(body["message"].get("text", "")) <= 2000
        for reply in body["message"].get("quick_replies", []):
            assert len(reply["title"]) <= 20 and reply["content_type"] == "text"
    reply = said(answers)
    assert CYRILLIC.search(reply) and not KAZAKH.search(reply), reply


def test_instagram_message_is_answered_through_the_send_api(dana, standin):
    customer = Customer(dana, standin, "instagram")
    answers = customer.say("Здравствуйте, пропал интернет")
    assert answers and all(b["recipient"]["id"] == customer.id for b in answers)
    assert all(len(b["message"].get("text", "")) <= 1000 for b in answers)


def test_whatsapp_kazakh_text_gets_a_kazakh_answer(dana, standin):
    customer = Customer(dana, standin, "whatsapp")
    answers = customer.say("Сәлеметсіз бе, интернет істемей тұр")
    assert answers
    calls = [c for c in standin.calls_to("messages") if (c.json or {}).get("to") == customer.id]
    assert calls[0].path == "/graph/v19.0/555000/messages"
    assert calls[0].headers["authorization"] == "Bearer wa-token"
    for body in answers:
        assert body["messaging_product"] == "whatsapp" and body["type"] in ("text", "interactive")
        if body["type"] == "interactive":
            assert len(body["interactive"]["action"]["buttons"]) <= 3
    assert KAZAKH.search(said(answers)), said(answers)


def test_a_replayed_delivery_gets_no_second_answer(dana, standin):
    customer = Customer(dana, standin, "messenger")
    body = customer.delivery(text="Здравствуйте")
    before = len(customer.sent())
    assert post(dana, body)[0] == 200
    assert post(dana, body)[0] == 200  # Meta re-delivers at once when unsure
    answers = customer.wait_for_answers(before)
    assert post(dana, body)[0] == 200  # … or later
    time.sleep(3)
    assert customer.sent()[before:] == answers


def test_a_graph_api_500_is_retried_and_the_message_arrives_once(dana, standin):
    quiet(standin)  # the scripted 500 must hit this customer's first message
    customer = Customer(dana, standin, "messenger")
    standin.respond_next("/me/messages", 500, {"error": {"message": "temporary", "code": 2}})
    attempts = customer.say("Здравствуйте, пропал интернет")
    assert len(attempts) >= 2 and attempts[0] == attempts[1]  # the failed try, then the retry
    delivered = attempts[1:]
    assert len({json.dumps(b, sort_keys=True) for b in delivered}) == len(delivered)


def test_a_graph_api_400_is_not_retried(dana, standin):
    quiet(standin)
    customer = Customer(dana, standin, "whatsapp")
    standin.respond_next("/555000/messages", 400, {"error": {"message": "outside the 24h window", "code": 131047}})
    before = len(customer.sent())
    assert post(dana, customer.delivery(type="text", text={"body": "Сәлем"}))[0] == 200
    time.sleep(6)
    assert len(customer.sent()) - before == 1  # refused once, then the rest of that turn is dropped


def test_whatsapp_button_reply_sends_its_payload(dana, standin):
    customer = Customer(dana, standin, "whatsapp")
    customer.say("Сәлеметсіз бе, интернет істемей тұр")
    answers = customer.send(customer.delivery(type="interactive", interactive={
        "type": "button_reply", "button_reply": {"id": "/deny", "title": "Жоқ"}}))
    assert answers


@pytest.mark.parametrize("platform", ["whatsapp", "messenger"])
def test_a_sticker_is_answered_in_both_languages(dana, standin, platform):
    """utter_unsupported_message (domain/responses/channels.yml): the chat variations,
    Kazakh then Russian; the channel does not know the language."""
    customer = Customer(dana, standin, platform)
    if platform == "whatsapp":
        delivery = customer.delivery(type="sticker", sticker={"id": f"st{next(_ids)}", "mime_type": "image/webp"})
    else:
        delivery = customer.delivery(attachments=[{"type": "audio", "payload": {"url": standin.url + "/a.mp4"}}])
    assert said(customer.send(delivery)) == (
        "Мұндай хабарламаны әзірге түсінбеймін — мәтінмен жазыңызшы.\n"
        "Такие сообщения я пока не понимаю — напишите текстом, пожалуйста.")


def test_whatsapp_image_is_stored_as_a_receipt(dana, standin):
    customer = Customer(dana, standin, "whatsapp")
    media_id = f"media{next(_ids)}x"
    standin.respond_next(f"/graph/v19.0/{media_id}", 200, {"url": standin.url + f"/file/{media_id}.jpg",
                                                           "mime_type": "image/jpeg", "file_size": 2048})
    answers = customer.send(customer.delivery(type="image", image={"id": media_id, "mime_type": "image/jpeg"}))
    assert "Чек" in said(answers), said(answers)  # utter_receipt_kept: no request filed yet
    download = [c for c in standin.calls if c.path == f"/file/{media_id}.jpg"]
    assert download and download[0].headers["authorization"] == "Bearer wa-token"
    engine = create_engine(dana["database_url"])
    with engine.connect() as connection:
        row = connection.execute(text("SELECT channel, mime FROM receipts WHERE conversation_id = :c"),
                                 {"c": f"whatsapp:{customer.id}"}).first()
    assert tuple(row) == ("whatsapp", "image/jpeg")


def test_messenger_image_attachment_is_stored_as_a_receipt(dana, standin):
    customer = Customer(dana, standin, "messenger")
    answers = customer.send(customer.delivery(attachments=[
        {"type": "image", "payload": {"url": standin.url + f"/file/fb-{customer.id}.jpg"}}]))
    assert "Чек" in said(answers), said(answers)
    engine = create_engine(dana["database_url"])
    with engine.connect() as connection:
        row = connection.execute(text("SELECT channel FROM receipts WHERE conversation_id = :c"),
                                 {"c": f"messenger:{customer.id}"}).first()
    assert row and row[0] == "messenger"


# Plain functions ----------------------------------------------------------------

def test_signature_check():
    body = b'{"object":"page"}'
    assert signature_ok(body, sign(body), META_APP_SECRET)
    assert not signature_ok(body, sign(body, "x"), META_APP_SECRET)
    assert not signature_ok(body, None, META_APP_SECRET)
    assert not signature_ok(body + b" ", sign(body), META_APP_SECRET)


def test_parsing_messenger_quick_replies_postbacks_echoes_and_attachments():
    events = parse_events({"object": "page", "entry": [{"messaging": [
        {"sender": {"id": "1"}, "message": {"mid": "a", "text": "Да", "quick_reply": {"payload": "/affirm"}}},
        {"sender": {"id": "1"}, "postback": {"mid": "b", "payload": "/greet", "title": "Начать"}},
        {"sender": {"id": "p"}, "message": {"mid": "c", "text": "echo", "is_echo": True}},
        {"sender": {"id": "1"}, "delivery": {"mids": ["a"]}},
        {"sender": {"id": "1"}, "message": {"mid": "d", "attachments": [
            {"type": "image", "payload": {"url": "https://cdn/1.jpg"}},
            {"type": "file", "payload": {"url": "https://cdn/2.pdf"}}]}},
        {"sender": {"id": "1"}, "message": {"mid": "e", "attachments": [{"type": "audio", "payload": {"url": "u"}}]}},
        {"sender": {"id": "1"}, "message": {"mid": "f", "attachments": [
            {"type": "image", "payload": {"url": "u", "sticker_id": 369239263222822}}]}},
    ]}]})
    assert [(e.sender, e.text, e.media, e.unsupported) for e in events] == [
        ("messenger:1", "/affirm", None, False), ("messenger:1", "/greet", None, False),
        ("messenger:1", None, "https://cdn/1.jpg", False), ("messenger:1", None, "https://cdn/2.pdf", False),
        ("messenger:1", None, None, True), ("messenger:1", None, None, True)]
    assert len({e.key for e in events}) == len(events)


def test_parsing_whatsapp_messages_and_skipping_statuses_and_other_numbers():
    def delivery(number: str, *messages: Dict[str, Any]) -> Dict[str, Any]:
        return {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": number}, "messages": list(messages),
            "statuses": [{"id": "wamid.s", "status": "read"}]}}]}]}

    events = parse_events(delivery("555000",
                                   {"from": "77", "id": "w1", "type": "text", "text": {"body": "Сәлем"}},
                                   {"from": "77", "id": "w2", "type": "interactive",
                                    "interactive": {"list_reply": {"id": "/inform_tariff", "title": "Тариф"}}},
                                   {"from": "77", "id": "w3", "type": "document", "document": {"id": "m9"}},
                                   {"from": "77", "id": "w4", "type": "audio", "audio": {"id": "m8"}}), "555000")
    assert [(e.sender, e.key, e.text, e.media, e.unsupported) for e in events] == [
        ("whatsapp:77", "whatsapp:w1", "Сәлем", None, False),
        ("whatsapp:77", "whatsapp:w2", "/inform_tariff", None, False),
        ("whatsapp:77", "whatsapp:w3", None, "m9", False),
        ("whatsapp:77", "whatsapp:w4", None, None, True)]
    assert parse_events(delivery("999", {"from": "77", "id": "w5", "type": "text", "text": {"body": "x"}}),
                        "555000") == []


def test_an_id_too_long_for_a_conversation_is_skipped_not_stored():
    too_long = "9" * 200  # a forged or broken delivery; Meta's ids are 15–20 digits
    messenger = {"object": "instagram", "entry": [{"messaging": [
        {"sender": {"id": too_long}, "message": {"mid": "a", "text": "Сәлем"}},
        {"sender": {"id": "17841400000000000"}, "message": {"mid": "b", "text": "Сәлем"}}]}]}
    assert [e.sender for e in parse_events(messenger)] == ["instagram:17841400000000000"]
    whatsapp = {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "1"}, "messages": [{"from": too_long, "id": "w", "type": "text",
                                                          "text": {"body": "x"}}]}}]}]}
    assert parse_events(whatsapp, "1") == []
    assert all(len(e.sender) <= LIMITS.max_conversation_id_chars
               for e in parse_events({"object": "instagram", "entry": [{"messaging": [
                   {"sender": {"id": "9" * MAX_USER}, "message": {"mid": "c", "text": "x"}}]}]}))


def test_messenger_bodies_cap_quick_replies_titles_and_length():
    buttons = [{"title": f"Вариант номер {i} с длинным названием", "payload": f"/choose{i}"} for i in range(15)]
    bodies = messenger_bodies("messenger", "9", {"text": "слово " * 500, "buttons": buttons})
    assert len(bodies) == 2 and all(len(b["message"]["text"]) <= 2000 for b in bodies)
    assert "quick_replies" not in bodies[0]["message"]
    replies = bodies[-1]["message"]["quick_replies"]
    assert len(replies) == 13 and all(len(r["title"]) <= 20 for r in replies)
    assert replies[0]["payload"] == "/choose0"
    assert messenger_bodies("messenger", "9", {"custom": {"handoff": {"id": 1}}}) == []


def test_whatsapp_bodies_buttons_lists_and_length():
    three = [{"title": "Иә", "payload": "/affirm"}, {"title": "Жоқ", "payload": "/deny"},
             {"title": "Операторға қосыңызшы", "payload": "/request_human"}]
    [body] = whatsapp_bodies("77", {"text": "Интернет істей ме?", "buttons": three})
    assert body["type"] == "interactive"
    assert [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]] == ["/affirm", "/deny",
                                                                                  "/request_human"]
    assert all(len(b["reply"]["title"]) <= 20 for b in body["interactive"]["action"]["buttons"])
    [listed] = whatsapp_bodies("77", {"text": "Таңдаңыз:", "buttons": three + [{"title": "Басқа", "payload": "/x"}]})
    assert listed["type"] == "text" and "4. Басқа" in listed["text"]["body"]
    long = whatsapp_bodies("77", {"text": "сөз " * 2000})
    assert len(long) == 2 and all(len(b["text"]["body"]) <= 4096 for b in long)
    assert whatsapp_bodies("77", {"custom": {"handoff": {}}}) == []


def test_split_text_keeps_words_whole():
    chunks = split_text("абв " * 1000, 100)
    assert all(len(c) <= 100 for c in chunks) and " ".join(chunks).split() == ["абв"] * 1000
