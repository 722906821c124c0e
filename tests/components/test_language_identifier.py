"""LanguageIdentifier: names never decide the language, a conversation with
no language yet gets a choice, the n-gram model is trained, saved and loaded."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.language_identifier import CHOOSE_LANGUAGE, LanguageIdentifier

KK = ["интернет жоқ қой", "үйдегі интернет істемей тұр", "маман жіберіңізші", "рахмет көп",
      "ақшам түспеді", "қосылмай жатыр", "төлем жасадым бірақ түспеді", "қашан келеді"]
RU = ["интернет не работает", "пропал интернет", "вызовите мастера", "спасибо большое",
      "деньги не пришли", "не подключается", "оплатил но не зачислилось", "когда придёт"]


def _example(text, lang):
    return Message.build(text, "x", intent_metadata={"language": lang})


@pytest.fixture
def trained(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = LanguageIdentifier.create({}, storage, Resource("lang"), context)
    component.train(TrainingData([_example(t, "kk") for t in KK] + [_example(t, "ru") for t in RU]))
    return component, storage, context


def _tracker(*events):
    return DialogueStateTracker.from_events("t", list(events))


def _parse(component, text, tracker, intent="request_human"):
    message = Message.build(text)
    message.set("intent", {"name": intent, "confidence": 0.9})
    component.process([message], tracker)
    return message


def _language(message):
    return next((e["value"] for e in message.get("entities") or []
                 if e["entity"] in ("detected_language", "language")), None)


RUSSIAN = (SlotSet("language", "ru"),)


def test_kazakh_without_its_letters_is_kazakh_once_trained(trained):
    component, _, _ = trained
    assert _language(_parse(component, "интернет жок косылмаи жатыр", _tracker(*RUSSIAN))) == "kk"


@pytest.mark.parametrize("text", ["Меня зовут Асанов Асан Асанұлы", "Плательщик Жұмабаев Нұрлан Серікұлы",
                                  "адрес: Астана, улица Сығанақ 12, подъезд 3"])
def test_a_kazakh_name_or_street_in_russian_stays_russian(trained, text):
    component, _, _ = trained
    # No answer keeps the conversation's Russian too; Kazakh would switch it.
    assert _language(_parse(component, text, _tracker(*RUSSIAN))) in ("ru", None)


@pytest.mark.parametrize("text", ["Асанов Асан Асанұлы", "асанов асан асанұлы", "Нұрлан"])
def test_the_answer_to_the_name_question_never_changes_the_language(trained, text):
    component, _, _ = trained
    tracker = _tracker(*RUSSIAN, ActiveLoop("refund_form"), SlotSet("requested_slot", "full_name"))
    assert _language(_parse(component, text, tracker)) is None


@pytest.mark.parametrize("text", ["оператор", "0851234567", "👍", "ok"])
def test_a_first_message_with_no_language_gets_a_choice_and_keeps_its_request(trained, text):
    component, _, _ = trained
    message = _parse(component, text, _tracker())
    assert message.get("intent")["name"] == CHOOSE_LANGUAGE
    assert [e["value"] for e in message.get("entities") if e["entity"] == "pending_intent"] == ["request_human"]


@pytest.mark.parametrize("text, tracker_events", [
    ("оператор", RUSSIAN),                        # the language is already known
    ("оператор бар ма", ()),                      # the first message says it is Kazakh
    ('/switch_language{"language": "kk"}', ()),   # a button press
])
def test_no_choice_when_the_language_is_known_or_said(trained, text, tracker_events):
    component, _, _ = trained
    message = _parse(component, text, _tracker(*tracker_events))
    assert message.get("intent")["name"] == "request_human"


def test_the_trained_model_is_saved_and_loaded(trained):
    component, storage, context = trained
    loaded = LanguageIdentifier.load({}, storage, Resource("lang"), context)
    words = ["жок", "кашан", "работает", "тенге", "комектесиниз"]
    assert [loaded.model.word_score(w) for w in words] == [component.model.word_score(w) for w in words]
    assert loaded.model.word_score("жок") > 0 > loaded.model.word_score("работает")
