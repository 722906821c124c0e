"""Whitespace tokens whose lemma is the folded spelling (see bot.language.normalise).

The count-vectors featurizers read ``token.lemma``, so «қосылмай», «косылмай» and
«qosylmai» become one feature, while entity offsets still point at the
customer's own text. Over-long messages are cut first so that one 5,000-char
paste cannot slow the worker down.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.config import LIMITS
from bot.language.normalise import fold_word


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class FoldingTokenizer(WhitespaceTokenizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**WhitespaceTokenizer.get_default_config(), "max_chars": LIMITS.max_message_chars}

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text and len(text) > self._config["max_chars"]:
                message.set(TEXT, text[: self._config["max_chars"]])
        return super().process(messages)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold_word(token.text)
        return tokens
