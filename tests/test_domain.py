"""The domain keeps its promises: every answer in both languages, numbers from config."""
import re
from pathlib import Path

import yaml

from bot.config import LIMITS, response_placeholders
from bot.text.kazakh import CASES as KAZAKH_CASES
from bot.server.nlg import TERM_PREFIX, term_response
from bot.office.refund import RECEIPT_REASONS

ROOT = Path(__file__).resolve().parent.parent
# The operator's intent contract, copied into the repo: a clone needs nothing beside it.
_CONTRACT = ROOT / "docs" / "spec" / "intents.md"
_INTENT_TABLE = _CONTRACT.read_text().split("## Intents")[1].split("## Entities")[0]
CONTRACT_INTENTS = [i for i in re.findall(r"^\| (\w+) \|", _INTENT_TABLE, re.M) if i != "intent"]


def _lang(variant):
    for condition in variant.get("condition") or []:
        if condition.get("name") == "language":
            return condition.get("value")
    return None


def _chat(variants):
    """The variations shown in chat (the voice channel's own are checked by
    tests/test_voice_responses.py)."""
    return [v for v in variants if not v.get("channel")]


# Said before the customer's language is known: one variation, in both languages.
BILINGUAL = {"utter_choose_language"}
# One word before a placeholder (the buttons said aloud, «Варианты: {options}.»): too
# little for the detector to name a language; the Kazakh one must still read as Kazakh
# and the Russian one must have no Kazakh letter.
ONE_WORD = {"utter_voice_options"}


def test_every_response_has_one_kk_one_ru_and_a_default(domain):
    for name, variants in domain.responses.items():
        langs = sorted(str(_lang(v)) for v in _chat(variants))
        assert langs == (["None"] if name in BILINGUAL else ["None", "kk", "ru"]), name


def test_bilingual_responses_say_it_in_both_languages(domain):
    from bot.text.language.detect import detect_language

    for name in BILINGUAL:
        kk, ru = domain.responses[name][0]["text"].split("\n")
        assert detect_language(kk).language == "kk" and detect_language(ru).language == "ru", name


def test_kk_and_ru_variants_are_really_different_languages(domain):
    from bot.text.language.detect import detect_language

    for name, variants in domain.responses.items():
        if name in BILINGUAL:
            continue
        for said in (_chat(variants), [v for v in variants if v.get("channel")]):
            _really_different(name, said, detect_language)


def _really_different(name, variants, detect_language):
    if variants:
        by_lang = {_lang(v): v.get("text", "") for v in variants}
        assert by_lang["kk"] != by_lang["ru"], f"{name}: the same text in both languages"
        assert detect_language(by_lang["kk"]).language == "kk", f"{name} kk: {by_lang['kk'][:60]}"
        if name in ONE_WORD:
            assert not re.search("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]", by_lang["ru"]), f"{name} ru: {by_lang['ru'][:60]}"
            return
        assert detect_language(by_lang["ru"]).language == "ru", f"{name} ru: {by_lang['ru'][:60]}"


def test_variants_share_buttons_payloads(domain):
    for name, variants in domain.responses.items():
        payloads = [[b["payload"] for b in v.get("buttons") or []] for v in _chat(variants)]
        assert all(p == payloads[0] for p in payloads), name


def test_placeholders_are_known(domain):
    known = set(response_placeholders()) | set(domain.slots and [s.name for s in domain.slots])
    action_filled = {"ticket_id", "ticket_status", "callback_due", "visit_due", "resolve_due", "eta",
                     "area", "login_attempt", "callback_from", "callback_id", "refund_id",
                     "investigation_id", "request_id", "receipt_reason", "payment_date", "phone_number", "login",
                     "options"}  # channels/speech.py: the titles of the buttons said aloud
    for name, variants in domain.responses.items():
        for v in variants:
            for placeholder in re.findall(r"{([^{}\s]+)}", v.get("text", "")):
                base, _, case = placeholder.rpartition("_")
                if case in KAZAKH_CASES:  # {name_dat}: {name} with its Kazakh ending (bot/server/nlg.py)
                    placeholder = base
                if placeholder.endswith("_words"):  # said in words on the phone (bot/text/spoken.py)
                    placeholder = placeholder[:-len("_words")]
                assert placeholder in known | action_filled, f"{name}: unknown {{{placeholder}}}"


def test_every_ticket_status_is_said_in_words(domain):
    """{ticket_status} carries a back-office code; the NLG says it with utter_term_ticket_status_<code>."""
    from bot.office.notices import REQUEST_STATUSES

    for status in REQUEST_STATUSES["tickets"][1]:
        assert term_response("ticket_status", status) in domain.responses, status


def test_business_numbers_are_not_written_into_responses(domain):
    # 3131 and 116 must come from bot/config.py through placeholders.
    for name, variants in domain.responses.items():
        for v in variants:
            assert not re.search(r"\b(3131|116)\b", v.get("text", "")), name


