"""The phone question of each form, as the customer reads it: what is accepted,
what is asked again and why, and each form's own question in both languages."""

import pytest
from rasa.core.actions.forms import FormAction
from rasa.core.channels import CollectingOutputChannel
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from actions.callback import ValidateCallbackForm
from actions.payment_check import ValidateInvestigationForm
from actions.phone import PROBLEM_RESPONSES
from actions.refund import ValidateWrongPaymentForm
from actions.technician import ValidateTechnicianForm
from bot.server.nlg import DanaNaturalLanguageGenerator
from bot.text.language.detect import detect_language
from bot.text.parsing.phone import LANDLINE, PROBLEMS, check_phone
from tests.conftest import make_tracker, responses

# Every form that asks for a phone: each number is one to call the customer back on.
VALIDATORS = {
    "technician_form": ValidateTechnicianForm,
    "callback_form": ValidateCallbackForm,
    "wrong_payment_form": ValidateWrongPaymentForm,
    "investigation_form": ValidateInvestigationForm,
}


@pytest.fixture(scope="module")
def nlg(domain):
    return DanaNaturalLanguageGenerator(domain=domain)


def _tracker(domain, lang: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker.from_events("t", [], slots=domain.slots)
    tracker.update(SlotSet("language", lang))
    return tracker


async def _say(nlg, domain, response: str, lang: str) -> str:
    return (await nlg.generate(response, _tracker(domain, lang), "rest"))["text"]


def test_every_form_that_asks_for_a_phone_is_covered(domain):
    asking = {form for form, spec in domain.forms.items() if "phone_number" in spec.get("required_slots", [])}
    assert asking == set(VALIDATORS)


# A callback goes only to one's own Beeline number (seed 000): landlines and
# other operators' mobiles are for the other forms.
ANY_NUMBER = [form for form in VALIDATORS if form != "callback_form"]


@pytest.mark.parametrize("form", ANY_NUMBER)
@pytest.mark.parametrize(
    "answer, number",
    [
        ("+7 727 350 06 06", "+77273500606"),  # Almaty
        ("8 (7172) 55-66-77", "+77172556677"),  # Astana
    ],
)
def test_a_city_landline_is_accepted_where_the_customer_is_called_back(form, answer, number, dispatcher, domain_dict):
    tracker = make_tracker(intent="inform", text=answer, active_loop=form)
    slots = VALIDATORS[form]().validate_phone_number(answer, dispatcher, tracker, domain_dict)
    assert slots == {"phone_number": number} and check_phone(answer).kind == LANDLINE
    assert dispatcher.messages == []


@pytest.mark.parametrize("form", ANY_NUMBER)
@pytest.mark.parametrize(
    "answer",
    [
        "сегіз жеті жүз бір жүз жиырма үш қырық бес алпыс жеті",
        "восемь семь ноль один сто двадцать три сорок пять шестьдесят семь",
        "8 701 1234567",
    ],
)
def test_a_spoken_or_spelled_mobile_is_accepted(form, answer, dispatcher, domain_dict):
    tracker = make_tracker(intent="inform", text=answer, active_loop=form)
    assert VALIDATORS[form]().validate_phone_number(answer, dispatcher, tracker, domain_dict) == {
        "phone_number": "+77011234567"
    }


@pytest.mark.parametrize(
    "answer, number",
    [
        ("сегіз жеті жүз бес жүз жиырма үш қырық бес алпыс жеті", "+77051234567"),
        ("8 (777) 123-45-67", "+77771234567"),
        ("+7 776 123 45 67", "+77761234567"),
    ],
)
def test_a_callback_takes_a_beeline_mobile(answer, number, dispatcher, domain_dict):
    tracker = make_tracker(intent="inform", text=answer, active_loop="callback_form")
    assert ValidateCallbackForm().validate_phone_number(answer, dispatcher, tracker, domain_dict) == {
        "phone_number": number
    }
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "answer",
    [
        "8 701 123 45 67",  # Kcell
        "+7 700 123 45 67",  # T2
        "+7 727 350 06 06",
    ],
)  # an Almaty landline
async def test_a_callback_to_another_network_or_a_landline_is_refused_saying_why(
    answer, dispatcher, domain, domain_dict, nlg
):
    tracker = make_tracker(intent="inform", text=answer, active_loop="callback_form")
    assert ValidateCallbackForm().validate_phone_number(answer, dispatcher, tracker, domain_dict) == {
        "phone_number": None
    }
    assert responses(dispatcher) == ["utter_phone_not_beeline"]
    for lang in ("kk", "ru"):
        said = await _say(nlg, domain, "utter_phone_not_beeline", lang)
        assert "Beeline" in said and detect_language(said).language == lang, said


