"""Dana's response generator: Rasa's templated NLG plus the business numbers.

Responses say «{support_phone}», «{callback_hours}» …; the values come from
bot/config.py, so a number changes in one place. Values that an action passes
(ticket numbers, dates) win over these defaults. Plugged in through
``endpoints.yml: nlg: type: bot.server.nlg.DanaNaturalLanguageGenerator``.

Actions pass facts, the NLG says them in the customer's language:

- a code has its words in the domain: ``{ticket_status}`` with the value
  «open» is the text of ``utter_term_ticket_status_open`` in the conversation's
  language (any ``{name}`` whose value has an ``utter_term_<name>_<value>``);
- an ISO date or date-time (from an action or a slot) is shown as the
  customer reads it (bot/text/formats.py: «23.10.2026», «18.11 18:00»);
- ``{name_<case>}`` is ``{name}`` with its Kazakh case ending (bot/text/kazakh.py,
  cases dat, loc, abl, gen, acc, ins): ``{billing_start_day_abl}`` «27-ден»,
  ``{callback_due_dat}`` «18.11 18:00-ге». Kazakh responses use these before
  «дейін» (dative) and «кейін», «бастап» (ablative).

For the phone (output channel ``voice``, the IVR's text-to-speech) values are
said, not shown (bot/text/spoken.py): ``{name_words}`` is a number or a time in
words («два» / «екі»), ``{name_words_gen}`` its Russian genitive («двух»), and
``{name_words_dat}`` … the Kazakh words with their ending («тоғыздан»); dates
come with month names («23 октября» / «23 қазан»).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.core.nlg.interpolator import interpolate_text
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.config import response_placeholders
from bot.text import formats, kazakh, spoken
from bot.text.language.reply import RUSSIAN, reply_language, said_in

logger = logging.getLogger(__name__)

TERM_PREFIX = "utter_term_"
VOICE_CHANNEL = "voice"  # channels/voice.py's output channel: variations with «channel: voice»
WORDS = "_words"
# Rasa hands the NLG's keyword values, not the channel, to the filling step.
VOICE_KEY = "__voice__"


def term_response(name: str, value: Any) -> str:
    """The response that says a code: («ticket_status», «open») → utter_term_ticket_status_open."""
    return f"{TERM_PREFIX}{name}_{value}"


class ResponseValues(dict):
    """The values a response is filled with (slots, then the action's and the
    business placeholders), each shown as the customer reads it; ``name_<case>``
    adds the Kazakh case ending to ``name``. Rasa's interpolator looks each
    placeholder up here."""

    def __init__(
        self, values: Dict[Text, Any], responses: Dict[Text, List[Dict[Text, Any]]], voice: bool = False
    ) -> None:
        super().__init__(values)
        self._responses = responses
        self._voice = voice
        self._shown: Dict[Text, Any] = {}

    @property
    def language(self) -> str:
        """The conversation's language; Russian without one, as the response's
        default variation (no language condition) is the Russian text."""
        return reply_language(conversation=dict.get(self, "language"), default=RUSSIAN)

    def __getitem__(self, key: Text) -> Any:
        if key not in self._shown:
            self._shown[key] = self._value_for(key)
        return self._shown[key]

    def _value_for(self, key: Text) -> Any:
        if dict.__contains__(self, key):
            return self._show(key, dict.__getitem__(self, key))
        if key.endswith(WORDS) and dict.__contains__(self, key[: -len(WORDS)]):
            return self._words(key[: -len(WORDS)])
        base, _, case = key.rpartition("_")
        if case in kazakh.CASES and base.endswith(WORDS) and self.language == "ru":
            return self._words(base[: -len(WORDS)], case)
        if case in kazakh.CASES and (dict.__contains__(self, base) or base.endswith(WORDS)):
            return self._with_case(base, case)
        raise KeyError(key)

    def _show(self, key: Text, value: Any) -> Any:
        term = term_response(key, value)
        if isinstance(value, str) and term in self._responses:
            variants = ResponseVariationFilter(self._responses).responses_for_utter_action(term, None, dict.copy(self))
            if variants and variants[0].get("text"):
                return variants[0]["text"]
        if self._voice:
            found = formats.machine_value(value)
            if isinstance(found, datetime):
                return spoken.spoken_moment(found, self.language)
            if isinstance(found, date):
                return spoken.spoken_date(found, self.language)
        return formats.present(value)

    def _words(self, base: Text, case: Optional[Text] = None) -> Any:
        value = dict.__getitem__(self, base)
        try:
            return spoken.number_words(value, self.language, case)
        except ValueError:
            logger.warning("{%s} cannot be said in words: left as it is", base)
            return self._show(base, value)

    def _with_case(self, base: Text, case: Text) -> Any:
        value = self[base]
        try:
            return kazakh.with_suffix(str(value), case)
        except ValueError:
            logger.warning("no Kazakh %s ending for {%s}: left without one", case, base)
            return value


def text_outside_a_turn(
    name: Text,
    language: Optional[Text],
    channel: Optional[Text] = None,
    responses: Optional[Dict[Text, List[Dict[Text, Any]]]] = None,
    values: Optional[Dict[Text, Any]] = None,
) -> Text:
    """A response's text where no turn is running to generate it — the message
    guard's failure answers, a channel's own «not heard» — chosen as Rasa chooses
    a variation (language condition, then channel) and filled like any answer,
    ``values`` (the channel's own, as an action's) over the business placeholders.
    ``language`` UNDECIDED (None): the Kazakh and the Russian text, one per line
    (bot/text/language/reply.py ``said_in``). The first matching variation is
    taken: these are single-variation answers."""
    from bot.project_domain import project_domain

    # A model trained before a response was added lacks it; the domain files have it.
    responses = responses if responses and name in responses else project_domain().responses
    if name not in responses:
        return ""
    texts = []
    for lang in said_in(language):
        filled = ResponseValues(
            {**response_placeholders(), **(values or {}), "language": lang}, responses, voice=channel == VOICE_CHANNEL
        )
        chosen = ResponseVariationFilter(responses).responses_for_utter_action(name, channel, dict(filled))
        if chosen and chosen[0].get("text"):
            texts.append(interpolate_text(chosen[0]["text"], filled))
    # One newline: Rasa's collectors split a text into messages at blank lines.
    return "\n".join(texts)


class DanaNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.placeholders = response_placeholders()

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        voice = {VOICE_KEY: True} if output_channel == VOICE_CHANNEL else {}
        return await super().generate(utter_action, tracker, output_channel, **{**self.placeholders, **kwargs, **voice})

    def _response_variables(self, filled_slots: Optional[Dict[Text, Any]], kwargs: Dict[Text, Any]) -> Dict[Text, Any]:
        values = {**(filled_slots or {}), **kwargs}
        voice = bool(values.pop(VOICE_KEY, False))
        return ResponseValues(values, self.responses, voice=voice)
