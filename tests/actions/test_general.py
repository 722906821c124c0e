"""action_language_switched: a plain switch is confirmed; a request asked
before the language was chosen is handled once it is."""

from actions.general import ActionLanguageSwitched
from tests.conftest import make_tracker


async def test_a_switch_is_confirmed(dispatcher, domain_dict):
    events = await ActionLanguageSwitched().run(
        dispatcher, make_tracker(intent="switch_language", lang="kk"), domain_dict
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_language_switched"]
    assert events == []


async def test_the_request_made_before_the_choice_is_put_back_as_the_next_turn(dispatcher, domain_dict):
    tracker = make_tracker(
        lang="ru",
        slots={"pending_intent": "request_human", "pending_text": "оператор"},
        events=[
            {
                "event": "user",
                "text": "оператор",
                "input_channel": "widget",
                "parse_data": {"intent": {"name": "choose_language"}},
            },
            {
                "event": "user",
                "text": "/switch_language",
                "input_channel": "widget",
                "parse_data": {"intent": {"name": "switch_language"}},
            },
        ],
    )
    events = await ActionLanguageSwitched().run(dispatcher, tracker, domain_dict)
    assert [m["response"] for m in dispatcher.messages] == ["utter_language_chosen"]
    assert [(e["event"], e.get("name") or e.get("text")) for e in events] == [
        ("slot", "pending_intent"),
        ("slot", "pending_text"),
        ("action", "action_listen"),
        ("user", "оператор"),
    ]
    assert events[0]["value"] is None and events[1]["value"] is None  # asked once, handled once
    assert events[3]["parse_data"]["intent"]["name"] == "request_human"
    assert events[3]["input_channel"] == "widget"  # channel-specific answers still apply
