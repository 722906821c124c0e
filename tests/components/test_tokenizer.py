"""FoldingTokenizer: folded lemmas, and entity values judged as placeholders, not as text."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu.components.tokenizer import FoldingTokenizer


def lemmas(text: str) -> list[str]:
    tokenizer = FoldingTokenizer(FoldingTokenizer.get_default_config())
    return [t.lemma for t in tokenizer.tokenize(Message.build(text), "text") if t.lemma]


def test_spellings_of_a_word_share_one_lemma():
    assert lemmas("Үйдегі интернет жоқ") == lemmas("уйдеги интернет жок") == lemmas("uidegi internet jok")


@pytest.mark.parametrize("one, other", [
    ("интернет жоқ, логин 0851234567", "интернет жоқ, логин 0899001122"),
    ("перезвоните на +7 701 123 45 67", "перезвоните на 87059998877"),
    ("оплатил 5 тысяч тенге вчера", "оплатил 12000 тг 3 дня назад"),
    ("меня зовут Асанов Асан Асанұлы", "меня зовут Иванова Мария Петровна"),
])
def test_entity_values_become_one_placeholder_each(one, other):
    """Which login or phone a customer gives must not move the intent: the
    featurizers see the same words for both messages."""
    assert lemmas(one) == lemmas(other)


def test_placeholder_stands_once_per_value_and_words_stay():
    assert lemmas("интернет жоқ, логин 0851234567, телефон +7 701 123 45 67") == [
        "интернет", "жок", "логин", "__login__", "телефон", "__phone__"]


def test_entities_found_once_are_shared_with_the_extractor():
    from nlu.components.entity_extractor import FOUND_ENTITIES, DanaEntityExtractor

    tokenizer = FoldingTokenizer(FoldingTokenizer.get_default_config())
    message = Message.build("логин 0851234567")
    tokenizer.process([message])
    assert [e["entity"] for e in message.get(FOUND_ENTITIES)] == ["login"]
    DanaEntityExtractor().process([message])
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("login", "0851234567")]


def test_an_over_long_message_is_cut_before_its_entities_are_read():
    tokenizer = FoldingTokenizer({**FoldingTokenizer.get_default_config(), "max_chars": 20})
    message = Message.build("интернет жоқ логин 0851234567")
    tokenizer.process([message])
    assert message.get("text") == "интернет жоқ логин 0"
    assert all(e["end"] <= 20 for e in message.get("dana_found_entities") or [])


@pytest.mark.parametrize("said, usual", [
    ("ғаламтор жоқ", "интернет жоқ"), ("модем сынып қалды", "роутер сынып қалды"),
    ("сымы үзіліп кетті", "кабелі үзіліп кетті"), ("тюнер не показывает", "приставка не показывает"),
    ("инженер жіберіңіз", "мастер жіберіңіз"), ("Wi-Fi жоқ", "вайфай жоқ"),
])
def test_everyday_synonyms_share_the_usual_stem(said, usual):
    assert lemmas(said)[0][:5] == lemmas(usual)[0][:5]
    assert lemmas(said)[1:] == lemmas(usual)[1:]


@pytest.mark.parametrize("word", ["техникалық", "сымбатты", "инетик"])
def test_words_that_only_start_like_a_synonym_keep_their_meaning(word):
    from bot.text.language.normalise import fold_word

    assert lemmas(word) == [fold_word(word)]
