"""The live hand-off's states: open → taken by one operator → resolved, each
step audited; the «no operator yet» message claimed by exactly one server."""

import pytest
from sqlalchemy import select, update

from bot.office import handoff
from bot.office.db import new_session
from bot.office.models import Handoff, StaffAction, utcnow


def _new(conversation_id: str = "rest:1") -> int:
    return handoff.record_handoff(conversation_id=conversation_id, language="ru", intent="internet_down",
                                  reason="requested", summary="login=0851234567",
                                  context={"collected": {"login": "0851234567"}})


def test_queue_shows_open_handoffs_oldest_first_with_what_an_operator_needs(database):
    first, second = _new("a"), _new("b")
    queue = handoff.waiting()
    assert [h["id"] for h in queue] == [first, second]
    assert queue[0]["login"] == "0851234567" and queue[0]["topic"] == "internet_down"
    assert queue[0]["waiting_seconds"] >= 0 and queue[0]["operator"] is None


def test_one_operator_takes_it_and_only_they_answer_and_close_it(database):
    hid = _new()
    assert handoff.claim(hid, "aigerim")["operator"] == "aigerim"
    assert handoff.claim(hid, "aigerim")["operator"] == "aigerim"  # again: no change
    with pytest.raises(handoff.HandoffRefused, match="taken"):
        handoff.claim(hid, "daulet")
    with pytest.raises(handoff.HandoffRefused, match="taken"):
        handoff.check_operator(hid, "daulet", "reply")
    handoff.check_operator(hid, "aigerim", "reply")
    with pytest.raises(handoff.HandoffRefused, match="taken"):
        handoff.close(hid, "daulet")
    assert handoff.close(hid, "aigerim")["status"] == "resolved"
    assert handoff.waiting() == []
    with pytest.raises(handoff.HandoffRefused, match="resolved"):
        handoff.claim(hid, "aigerim")
    with pytest.raises(handoff.HandoffRefused, match="not_found"):
        handoff.claim(hid + 100, "aigerim")
    with new_session() as session:
        steps = session.execute(select(StaffAction.staff, StaffAction.action).order_by(StaffAction.id)).all()
    assert [tuple(s) for s in steps] == [("aigerim", "claim"), ("aigerim", "claim"), ("aigerim", "reply"),
                                         ("aigerim", "close")]


def test_a_reply_needs_the_handoff_claimed_first(database):
    with pytest.raises(handoff.HandoffRefused, match="not_claimed"):
        handoff.check_operator(_new(), "aigerim", "reply")


def test_no_operator_message_is_due_once_after_the_wait(database):
    hid, taken = _new("a"), _new("b")
    handoff.claim(taken, "aigerim")
    assert handoff.left_waiting(60) == []  # too early
    with new_session() as session, session.begin():
        session.execute(update(Handoff).values(created_at=utcnow().replace(year=2020)))
    assert [h["id"] for h in handoff.left_waiting(60)] == [hid]  # a taken one is nobody's worry
    assert handoff.mark_no_operator_told(hid) is True
    assert handoff.mark_no_operator_told(hid) is False  # the other server lost the race
    assert handoff.left_waiting(60) == []


def test_a_hung_up_call_leaves_the_queue(database):
    hid = _new("voice:c1")
    assert handoff.close_conversation("voice:c1", "ivr") == [hid]
    assert handoff.get(hid)["status"] == "resolved" and handoff.waiting() == []
