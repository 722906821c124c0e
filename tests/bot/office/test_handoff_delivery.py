"""Hand-off delivery to the contact centre: signed, retried, recorded, never blocking."""

import json
import time

import pytest
from sqlalchemy import select

from actions.handoff import ActionHandoff
from bot.office import handoff_delivery
from bot.office.db import new_session
from bot.office.models import Handoff
from tests.channels.standin import start_standin
from tests.conftest import make_tracker

SECRET = "contact-centre-secret"


@pytest.fixture
def centre(monkeypatch):
    service = start_standin()
    monkeypatch.setenv("DANA_HANDOFF_WEBHOOK_URL", f"{service.url}/handoff")
    monkeypatch.setenv("DANA_HANDOFF_WEBHOOK_SECRET", SECRET)
    yield service
    service.close()


async def _handoff_and_wait(dispatcher, domain_dict, text="соедините с оператором"):
    tracker = make_tracker(intent="request_human", text=text, slots={"login": "0851234568"})
    started = time.perf_counter()
    await ActionHandoff().run(dispatcher, tracker, domain_dict)
    answered_in = time.perf_counter() - started
    for task in list(handoff_delivery._background):
        await task
    return answered_in


async def test_delivery_is_signed_and_recorded(database, centre, dispatcher, domain_dict):
    await _handoff_and_wait(dispatcher, domain_dict)
    [call] = centre.calls_to("handoff")
    body = json.loads(call.body)
    assert call.headers["x-dana-signature"] == handoff_delivery.signature(call.body, SECRET)
    assert call.headers["x-dana-delivery"] == f"handoff-{body['handoff_id']}"
    assert (body["language"], body["login"], body["reason"]) == ("ru", "0851234568", "requested")
    with new_session(database) as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    assert row.delivered_at is not None and row.delivery_attempts == 1


async def test_a_failing_contact_centre_is_retried_and_never_delays_the_customer(
    database, centre, dispatcher, domain_dict, monkeypatch
):
    monkeypatch.setattr(handoff_delivery, "RETRY_DELAYS", (0.3, 0.3))
    centre.respond_next("/handoff", 503, {"error": "busy"})
    answered_in = await _handoff_and_wait(dispatcher, domain_dict)
    assert answered_in < 0.3  # the reply did not wait for the webhook
    assert dispatcher.messages[0]["response"] == "utter_handoff"
    calls = centre.calls_to("handoff")
    assert len(calls) == 2 and calls[0].body == calls[1].body
    with new_session(database) as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    assert row.delivered_at is not None and row.delivery_attempts == 2


async def test_a_refused_delivery_stays_pending_for_the_cli(database, centre, dispatcher, domain_dict):
    centre.respond_next("/handoff", 400, {"error": "bad"})
    await _handoff_and_wait(dispatcher, domain_dict)
    assert len(centre.calls_to("handoff")) == 1  # a 4xx is not retried
    with new_session(database) as session:
        [row] = session.execute(select(Handoff)).scalars().all()
    assert row.delivered_at is None
    assert await handoff_delivery.deliver_pending(delays=()) == [row.id]
    with new_session(database) as session:
        assert session.get(Handoff, row.id).delivered_at is not None


def test_init_adds_the_new_columns_to_an_older_database(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    from bot.office.db import get_engine, init_db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    with create_engine(url).begin() as connection:  # hand-offs as an earlier release made them
        connection.execute(
            text(
                "CREATE TABLE handoffs (id INTEGER PRIMARY KEY, conversation_id VARCHAR(128) "
                "NOT NULL, language VARCHAR(2) NOT NULL, intent VARCHAR(64), reason VARCHAR(32) "
                "NOT NULL, summary TEXT NOT NULL, status VARCHAR(16) NOT NULL, created_at DATETIME)"
            )
        )
        connection.execute(text("INSERT INTO handoffs VALUES (1, 'c', 'kk', NULL, 'requested', '', 'open', NULL)"))
    init_db(url)
    init_db(url)  # idempotent
    columns = {c["name"] for c in inspect(get_engine(url)).get_columns("handoffs")}
    assert {"channel", "context", "delivered_at", "delivery_attempts"} <= columns
    with get_engine(url).connect() as connection:
        assert connection.execute(text("SELECT delivery_attempts FROM handoffs")).scalar() == 0
    get_engine.cache_clear()
