"""Whitespace tokens whose lemma is the folded spelling (see bot.text.language.normalise).

The count-vectors featurizers read ``token.lemma``, so «қосылмай», «косылмай» and
«qosylmai» become one feature, and everyday synonyms («ғаламтор», «модем»,
«сым») share the usual word's stem, while entity offsets still point at the
customer's own text. Over-long messages are cut first so that one 5,000-char
paste cannot slow the worker down.

Tokens inside an entity value (a login, phone, amount, date, name, e-mail, rating) get
a placeholder lemma such as ``__login__`` instead: a sentence is judged by its
words, so «интернет жоқ, логин 0851234567» stays a problem report and does not
become ``inform`` because a login dominates its character n-grams. The
entities found here are kept on the message for DanaEntityExtractor.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.config import LIMITS
from bot.text.language.normalise import CYRILLIC, KAZAKH_LETTERS, canonical, fold_word
from nlu.components.entity_extractor import FOUND_ENTITIES, entities_of

# Placeholders share «__»: «some value was given» is one signal, which one is another
# (measured on bench/nlu_dev: single-letter placeholders lost 1–2 points).
PLACEHOLDERS = {
    "login": "__login__",
    "phone_number": "__phone__",
    "email": "__email__",
    "amount": "__amount__",
    "payment_date": "__date__",
    "full_name": "__name__",
    "rating": "__rating__",  # «5», «бес», «пятёрку»: which mark must not move the intent
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingTokenizer(WhitespaceTokenizer):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            "max_chars": LIMITS.max_message_chars,
            "russian_lemmas": False,
        }

    def _russian_lemma(self, word: str) -> str | None:
        """pymorphy2's normal form of a known Russian word (what spaCy's Russian
        lemmatiser uses), else None."""
        analyzer = self.__dict__.get("_morph")
        if analyzer is None:
            import pymorphy2

            analyzer = self.__dict__["_morph"] = pymorphy2.MorphAnalyzer()
        lowered = word.lower()
        if KAZAKH_LETTERS.search(lowered) or not CYRILLIC.search(lowered):
            return None
        parse = analyzer.parse(lowered)[0]
        return parse.normal_form if parse.is_known else None

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text and len(text) > self._config["max_chars"]:
                message.set(TEXT, text[: self._config["max_chars"]])
                message.data.pop(FOUND_ENTITIES, None)
        return super().process(messages)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        spans = entities_of(message) if attribute == TEXT else []
        placed = set()
        for token in tokens:
            entity = next((e for e in spans if token.start < e["end"] and e["start"] < token.end), None)
            placeholder = PLACEHOLDERS.get(entity["entity"]) if entity else None
            if placeholder is None:
                lemma = self._russian_lemma(token.text) if self._config["russian_lemmas"] else None
                token.lemma = canonical(fold_word(lemma or token.text))
            else:
                assert entity is not None  # a placeholder comes only from an entity
                # One placeholder per value: «+7 701 123 45 67» counts as much as «87011234567».
                token.lemma = "" if entity["start"] in placed else placeholder
                placed.add(entity["start"])
        return tokens
