"""Emoji-only messages: a thumbs-up is yes, anger is not taken for yes."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from nlu.components.emoji import EmojiOnlyClassifier, emoji_intent


@pytest.mark.parametrize("text, intent", [
    ("👍", "affirm"), ("👍🏻👍🏻", "affirm"), ("✅", "affirm"), ("👎", "deny"), ("❌", "deny"),
    ("🙏", "thank"), ("❤️", "thank"), ("🙏🙏 !", "thank"),
    ("😡😡😡", ""), ("🤬", ""), ("😭", ""), ("???", ""), ("👍👎", ""),  # nothing Dana can act on
    ("интернет жоқ 😡", None), ("0851234567", None), ("", None),     # words: the classifier's job
])
def test_emoji_decide_only_when_the_message_has_no_words(text, intent):
    assert emoji_intent(text) == intent


def _classified(text):
    message = Message.build(text)
    message.set("intent", {"name": "affirm", "confidence": 0.69})  # the classifier's prior
    message.set("intent_ranking", [{"name": "affirm", "confidence": 0.69}])
    EmojiOnlyClassifier().process([message])
    return message


def test_anger_gets_no_confidence_so_dana_asks_to_rephrase():
    message = _classified("😡😡😡")
    assert message.get("intent")["confidence"] == 0.0 and message.get("intent_ranking") == []


def test_a_thumbs_up_is_a_sure_yes_and_words_are_left_alone():
    assert _classified("👍").get("intent") == {"name": "affirm", "confidence": 1.0}
    assert _classified("ок 👍").get("intent") == {"name": "affirm", "confidence": 0.69}
