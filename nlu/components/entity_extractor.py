"""Rule-based extraction and normalisation of Dana's entities.

Logins, phone numbers, e-mails, amounts and dates have shapes that rules read
better than a learned tagger, and the values come out normalised
(+77XXXXXXXXX, integer tenge, ISO date). Where spans overlap, the more
specific entity wins: rating > e-mail > phone > login > date > amount > name.
A rating is found only in a message that is a rating as a whole («5»,
«на пятёрку», «бестік»), so its number is never read as an amount there.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text.parsing.amount import find_amounts
from bot.text.parsing.dates import find_dates
from bot.text.parsing.email import find_emails
from bot.text.parsing.login import find_logins
from bot.text.parsing.names import find_full_names
from bot.text.parsing.phone import find_phones
from bot.text.parsing.rating import find_ratings

Finder = Callable[[str], List[tuple]]
FINDERS: List[tuple[str, Finder]] = [
    ("rating", find_ratings),
    ("email", find_emails),
    ("phone_number", find_phones),
    ("login", find_logins),
    ("payment_date", find_dates),
    ("amount", find_amounts),
    ("full_name", find_full_names),
]


# Message key under which the entities of its text are kept once found (the
# tokenizer needs them for its placeholders, this extractor for its output).
FOUND_ENTITIES = "dana_found_entities"


def extract_entities(text: str) -> List[Dict[Text, Any]]:
    taken: List[tuple[int, int]] = []
    entities = []
    for name, finder in FINDERS:
        for start, end, value in finder(text):
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            entities.append({"entity": name, "start": start, "end": end, "value": value, "confidence_entity": 1.0})
    return sorted(entities, key=lambda e: e["start"])


def entities_of(message: Message) -> List[Dict[Text, Any]]:
    """The entities of the message's text, found once per message."""
    found = message.get(FOUND_ENTITIES)
    if found is None:
        found = extract_entities(message.get(TEXT) or "")
        message.set(FOUND_ENTITIES, found)
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DanaEntityExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DanaEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = [dict(e) for e in entities_of(message)]
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(found),
                add_to_output=True,
            )
        return messages
