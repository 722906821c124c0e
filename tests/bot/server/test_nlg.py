"""Responses come out in the conversation's language with the business numbers filled,
codes in words, dates as the customer reads them and Kazakh case endings right."""
import re

import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.office.notices import REQUEST_STATUSES
from bot.config import POLICY, response_placeholders
from bot.text.formats import present
from bot.text.kazakh import CASES
from bot.server.nlg import DanaNaturalLanguageGenerator

# What actions pass, as they pass it: codes and ISO 8601 (UTC from the database).
SAMPLE = dict(
    ticket_id="12", ticket_status="open", callback_due="2026-11-18T13:00:00+00:00",
    visit_due="2026-11-19T07:40:00+00:00", resolve_due="2026-11-21T04:00:00+00:00",
    eta="2026-11-18T10:30:00+00:00", outage_eta="2026-11-18T13:00:00+00:00", area="Астана", outage_area="Астана", fault="cable_cut", login_attempt="абв",
    callback_from="2026-11-16T09:00:00+05:00", callback_id="31", refund_id="7", investigation_id="8",
    request_id="7", receipt_reason="amount", payment_date="2026-10-23", phone_number="+77011234567",
    login="0851234567",
    options="Иә, Жоқ",  # channels/speech.py: the titles of the buttons said aloud
)
# Slots the NLG may fill placeholders from, as the forms store them.
SLOTS = {"payment_date": "2026-10-23", "amount": 5000.0, "login": "0851234567"}
TICKET_STATUSES = REQUEST_STATUSES["tickets"][1]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A placeholder before a Kazakh postposition that governs a case.
GOVERNED = re.compile(r"\{(\w+)\}\s+(дейін|кейін|бастап)")
CASE_OF = {"дейін": "dat", "кейін": "abl", "бастап": "abl"}
ENDINGS = {"dat": ("ға", "ге", "қа", "ке"), "abl": ("дан", "ден", "тан", "тен", "нан", "нен")}


@pytest.fixture(scope="module")
def nlg(domain):
    return DanaNaturalLanguageGenerator(domain=domain)


def _tracker(domain, lang, **slots):
    tracker = DialogueStateTracker.from_events("t", [], slots=domain.slots)
    tracker.update(SlotSet("language", lang))
    for name, value in slots.items():
        tracker.update(SlotSet(name, value))
    return tracker


def _lang(variant):
    return next((c["value"] for c in variant.get("condition") or [] if c.get("name") == "language"), None)


async def _render(nlg, domain, name, lang, **values):
    message = await nlg.generate(name, _tracker(domain, lang, **SLOTS), "rest", **{**SAMPLE, **values})
    return message["text"]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_every_response_renders_without_open_placeholders(nlg, domain, lang):
    for name in domain.responses:
        text = await _render(nlg, domain, name, lang)
        assert text, name
        assert "{" not in text, f"{name}: {text[:80]}"


async def test_the_support_number_comes_from_config(nlg, domain):
    message = await nlg.generate("utter_handoff", _tracker(domain, "kk"), "rest")
    assert POLICY.support_phone in message["text"]


async def test_language_slot_picks_the_variant(nlg, domain):
    kk = await nlg.generate("utter_greet", _tracker(domain, "kk"), "rest")
    ru = await nlg.generate("utter_greet", _tracker(domain, "ru"), "rest")
    assert "Здравствуйте" in ru["text"] and "Здравствуйте" not in kk["text"]


# -- codes in words -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("status", TICKET_STATUSES)
async def test_no_answer_shows_a_ticket_status_code(nlg, domain, lang, status):
    codes = re.compile(r"\b(" + "|".join(TICKET_STATUSES) + r")\b", re.I)
    for name in domain.responses:
        text = await _render(nlg, domain, name, lang, ticket_status=status)
        assert not codes.search(text), f"{name} ({lang}, {status}): {text[:120]}"


@pytest.mark.parametrize("lang, said", [("kk", "күйі: қабылданды, кезекте"), ("ru", "статус: принята, в очереди")])
async def test_an_open_ticket_status_is_said_in_the_customers_language(nlg, domain, lang, said):
    assert said in await _render(nlg, domain, "utter_ticket_exists", lang, ticket_status="open")


