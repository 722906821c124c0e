"""Outages: declared, cleared, and suspected from a burst of «no internet» reports (bot/office/outages.py)."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import ASTANA, LIMITS
from bot.office import handoff_delivery, notices, outages
from bot.office.cli import main
from bot.office.db import new_session
from bot.office.models import (
    ConnectionReport,
    Notification,
    StaffAction,
    Subscriber,
    SuspectedOutage,
    utcnow,
)
from bot.server.nlg import text_outside_a_turn
from tests.channels.standin import start_standin

AREA = "Алматы, Алмалы ауданы"
QUIET = "Шымкент, Әл-Фараби ауданы"
LOGINS = [f"08600000{n:02d}" for n in range(1, 9)]
SECRET = "contact-centre-secret"


@pytest.fixture
def office(database):
    """Eight subscribers in AREA, one in QUIET."""
    with new_session(database) as session, session.begin():
        for login in LOGINS:
            session.add(Subscriber(login=login, full_name="Абонент", area=AREA))
        session.add(Subscriber(login="0869999999", full_name="Абонент", area=QUIET))
    return database


@pytest.fixture
def centre(monkeypatch):
    service = start_standin()
    monkeypatch.setenv("DANA_HANDOFF_WEBHOOK_URL", f"{service.url}/handoff")
    monkeypatch.setenv("DANA_HANDOFF_WEBHOOK_SECRET", SECRET)
    yield service
    service.close()


def report(n, at, area=AREA, channel="telegram", language="kk"):
    """Subscriber LOGINS[n] says «интернет жоқ» in conversation <channel>:<n> at ``at``."""
    return outages.report_no_connection(
        login=LOGINS[n], area=area, conversation_id=f"{channel}:{n}", channel=channel, language=language, now=at
    )


def burst(start, count=5, step=timedelta(minutes=2), first=0, **kwargs):
    """``count`` different logins reporting ``step`` apart; what each report raised."""
    return [report(first + i, start + i * step, **kwargs) for i in range(count)]


def suspicions():
    with new_session() as session:
        return [(s.area, s.status, s.reports) for s in session.execute(select(SuspectedOutage)).scalars()]


def audited():
    with new_session() as session:
        return [(a.action, a.target.split(":")[0]) for a in session.execute(select(StaffAction)).scalars()]


def test_the_limits_are_the_configured_ones():
    assert (LIMITS.suspected_outage_reports, LIMITS.suspected_outage_minutes) == (5, 10)


async def test_five_logins_within_ten_minutes_raise_one_suspicion_and_one_webhook(office, centre):
    start = utcnow() - timedelta(minutes=9)
    for i in range(7):  # two more after the fifth: the suspicion is open, nothing new is raised
        outages.report_in_background(
            login=LOGINS[i],
            area=AREA,
            conversation_id=f"telegram:{i}",
            channel="telegram",
            language="kk",
            now=start + timedelta(minutes=i * 1.5),
        )
        for task in list(outages._background):
            await task
    assert suspicions() == [(AREA, "open", 5)]
    [call] = centre.calls_to("handoff")
    body = json.loads(call.body)
    assert call.headers["x-dana-signature"] == handoff_delivery.signature(call.body, SECRET)
    assert call.headers["x-dana-delivery"] == f"suspected-outage-{body['suspected_id']}"
    assert (body["event"], body["area"], body["reports"]) == ("suspected_outage", AREA, 5)
    assert datetime.fromisoformat(body["first_report_at"]) == start
    assert datetime.fromisoformat(body["last_report_at"]) == start + timedelta(minutes=6)
    assert not any(login in call.body.decode() for login in LOGINS)  # no personal data
    assert "telegram:" not in call.body.decode()
    [listed] = outages.suspected()
    assert listed["id"] == body["suspected_id"] and listed["area"] == AREA
    assert listed["reports"] == 7 and listed["logins"] == LOGINS[:7]  # everyone who reported since, for staff


def test_four_logins_do_not_nor_one_login_five_times(office):
    start = utcnow() - timedelta(minutes=5)
    assert burst(start, count=4, step=timedelta(seconds=30)) == [None] * 4
    assert [report(0, start + timedelta(minutes=3)) for _ in range(3)] == [None] * 3
    assert report(0, start + timedelta(minutes=4), area=QUIET) is None  # another area's report counts there
    assert suspicions() == [] and outages.suspected() == []


def test_reports_spread_over_more_than_ten_minutes_do_not(office):
    assert burst(utcnow() - timedelta(minutes=30), count=6, step=timedelta(minutes=3)) == [None] * 6
    assert suspicions() == []


def test_reports_in_an_area_with_a_declared_outage_are_not_even_recorded(office):
    outages.declare(AREA, utcnow() + timedelta(hours=3), "cli:test")
    assert burst(utcnow() + timedelta(seconds=1), count=6, step=timedelta(seconds=5)) == [None] * 6
    with new_session() as session:
        assert session.execute(select(ConnectionReport)).first() is None
    assert suspicions() == []


def test_two_servers_reporting_at_once_raise_it_once(office):
    now = utcnow()
    with ThreadPoolExecutor(max_workers=len(LOGINS)) as pool:
        raised = list(pool.map(lambda n: report(n, now), range(len(LOGINS))))
    assert len([r for r in raised if r]) == 1
    assert [s[:2] for s in suspicions()] == [(AREA, "open")]
    with new_session() as session:  # every report kept
        assert len(session.execute(select(ConnectionReport)).all()) == len(LOGINS)


def test_the_database_allows_one_open_suspicion_per_area(office):
    now = utcnow()
    with new_session() as session, session.begin():
        session.add(SuspectedOutage(area=AREA, status="dismissed", reports=5, first_report_at=now))
        session.add(SuspectedOutage(area=AREA, status="open", reports=5, first_report_at=now))
        session.add(SuspectedOutage(area=QUIET, status="open", reports=5, first_report_at=now))
    with pytest.raises(IntegrityError), new_session() as session, session.begin():
        session.add(SuspectedOutage(area=AREA, status="open", reports=6, first_report_at=now))


def test_confirm_declares_the_outage_and_tells_the_reporters_in_their_language(office):
    start = utcnow() - timedelta(minutes=8)
    said_in = {0: "kk", 1: "ru", 2: "kk", 3: "ru"}
    for n, language in said_in.items():
        report(n, start + timedelta(minutes=n), language=language)
    report(0, start + timedelta(minutes=4))  # the same conversation again: told once
    raised = report(4, start + timedelta(minutes=5), channel="voice", language="ru")  # a call: not reachable later
    assert raised and raised["reports"] == 5
    until = datetime(2099, 11, 18, 18, 0, tzinfo=ASTANA)

    made = outages.confirm(raised["id"], "supervisor", until, note="магистраль")

    assert (made["area"], made["suspected_id"], made["told"]) == (AREA, raised["id"], 4)
    assert datetime.fromisoformat(made["expected_end"]) == until
    with new_session() as session:
        row = session.get(SuspectedOutage, raised["id"])
        assert (row.status, row.decided_by, row.outage_id) == ("confirmed", "supervisor", made["id"])
        told = session.execute(select(Notification).order_by(Notification.conversation_id)).scalars().all()
    assert [n.conversation_id for n in told] == [f"telegram:{n}" for n in said_in]
    for notification in told:
        slots = json.loads(notification.slots)
        assert notification.response == "utter_notify_outage_found"
        assert notification.change == f"outage:{made['id']}:found"
        assert slots["outage_area"] == "Алматы"  # the city only: a login must not reveal an address
        assert datetime.fromisoformat(slots["outage_eta"]) == until
        language = said_in[int(notification.conversation_id.split(":")[1])]
        text = text_outside_a_turn(notification.response, language, values=slots)
        assert "(Алматы)" in text and "Алмалы" not in text
        if language == "kk":
            assert "жаппай ақау анықталды" in text and "18.11 18:00-ге дейін" in text, text
        else:
            assert "массовая авария" in text and "до 18.11 18:00" in text, text
    assert outages.suspected() == []
    [listed] = outages.active()
    assert (listed["id"], listed["told"], listed["note"], listed["overdue"]) == (made["id"], 4, "магистраль", False)
    affected = outages.affected(made["id"])
    assert sorted((a["conversation_id"], a["channel"], a["login"]) for a in affected) == [
        (f"telegram:{n}", "telegram", LOGINS[n]) for n in said_in
    ]
    assert ("outage_declared", "outage") in audited() and ("suspected_confirmed", "suspected") in audited()
    with pytest.raises(outages.OutageRefused) as refused:
        outages.confirm(raised["id"], "supervisor", until)
    assert refused.value.reason == "confirmed"
    with pytest.raises(outages.OutageRefused) as refused:
        outages.dismiss(raised["id"], "supervisor")
    assert refused.value.reason == "confirmed"


def test_clear_tells_everyone_told_that_it_is_over_and_drops_an_unsent_found(office):
    raised = burst(utcnow() - timedelta(minutes=9))[-1]
    made = outages.confirm(raised["id"], "supervisor", None)  # no ETA: the other wording
    notices.told_about_outage(made["id"], "widget:later", "socketio", "0851234567")  # told in a conversation
    with new_session() as session:
        found = session.execute(select(Notification.response)).scalars().all()
    assert found == ["utter_notify_outage_found_no_eta"] * 5

    assert outages.clear(made["id"], "supervisor") == 6
    assert outages.clear(made["id"], "supervisor") == 0  # cleared already: nobody hears it twice
    with new_session() as session:
        said = session.execute(select(Notification.conversation_id, Notification.response)).all()
    # «we found it» had not gone out yet (a night's wait): «it is over» alone says it
    assert sorted(said) == sorted(
        [(f"telegram:{n}", "utter_notify_outage_restored") for n in range(5)]
        + [("widget:later", "utter_notify_outage_restored")]
    )
    assert outages.active() == []
    assert ("outage_cleared", "outage") in audited()
    with pytest.raises(outages.OutageRefused) as refused:
        outages.clear(999999, "supervisor")
    assert refused.value.reason == "not_found"


def test_dismiss_closes_it_and_only_a_whole_new_burst_raises_another(office):
    start = utcnow() - timedelta(minutes=8)
    raised = burst(start, step=timedelta(minutes=1))[-1]
    dismissed = outages.dismiss(raised["id"], "supervisor", now=start + timedelta(minutes=5))
    assert (dismissed["status"], dismissed["decided_by"]) == ("dismissed", "supervisor")
    assert outages.suspected() == []
    # After the dismissal: four more logins, old reports still in the window do not count
    again = [report(n, start + timedelta(minutes=5, seconds=10 * (n + 1))) for n in range(4)]
    assert again == [None] * 4 and [s[1] for s in suspicions()] == ["dismissed"]
    # the fifth login after the dismissal makes a new burst
    assert report(7, start + timedelta(minutes=6))["reports"] == 5
    assert [s[1] for s in suspicions()] == ["dismissed", "open"]
    assert ("suspected_dismissed", "suspected") in audited()
    with pytest.raises(outages.OutageRefused) as refused:
        outages.dismiss(raised["id"], "supervisor")
    assert refused.value.reason == "dismissed"
    with pytest.raises(outages.OutageRefused) as refused:
        outages.confirm(424242, "supervisor", None)
    assert refused.value.reason == "not_found"


def test_declaring_the_outage_by_hand_confirms_the_open_suspicion(office):
    raised = burst(utcnow() - timedelta(minutes=9))[-1]
    made = outages.declare(AREA, utcnow() + timedelta(hours=2), "cli:test")
    assert made["told"] == 5 and outages.suspected() == []
    with new_session() as session:
        assert session.get(SuspectedOutage, raised["id"]).outage_id == made["id"]


def test_declare_refuses_a_mistyped_area_with_the_nearest_names_and_an_end_in_the_past(office):
    assert outages.areas() == sorted([AREA, QUIET])
    with pytest.raises(outages.OutageRefused) as refused:
        outages.declare("Алматы, Алмалы аудан", utcnow() + timedelta(hours=1), "cli:test")
    assert (refused.value.reason, refused.value.suggestions[0]) == ("unknown_area", AREA)  # the nearest first
    with pytest.raises(outages.OutageRefused) as refused:
        outages.declare("Павлодар", utcnow() + timedelta(hours=1), "cli:test")
    assert (refused.value.reason, refused.value.suggestions) == ("unknown_area", [])
    with pytest.raises(outages.OutageRefused) as refused:
        outages.declare(AREA, utcnow() - timedelta(minutes=1), "cli:test")
    assert refused.value.reason == "ends_in_the_past"
    assert outages.active() == [] and audited() == []


def test_times_as_staff_type_them():
    now = datetime(2026, 11, 18, 12, 0, tzinfo=ASTANA)
    assert outages.parse_until("+2d", now) == now + timedelta(days=2)
    assert outages.parse_until(" +6h", now) == now + timedelta(hours=6)
    assert outages.parse_until("+90m", now) == now + timedelta(minutes=90)
    assert outages.parse_since("+7d", now) == now - timedelta(days=7)
    assert outages.parse_until("2026-11-25T18:00", now) == datetime(2026, 11, 25, 18, 0, tzinfo=ASTANA)
    assert outages.parse_until("2026-11-25T18:00+00:00", now).utcoffset() == timedelta(0)
    for wrong in ("", "tomorrow", "+2w", "2d"):
        with pytest.raises(ValueError):
            outages.parse_until(wrong, now)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cli_lists_confirms_and_dismisses_suspicions(office, capsys):
    first = burst(utcnow() - timedelta(minutes=9))[-1]
    burst(utcnow() - timedelta(minutes=9), area=QUIET, count=1)  # no suspicion there
    code, out, _ = run(capsys, "suspected")
    assert code == 0 and AREA in out and LOGINS[0] in out
    assert ("view", "suspected") in audited()  # the logins were shown
    [listed] = json.loads(run(capsys, "suspected", "--json")[1])
    assert listed["id"] == first["id"] and listed["logins"] == LOGINS[:5]

    code, out, _ = run(capsys, "suspected", "confirm", str(first["id"]), "--until", "+4h")
    assert code == 0 and "5 customer(s) who reported it will be told" in out
    assert run(capsys, "suspected")[1].strip() == "(none)"
    assert (
        run(capsys, "suspected", "confirm", str(first["id"]), "--until", "+4h")[2]
        .strip()
        .endswith("was confirmed already")
    )
    outage_id = outages.active()[0]["id"]
    code, out, _ = run(capsys, "outage-affected", str(outage_id))
    assert code == 0 and all(login in out for login in LOGINS[:5])
    assert run(capsys, "outage-affected", "999999")[0] == 1
    assert run(capsys, "suspected", "dismiss", "999999")[0] == 1

    run(capsys, "clear-outage", str(outage_id))
    second = burst(utcnow() + timedelta(seconds=1), step=timedelta(seconds=5), first=3)[-1]  # after the clearing
    assert second and run(capsys, "suspected", "dismiss", str(second["id"]))[0] == 0
    assert run(capsys, "suspected", "--json")[1].strip() == "[]"


def test_the_cli_refuses_an_outage_that_has_ended_already(office, capsys):
    code, _, err = run(capsys, "outage", AREA, "--until", "2020-01-01T00:00")
    assert code == 2 and "in the past" in err
    code, _, err = run(capsys, "outage", "Алматы", "--until", "+2h")
    assert code == 2 and "no subscriber in area 'Алматы'" in err