# (answer, response, what the customer reads in kk, in ru)
REFUSALS = [
    ("+1 212 555 0100", "utter_phone_foreign", "Қазақстанның нөмірі емес", "другой страны"),
    ("+7 495 123 45 67", "utter_phone_foreign", "Қазақстанның нөмірі емес", "другой страны"),
    ("8 701 123 45", "utter_phone_too_short", "цифр жетпейді", "не хватает цифр"),
    ("55 66 77", "utter_phone_too_short", "қаланың кодымен", "с кодом оператора или города"),
    ("8 701 123 45 678", "utter_phone_too_long", "артық цифр", "лишние цифры"),
    ("8 800 080 31 31", "utter_phone_service", "жарамайды", "не подойдёт"),
    ("8 709 123 45 67", "utter_phone_unknown", "мұндай нөмір жоқ", "нет такого номера"),
    ("қазір айта алмаймын", "utter_phone_missing", "Нөмірді таппадым", "Не вижу номера"),
]


def test_every_problem_has_its_own_message(domain):
    assert set(PROBLEM_RESPONSES) == set(PROBLEMS)
    assert len(set(PROBLEM_RESPONSES.values())) == len(PROBLEMS)
    assert set(PROBLEM_RESPONSES.values()) <= set(domain.responses)
    assert {r for _, r, _, _ in REFUSALS} == set(PROBLEM_RESPONSES.values())  # each one said below


@pytest.mark.parametrize("form", VALIDATORS)
@pytest.mark.parametrize("answer, response, kk, ru", REFUSALS)
async def test_an_unusable_number_is_asked_again_saying_what_is_wrong(
    form, answer, response, kk, ru, dispatcher, domain, domain_dict, nlg
):
    tracker = make_tracker(intent="inform", text=answer, active_loop=form)
    assert VALIDATORS[form]().validate_phone_number(answer, dispatcher, tracker, domain_dict) == {"phone_number": None}
    assert responses(dispatcher) == [response]
    said_kk, said_ru = await _say(nlg, domain, response, "kk"), await _say(nlg, domain, response, "ru")
    assert kk in said_kk and detect_language(said_kk).language == "kk"
    assert ru in said_ru and detect_language(said_ru).language == "ru"


async def _asked(form: str, lang: str, domain, nlg) -> str:
    """What Rasa's form says when it asks this form's phone question."""
    output = CollectingOutputChannel()
    events = await FormAction(form, None)._ask_for_slot(domain, nlg, output, "phone_number", _tracker(domain, lang))
    [uttered] = events
    return uttered.text


# What each question says the number is for (kk, ru): the seeds' and policy's reasons only.
PURPOSE = {
    "technician_form": ("Техниктің келуін нақтылау үшін маман", "позвонить специалисту, чтобы уточнить визит техника"),
    "callback_form": ("өз Beeline нөміріңізге", "ваш собственный номер Beeline"),
    "wrong_payment_form": ("дұрыс логинге аудару туралы өтініш", "заявке о переносе денег на правильный логин"),
    "investigation_form": (
        "шешіммен Сізге 3 күн ішінде ораламыз",
        "С решением по платежу мы вернёмся к вам в течение 3",
    ),
}


@pytest.mark.parametrize("form", VALIDATORS)
async def test_each_form_asks_its_own_phone_question_in_both_languages(form, domain, nlg):
    kk, ru = await _asked(form, "kk", domain, nlg), await _asked(form, "ru", domain, nlg)
    assert PURPOSE[form][0] in kk and PURPOSE[form][1] in ru
    assert detect_language(kk).language == "kk" and detect_language(ru).language == "ru"
    # A landline is welcome wherever the customer is called back by staff; a
    # callback goes only to one's own Beeline number (seed 000).
    if form == "callback_form":
        assert "Beeline" in kk and "Beeline" in ru and "қалалық" not in kk and "городской" not in ru
    else:
        assert "қалалық" in kk and "городской" in ru
    assert "{" not in kk + ru


async def test_no_two_forms_share_a_phone_question(domain, nlg):
    for lang in ("kk", "ru"):
        asked = [await _asked(form, lang, domain, nlg) for form in VALIDATORS]
        assert len(set(asked)) == len(asked), lang