async def test_each_ticket_status_has_its_own_words(nlg, domain):
    for lang in ("kk", "ru"):
        said = {await _render(nlg, domain, "utter_ticket_exists", lang, ticket_status=s) for s in TICKET_STATUSES}
        assert len(said) == len(TICKET_STATUSES), lang


# -- dates as the customer reads them -----------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_no_answer_shows_an_iso_date(nlg, domain, lang):
    for name in domain.responses:
        text = await _render(nlg, domain, name, lang)
        assert not ISO_DATE.search(text), f"{name} ({lang}): {text[:120]}"


@pytest.mark.parametrize("lang, said", [
    ("kk", "Маман 18.11 18:00-ге дейін хабарласады, техник 19.11 12:40-қа дейін, ең кешінде 21.11 09:00-ға дейін келеді"),
    ("ru", "Специалист позвонит до 18.11 18:00, техник придёт до 19.11 12:40, самое позднее — 21.11 09:00"),
])
async def test_ticket_deadlines_in_astana_time(nlg, domain, lang, said):
    assert said in await _render(nlg, domain, "utter_ticket_exists", lang)


@pytest.mark.parametrize("lang, said", [("kk", "(23.10.2026)"), ("ru", "(23.10.2026)")])
async def test_a_payment_date_as_read(nlg, domain, lang, said):
    assert said in await _render(nlg, domain, "utter_refund_expired", lang)


# -- Kazakh case endings ------------------------------------------------------------------------

def _kk_texts(domain):
    for name, variants in domain.responses.items():
        for variant in variants:
            if _lang(variant) == "kk" and not variant.get("channel"):  # voice: tests/test_voice_responses.py
                yield name, variant.get("text") or ""


def test_kk_values_before_a_postposition_take_its_case(domain):
    """«{x} дейін» needs the dative, «{x} кейін» / «{x} бастап» the ablative:
    the placeholder must be {x_dat} / {x_abl}."""
    for name, text in _kk_texts(domain):
        for placeholder, word in GOVERNED.findall(text):
            assert placeholder.endswith("_" + CASE_OF[word]), f"{name}: {{{placeholder}}} {word}"


def test_kk_endings_are_not_written_after_a_placeholder(domain):
    """«{billing_start_day}-нен» is right for one number only: {billing_start_day_abl}."""
    for name, text in _kk_texts(domain):
        assert not re.search(r"\{\w+\}-?[а-яәғқңөұүһі]", text, re.I), name


async def test_every_kk_value_before_a_postposition_renders_with_its_case(nlg, domain):
    values = {**response_placeholders(), **SAMPLE}
    checked = 0
    for name, text in _kk_texts(domain):
        rendered = await _render(nlg, domain, name, "kk")
        for placeholder, word in GOVERNED.findall(text):
            base, _, case = placeholder.rpartition("_")
            shown = re.escape(str(present(values[base])))
            endings = "|".join(ENDINGS[CASE_OF[word]])
            assert re.search(rf"{shown}-?({endings}) {word}", rendered), f"{name}: {rendered[:160]}"
            checked += 1
    assert checked >= 6


@pytest.mark.parametrize("name, kk, ru", [
    ("utter_billing_period_note", "ай сайын 27-ден 4-ке дейін", "с 27-го по 4-е число"),
    ("utter_check_balance", "ай сайын 27-ден 4-ке дейін", "с 27-го по 4-е число"),
    ("utter_callback_outside_hours", "09:00-дан кейін жазыңыз", "Напишите после 09:00"),
    ("utter_ticket_created_after_hours", "маман Сізге 16.11 09:00-дан бастап хабарласады",
     "начиная с 16.11 09:00"),
])
async def test_what_the_customer_reads(nlg, domain, name, kk, ru):
    assert kk in await _render(nlg, domain, name, "kk")
    assert ru in await _render(nlg, domain, name, "ru")


async def test_any_value_can_take_a_case(nlg, domain):
    """{name_<case>} works for every case and every number-like value, the
    action's as well as config's."""
    from bot.server.nlg import ResponseValues

    values = ResponseValues({"language": "kk", **response_placeholders(), **SAMPLE}, domain.responses)
    assert values["callback_hours_dat"] == "2-ге" and values["work_end_abl"] == "18:00-ден"
    assert values["callback_due_loc"] == "18.11 18:00-де"
    assert all(values[f"billing_end_day_{case}"].startswith("4-") for case in CASES)
    with pytest.raises(KeyError):
        values["no_such_value_dat"]
