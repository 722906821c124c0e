"""Dana's response generator: Rasa's templated NLG plus the business numbers.

Responses say «{support_phone}», «{callback_hours}» …; the values come from
bot/config.py, so a number changes in one place. Values that an action passes
(ticket numbers, dates) win over these defaults. Plugged in through
``endpoints.yml: nlg: type: bot.nlg.DanaNaturalLanguageGenerator``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import message_guard, resilience, speedups
from bot.config import response_placeholders


class DanaNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.placeholders = response_placeholders()
        resilience.install()
        message_guard.install()
        speedups.install()

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        return await super().generate(
            utter_action, tracker, output_channel, **{**self.placeholders, **kwargs}
        )
