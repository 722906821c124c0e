import json

from bot.office.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_outage_declared_and_cleared_changes_diagnosis(seeded, capsys):
    from bot.office.db import new_session
    from bot.office.diagnostics import diagnose
    from bot.office.models import utcnow

    assert run(capsys, "outage", "Алматы, Бостандық ауданы", "--until", "+3h")[0] == 0
    with new_session(seeded) as s:
        assert diagnose(s, "0851234567", utcnow()).kind == "outage"
    outages = json.loads(run(capsys, "list", "outages", "--json")[1])
    new_id = max(o["id"] for o in outages)
    run(capsys, "clear-outage", str(new_id))
    with new_session(seeded) as s:
        assert diagnose(s, "0851234567", utcnow()).kind == "no_fault"


def test_tickets_listed_as_json_and_updated(seeded, capsys):
    tickets = json.loads(run(capsys, "list", "tickets", "--json")[1])
    assert tickets[0]["login"] == "0851234570" and tickets[0]["status"] == "open"
    assert run(capsys, "set-status", "tickets", str(tickets[0]["id"]), "resolved")[0] == 0
    assert json.loads(run(capsys, "list", "tickets", "--status", "open", "--json")[1]) == []
    assert run(capsys, "set-status", "tickets", str(tickets[0]["id"]), "nonsense")[0] == 2


def test_subscriber_added_imported_and_line_set(seeded, capsys, tmp_path):
    run(capsys, "add-subscriber", "0899999999", "--name", "Тест Тестов", "--area", "Алматы")
    csv_file = tmp_path / "subs.csv"
    csv_file.write_text("login,full_name,area,fee_paid\n0888888888,Бек Бекұлы,Астана,false\n", encoding="utf-8")
    assert "1 subscribers imported" in run(capsys, "import-subscribers", str(csv_file))[1]
    run(capsys, "line", "0899999999", "cable_cut")
    subs = {s["login"]: s for s in json.loads(run(capsys, "list", "subscribers", "--json")[1])}
    assert subs["0899999999"]["line_status"] == "cable_cut" and subs["0888888888"]["fee_paid"] is False


def test_an_outage_for_two_days_lasts_two_days_and_a_mistyped_area_is_refused(seeded, capsys):
    from datetime import datetime, timedelta

    from bot.config import ASTANA

    assert main(["outage", "Алматы, Бостандык ауданы", "--until", "+2d"]) == 2  # и for і
    assert "did you mean: Алматы, Бостандық ауданы" in capsys.readouterr().err
    assert run(capsys, "outage", "Алматы, Бостандық ауданы", "--until", "+2d")[0] == 0
    [outage] = json.loads(run(capsys, "list", "outages", "--limit", "1", "--json")[1])
    ends = datetime.fromisoformat(outage["expected_end"])
    assert abs(ends - (datetime.now(ASTANA) + timedelta(days=2))) < timedelta(minutes=2)


def test_lists_are_tables_with_since_and_limit_and_one_row_is_shown_whole(seeded, capsys):
    table = run(capsys, "list", "subscribers")[1].splitlines()
    assert table[0].split()[:2] == ["login", "full_name"] and set(table[1]) <= {"-", " "}
    assert len(run(capsys, "list", "subscribers", "--limit", "2")[1].splitlines()) == 4  # header, rule, 2 rows
    assert json.loads(run(capsys, "list", "tickets", "--since", "+1d", "--json")[1])  # the seeded open ticket
    assert json.loads(run(capsys, "list", "tickets", "--since", "2999-01-01", "--json")[1]) == []
    [ticket] = json.loads(run(capsys, "list", "tickets", "--json")[1])
    shown = run(capsys, "show", "tickets", str(ticket["id"]))[1]
    assert "login" in shown and "0851234570" in shown and "resolve_due" in shown
    assert "Асанов Асан Асанұлы" in run(capsys, "show", "subscribers", "0851234567")[1]
    assert run(capsys, "show", "tickets", "999999")[0] == 1
