"""Sets the conversation language on every message (slot ``language``).

Emits ``language`` for an explicit request («давайте на русском»,
«қазақша жазыңыз») and ``detected_language`` otherwise; the domain maps both
to the ``language`` slot, so no action-server call is needed. After an
explicit request the choice sticks: while the tracker's
``preferred_language`` is set, detection stays silent. A message with no
evidence (a login, an emoji) emits nothing and the language is kept.

Entity values never decide the language (a Russian customer's «Асанов Асан
Асанұлы» is a name, not Kazakh), and while a form asks for the full name the
answer is not read for language at all.

The first message of a conversation with no evidence at all («оператор»,
«0851234567», «👍») becomes the intent ``choose_language``: Dana answers in
both languages with a choice, then goes on with what was asked
(``pending_intent``, ``pending_text``).

Where that evidence decides nothing, lingua's confident answer counts
(bot.text.language.second_opinion).

Trainable: the character n-gram model of bot.text.language.detect is trained on
the NLU examples, whose language is their intent block's
``metadata: {language: kk|ru}`` (every nlu/<lang>/ file sets it).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text.language.detect import CharNgramModel, detect_language, requested_language
from bot.text.language.normalise import folded_spans, original_span
from bot.text.language.second_opinion import lingua_opinion
from nlu.components.entity_extractor import entities_of

PREFERRED_SLOT = "preferred_language"
LANGUAGE_SLOT = "language"
CHOOSE_LANGUAGE = "choose_language"
# Form questions whose answer is a value, not a sentence in some language.
_VALUE_ONLY_SLOTS = ("full_name",)
_MODEL_FILE = "char_ngrams.json"


def example_language(message: Message) -> Optional[str]:
    """The language a training example's intent block declares."""
    metadata = message.get("metadata") or {}
    intent_metadata = metadata.get("intent") if isinstance(metadata, dict) else None
    language = intent_metadata.get("language") if isinstance(intent_metadata, dict) else None
    return language if language in ("kk", "ru") else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LanguageIdentifier(GraphComponent, EntityExtractorMixin):
    def __init__(
        self,
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[CharNgramModel] = None,
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.second_opinion = lingua_opinion()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageIdentifier":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(m.get(TEXT), example_language(m)) for m in training_data.intent_examples]
        self.model = CharNgramModel.train((text, lang) for text, lang in examples if lang and text)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _MODEL_FILE).write_text(json.dumps(self.model.to_dict(), ensure_ascii=False))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageIdentifier":
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / _MODEL_FILE).read_text())
        except (ValueError, FileNotFoundError):
            return cls(model_storage, resource)
        return cls(model_storage, resource, CharNgramModel.from_dict(data))

    def process(self, messages: List[Message], tracker: Optional[DialogueStateTracker] = None) -> List[Message]:
        pinned = bool(tracker and tracker.get_slot(PREFERRED_SLOT))
        value_only = bool(
            tracker and tracker.active_loop_name and tracker.get_slot("requested_slot") in _VALUE_ONLY_SLOTS
        )
        first = tracker is not None and not _language_decided(tracker)
        for message in messages:
            text = message.get(TEXT) or ""
            entities = self.entities_for(
                text, pinned or value_only, ignore=[(e["start"], e["end"]) for e in entities_of(message)]
            )
            if entities:
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, []) + self.add_extractor_name(entities),
                    add_to_output=True,
                )
            elif first and not text.startswith("/"):
                self._ask_for_language(message)
        return messages

    def entities_for(self, text: str, silent: bool, ignore: Sequence[tuple] = ()) -> List[Dict[Text, Any]]:
        """The language entity this text gives: an explicit request always,
        a detected language unless ``silent``."""
        folded, spans = folded_spans(text)
        request = requested_language(folded)
        if request:
            start, end = original_span(spans, request.start, request.end)
            return [
                {
                    "entity": "language",
                    "value": request.language,
                    "start": start,
                    "end": end,
                    "value_text": text[start:end],
                }
            ]
        if silent:
            return []
        guess = detect_language(text, self.model, ignore, self.second_opinion)
        if guess.language is None:
            return []
        # Zero-width at the end: a whole-message property, not a word of it,
        # so it never competes with real entities for tokens in evaluation.
        return [
            {
                "entity": "detected_language",
                "value": guess.language,
                "start": len(text),
                "end": len(text),
                "confidence_entity": 1.0,
            }
        ]

    def _ask_for_language(self, message: Message) -> None:
        """No language yet and none in this message: ask, keeping what was asked."""
        asked = (message.get(INTENT) or {}).get("name")
        message.set(INTENT, {"name": CHOOSE_LANGUAGE, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": CHOOSE_LANGUAGE, "confidence": 1.0}], add_to_output=True)
        if asked:
            text = message.get(TEXT) or ""
            pending = {
                "entity": "pending_intent",
                "value": asked,
                "start": len(text),
                "end": len(text),
                "confidence_entity": 1.0,
            }
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name([pending]), add_to_output=True)


def _language_decided(tracker: DialogueStateTracker) -> bool:
    """Whether this conversation already has a language (detected, chosen, or
    given by the channel), as opposed to the slot's initial value."""
    return any(isinstance(event, SlotSet) and event.key == LANGUAGE_SLOT for event in tracker.events)
