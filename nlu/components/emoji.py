"""Messages made only of emoji and punctuation («👍», «😡😡😡», «???»).

Rasa's whitespace tokenizer drops emoji, so such a message has no features
and the classifier answered every one with its prior — «😡😡😡» came out as
«yes» and got «Жақсы. Тағы немен көмектесейін?». Here the emoji decide: a
thumbs-up or a tick is «yes», a thumbs-down or a cross is «no», folded hands
or a heart is «thank you»; anything else (anger, tears, question marks) is
not understood — Dana asks to rephrase, and offers an operator on the second
miss. Messages with any letter or digit are left to the classifier.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

MEANINGS = {
    "affirm": "👍👌✅✔☑🆗🙆",
    "deny": "👎❌✖🚫🙅",
    "thank": "🙏❤💙💛💚🤝🌹💐",
}
_MEANING = {ch: intent for intent, chars in MEANINGS.items() for ch in chars}
_PUNCTUATION = set("!?.,;:…-—()\"'«»")
_WORDS = re.compile(r"\w")
_SKIN_AND_JOINERS = re.compile("[\U0001f3fb-\U0001f3ff\u200d\ufe0f]")


def emoji_intent(text: str) -> Optional[str]:
    """The intent of an emoji-only message: one of MEANINGS when all its emoji
    agree, "" when it means nothing Dana can act on; None if it has words."""
    if not text.strip() or _WORDS.search(text):
        return None
    meanings = {
        _MEANING.get(ch)
        for ch in _SKIN_AND_JOINERS.sub("", text)
        if not ch.isspace() and ch.isprintable() and ch not in _PUNCTUATION
    }
    return meanings.pop() if len(meanings) == 1 and None not in meanings else ""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmojiOnlyClassifier(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmojiOnlyClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = emoji_intent(message.get(TEXT) or "")
            if intent is None:
                continue
            # No confidence for anything when the emoji mean nothing: the
            # FallbackClassifier after this turns it into nlu_fallback.
            ranking = [{"name": intent, "confidence": 1.0}] if intent else []
            message.set(INTENT, ranking[0] if ranking else {"name": None, "confidence": 0.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
