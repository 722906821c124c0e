"""Dana's response generator: Rasa's templated NLG plus the business numbers.

Responses say «{support_phone}», «{callback_hours}» …; the values come from
bot/config.py, so a number changes in one place. Values that an action passes
(ticket numbers, dates) win over these defaults. Plugged in through
``endpoints.yml: nlg: type: bot.nlg.DanaNaturalLanguageGenerator``.

Actions pass facts, the NLG says them in the customer's language:

- a code has its words in the domain: ``{ticket_status}`` with the value
  «open» is the text of ``utter_term_ticket_status_open`` in the conversation's
  language (any ``{name}`` whose value has an ``utter_term_<name>_<value>``);
- an ISO date or date-time (from an action or a slot) is shown as the
  customer reads it (bot/formats.py: «23.10.2026», «18.11 18:00»);
- ``{name_<case>}`` is ``{name}`` with its Kazakh case ending (bot/kazakh.py,
  cases dat, loc, abl, gen, acc, ins): ``{billing_start_day_abl}`` «27-ден»,
  ``{callback_due_dat}`` «18.11 18:00-ге». Kazakh responses use these before
  «дейін» (dative) and «кейін», «бастап» (ablative).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import formats, kazakh, message_guard, resilience, speedups
from bot.config import response_placeholders

logger = logging.getLogger(__name__)

TERM_PREFIX = "utter_term_"


def term_response(name: str, value: Any) -> str:
    """The response that says a code: («ticket_status», «open») → utter_term_ticket_status_open."""
    return f"{TERM_PREFIX}{name}_{value}"


class ResponseValues(dict):
    """The values a response is filled with (slots, then the action's and the
    business placeholders), each shown as the customer reads it; ``name_<case>``
    adds the Kazakh case ending to ``name``. Rasa's interpolator looks each
    placeholder up here."""

    def __init__(self, values: Dict[Text, Any], responses: Dict[Text, List[Dict[Text, Any]]]) -> None:
        super().__init__(values)
        self._responses = responses
        self._shown: Dict[Text, Any] = {}

    def __getitem__(self, key: Text) -> Any:
        if key in self._shown:
            return self._shown[key]
        if dict.__contains__(self, key):
            shown = self._show(key, dict.__getitem__(self, key))
        else:
            base, _, case = key.rpartition("_")
            if case not in kazakh.CASES or not dict.__contains__(self, base):
                raise KeyError(key)
            shown = self._with_case(base, case)
        self._shown[key] = shown
        return shown

    def _show(self, key: Text, value: Any) -> Any:
        term = term_response(key, value)
        if isinstance(value, str) and term in self._responses:
            variants = ResponseVariationFilter(self._responses).responses_for_utter_action(
                term, None, dict.copy(self))
            if variants and variants[0].get("text"):
                return variants[0]["text"]
        return formats.present(value)

    def _with_case(self, base: Text, case: Text) -> Any:
        value = self[base]
        try:
            return kazakh.with_suffix(str(value), case)
        except ValueError:
            logger.warning("no Kazakh %s ending for {%s}: left without one", case, base)
            return value


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

    def _response_variables(
        self, filled_slots: Optional[Dict[Text, Any]], kwargs: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        return ResponseValues({**(filled_slots or {}), **kwargs}, self.responses)
