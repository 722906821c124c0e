"""Sets the conversation language on every message (slot ``language``).

Emits ``language`` for an explicit request («давайте на русском»,
«қазақша жазыңыз») and ``detected_language`` otherwise; the domain maps both
to the ``language`` slot, so no action-server call is needed. After an
explicit request the choice sticks: while the tracker's
``preferred_language`` is set, detection stays silent. A message with no
evidence (a login, an emoji) emits nothing and the language is kept.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language.detect import detect_language, requested_language
from bot.language.normalise import folded_spans, original_span

PREFERRED_SLOT = "preferred_language"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageIdentifier(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageIdentifier":
        return cls()

    def process(
        self, messages: List[Message], tracker: Optional[DialogueStateTracker] = None
    ) -> List[Message]:
        pinned = bool(tracker and tracker.get_slot(PREFERRED_SLOT))
        for message in messages:
            entities = self.entities_for(message.get(TEXT) or "", pinned)
            if entities:
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, []) + self.add_extractor_name(entities),
                    add_to_output=True,
                )
        return messages

    @staticmethod
    def entities_for(text: str, pinned: bool) -> List[Dict[Text, Any]]:
        folded, spans = folded_spans(text)
        request = requested_language(folded)
        if request:
            start, end = original_span(spans, request.start, request.end)
            return [{"entity": "language", "value": request.language,
                     "start": start, "end": end, "value_text": text[start:end]}]
        if pinned:
            return []
        guess = detect_language(text)
        if guess.language is None:
            return []
        # Zero-width at the end: a whole-message property, not a word of it,
        # so it never competes with real entities for tokens in evaluation.
        return [{"entity": "detected_language", "value": guess.language,
                 "start": len(text), "end": len(text), "confidence_entity": 1.0}]
