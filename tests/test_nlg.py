"""Responses come out in the conversation's language with the business numbers filled."""
import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.config import POLICY
from bot.nlg import DanaNaturalLanguageGenerator


@pytest.fixture(scope="module")
def nlg(domain):
    return DanaNaturalLanguageGenerator(domain=domain)


def _tracker(domain, lang):
    tracker = DialogueStateTracker.from_events("t", [], slots=domain.slots)
    tracker.update(SlotSet("language", lang))
    return tracker


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_every_response_renders_without_open_placeholders(nlg, domain, lang):
    tracker = _tracker(domain, lang)
    filled = dict(ticket_id="T-1", ticket_status="open", callback_due="10:00", visit_due="x",
                  resolve_due="x", eta="x", area="x", fault="x", login_attempt="x", callback_from="x",
                  callback_id="C-1", refund_id="R-1", investigation_id="I-1", request_id="R-1", receipt_reason="x",
                  payment_date="x", phone_number="+77011234567", login="0851234567")
    for name in domain.responses:
        message = await nlg.generate(name, tracker, "rest", **filled)
        assert message and message["text"], name
        assert "{" not in message["text"], f"{name}: {message['text'][:80]}"


async def test_the_support_number_comes_from_config(nlg, domain):
    message = await nlg.generate("utter_handoff", _tracker(domain, "kk"), "rest")
    assert POLICY.support_phone in message["text"]


async def test_language_slot_picks_the_variant(nlg, domain):
    kk = await nlg.generate("utter_greet", _tracker(domain, "kk"), "rest")
    ru = await nlg.generate("utter_greet", _tracker(domain, "ru"), "rest")
    assert "Здравствуйте" in ru["text"] and "Здравствуйте" not in kk["text"]