def test_every_contract_intent_is_in_the_domain(domain):
    assert CONTRACT_INTENTS, "intent contract not found"
    missing = set(CONTRACT_INTENTS) - set(domain.intents)
    assert not missing


def test_fallback_threshold_matches_config():
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert fallback["threshold"] == LIMITS.nlu_fallback_threshold


def test_operator_is_offered_after_the_configured_number_of_misses():
    """The fallback rules encode LIMITS.fallbacks_before_operator: misses
    before the operator offer = utter_default turns + the offering miss."""
    rules = yaml.safe_load((ROOT / "stories" / "rules" / "handoff.yml").read_text())["rules"]
    offer = next(r for r in rules if r["steps"][-1].get("action") == "utter_offer_human")
    misses = sum(1 for step in offer["steps"] if step.get("intent") == "nlu_fallback")
    defaults_before = sum(1 for step in offer["steps"] if step.get("action") == "utter_default")
    assert misses + defaults_before == LIMITS.fallbacks_before_operator


def test_every_utterance_in_rules_exists(domain):
    for path in (ROOT / "stories").rglob("*.yml"):
        data = yaml.safe_load(path.read_text())
        for item in (data.get("rules") or []) + (data.get("stories") or []):
            for step in item.get("steps") or []:
                action = step.get("action", "")
                if action.startswith("utter_"):
                    assert action in domain.responses, f"{path.name}: {action}"


def _code_responses() -> set[str]:
    names = set()
    # bot/: responses said without the tracker (bot/server/message_guard.py, bot/server/resilience.py)
    for path in [*(ROOT / "actions").rglob("*.py"), *(ROOT / "bot").rglob("*.py"), *(ROOT / "channels").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'"(utter_[a-z_]+)"', text))
    # Rasa's key for the response a bot message came from (bot/office/stats.py reads it): no response
    names.discard("utter_action")
    # actions/refund.py says f"utter_receipt_reason_{reason}" for each reason bot/office/refund.py gives
    # actions/general.py says f"utter_term_topic_{intent}" for the topics a long message raised
    return (names | {f"utter_receipt_reason_{r}" for r in RECEIPT_REASONS}
            | {f"utter_term_topic_{intent}" for intent in CONTRACT_INTENTS})


def test_every_topic_a_long_message_can_raise_has_its_button_words(domain):
    from nlu.components.intent_classifier import TunedLogisticRegressionClassifier

    background = set(TunedLogisticRegressionClassifier.get_default_config()["background_intents"])
    topics = set(CONTRACT_INTENTS) - background
    assert {f"utter_term_topic_{intent}" for intent in topics} <= set(domain.responses)


def test_every_response_named_in_code_exists(domain):
    missing = {n for n in _code_responses() if n not in domain.responses and not n.endswith("_")
               and not n.startswith("utter_term_topic_")}  # only topics have them (test above)
    assert not missing


def test_no_response_is_dead(domain):
    used = set(_code_responses())
    for path in (ROOT / "stories").rglob("*.yml"):
        used |= set(re.findall(r"(utter_[a-z_]+)", path.read_text(encoding="utf-8")))
    for form, spec in domain.forms.items():
        for slot in spec.get("required_slots", []):
            used.add(f"utter_ask_{slot}")
            used.add(f"utter_ask_{form}_{slot}")  # Rasa asks with this one first when it exists
    # utter_term_<name>_<code> says a code wherever a response has {name} (bot/server/nlg.py)
    texts = " ".join(v.get("text") or "" for variants in domain.responses.values() for v in variants)
    for term in (n for n in domain.responses if n.startswith(TERM_PREFIX)):
        rest = term[len(TERM_PREFIX):]
        if any(f"{{{rest[:i]}}}" in texts for i, ch in enumerate(rest) if ch == "_"):
            used.add(term)
    dead = set(domain.responses) - used - {"utter_default"}  # utter_default: Rasa's own fallback action
    assert not dead


def test_no_custom_action_call_carries_the_domain(domain):
    """The validators and actions read domain/ themselves; Rasa would otherwise
    send every validate_ call the whole domain (66 KB of JSON per form turn)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    settings = yaml.safe_load((ROOT / "endpoints.yml").read_text())["action_endpoint"]
    endpoint = EndpointConfig.from_dict({**settings, "url": "http://127.0.0.1:5055/webhook"})
    tracker = DialogueStateTracker("t", domain.slots)
    custom = [name for name in domain.user_actions if not name.startswith("utter_")]
    assert any(name.startswith("validate_") for name in custom)
    sent_domain = [name for name in custom
                   if "domain" in RemoteAction(name, endpoint)._action_call_format(tracker, domain)]
    assert not sent_domain, f"Rasa sends the whole domain to {sent_domain}: add «send_domain: false»"
