"""Admin CLI for support staff: ``python -m bot <command>`` (README «Operations»)."""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import sys
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from tabulate import tabulate

from bot.config import ASTANA, LIMITS, settings
from bot.office import handoff, models, notices, outages, staff
from bot.office.db import init_db, new_session

# table name → model (the requests' statuses: notices.REQUEST_STATUSES)
LISTINGS = {
    **{kind: model for kind, (model, _) in notices.REQUEST_STATUSES.items()},
    "handoffs": models.Handoff,  # claimed and closed through the operator API (the conversation resumes)
    "outages": models.Outage,
    "subscribers": models.Subscriber,
    "consents": models.Consent,
    "ratings": models.CsatAnswer,  # answers to the rating question (python -m bot stats sums them up)
}


def _mask_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _as_dict(row: Any) -> dict:
    out = {}
    for column in row.__table__.columns:
        value = getattr(row, column.name)
        if isinstance(value, datetime):
            value = value.astimezone(ASTANA).isoformat(timespec="minutes")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[column.name] = value
    return out


TABLE_CELL = 40  # characters of a cell in a table; `show` prints a row whole


def _print(rows: list[dict], as_json: bool) -> None:
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return
    if not rows:
        print("(none)")
        return
    # Columns no row fills are left out: a list stays readable in a terminal.
    columns = [key for key in rows[0] if any(row.get(key) not in (None, "") for row in rows)]
    cells = [[_cell(row.get(key)) for key in columns] for row in rows]
    print(tabulate(cells, headers=columns, tablefmt="simple"))


def _cell(value: Any) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= TABLE_CELL else text[: TABLE_CELL - 1] + "…"


def _when(text: str) -> datetime:
    """--until: ISO time (Astana unless it says otherwise), or +2d / +4h / +90m from now."""
    try:
        return outages.parse_until(text, datetime.now(ASTANA))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _ago(text: str) -> datetime:
    """--since: ISO time (Astana unless it says otherwise), or +7d / +12h / +30m back from now."""
    try:
        return outages.parse_since(text, datetime.now(ASTANA))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def cmd_init(args) -> int:
    init_db()
    print(f"database ready: {_mask_url(settings().database_url)}")
    if args.seed:
        from bot.office.seed import seed

        with new_session() as session, session.begin():
            seed(session)
        print("demo data present (README «Demo logins»)")
    return 0


def cmd_list(args) -> int:
    model = LISTINGS[args.table]
    query = select(model)
    if args.status and hasattr(model, "status"):
        query = query.where(model.status == args.status)
    if args.login and hasattr(model, "login"):
        query = query.where(model.login == args.login)
    created = getattr(model, "created_at", None)
    if args.since and created is not None:
        query = query.where(created >= args.since)
    if args.limit:  # the newest N, shown oldest first
        order = created.desc() if created is not None else list(model.__table__.primary_key)[0].desc()
        query = query.order_by(order).limit(args.limit)
    with new_session() as session:
        rows = [_as_dict(r) for r in session.execute(query).scalars().all()]
    _print(rows[::-1] if args.limit else rows, args.json)
    return 0


def cmd_show(args) -> int:
    model = LISTINGS[args.table]
    key = list(model.__table__.primary_key)[0]
    with new_session() as session:
        row = session.get(model, int(args.id) if key.type.python_type is int and args.id.isdigit() else args.id)
        shown = _as_dict(row) if row is not None else None
    if shown is None:
        print(f"no {args.table} {args.id}", file=sys.stderr)
        return 1
    handoff.audit(f"cli:{getpass.getuser()}", "view", f"{args.table}:{args.id}")  # personal data shown
    if args.json:
        _print([shown], True)
    else:
        width = max(len(key) for key in shown)
        for key, value in shown.items():
            print(f"{key:<{width}}  {'' if value is None else value}")
    return 0


def cmd_set_status(args) -> int:
    try:
        told = notices.set_request_status(args.table, args.id, args.status, f"cli:{getpass.getuser()}")
    except notices.StatusRefused as refused:
        if refused.reason == "not_found":
            print(f"no {args.table} #{args.id}", file=sys.stderr)
            return 1
        print(f"status must be one of {', '.join(notices.REQUEST_STATUSES[args.table][1])}", file=sys.stderr)
        return 2
    print(f"{args.table} #{args.id}: {args.status}" + ("; the customer will be told" if told else ""))
    return 0


def cmd_add_subscriber(args) -> int:
    with new_session() as session, session.begin():
        session.merge(
            models.Subscriber(
                login=args.login,
                full_name=args.name,
                contact_phone=args.phone,
                area=args.area,
                address=args.address,
                fee_paid=not args.unpaid,
                line_status=args.line,
            )
        )
    print(f"subscriber {args.login} saved")
    return 0


def cmd_import_subscribers(args) -> int:
    """CSV with columns login,full_name,contact_phone,area,address,fee_paid,line_status."""
    count = 0
    with open(args.file, newline="", encoding="utf-8") as handle, new_session() as session, session.begin():
        for record in csv.DictReader(handle):
            session.merge(
                models.Subscriber(
                    login=record["login"],
                    full_name=record["full_name"],
                    contact_phone=record.get("contact_phone"),
                    area=record["area"],
                    address=record.get("address"),
                    fee_paid=record.get("fee_paid", "true").lower() in ("1", "true", "yes"),
                    line_status=record.get("line_status") or "ok",
                )
            )
            count += 1
    print(f"{count} subscribers imported")
    return 0


def cmd_line(args) -> int:
    with new_session() as session, session.begin():
        subscriber = session.get(models.Subscriber, args.login)
        if subscriber is None:
            print(f"no subscriber {args.login}", file=sys.stderr)
            return 1
        subscriber.line_status = args.status
    print(f"{args.login}: line {args.status}")
    return 0


def _outage_refused(refused: outages.OutageRefused, area: str = "", suspected_id: int = 0) -> int:
    """The refusal said as the CLI says it; the exit code."""
    if refused.reason == "unknown_area":
        # An outage applies to the subscribers of its area: a mistyped one applies to nobody.
        close = refused.suggestions
        hint = f"; did you mean: {', '.join(close)}" if close else f"; known areas: {', '.join(outages.areas())}"
        print(f"no subscriber in area {area!r}{hint}", file=sys.stderr)
    elif refused.reason == "ends_in_the_past":
        print("--until is in the past", file=sys.stderr)
    elif refused.reason == "not_found":
        print(f"no suspected outage #{suspected_id}", file=sys.stderr)
        return 1
    else:  # confirmed | dismissed
        print(f"suspected outage #{suspected_id} was {refused.reason} already", file=sys.stderr)
    return 2


def _astana(value: str | None) -> str | None:
    """An ISO time from the outages service, in Astana time as the listings show it."""
    return datetime.fromisoformat(value).astimezone(ASTANA).isoformat(timespec="minutes") if value else value


def cmd_outage(args) -> int:
    try:
        made = outages.declare(args.area, args.until, f"cli:{getpass.getuser()}", args.note or "")
    except outages.OutageRefused as refused:
        return _outage_refused(refused, area=args.area)
    print(f"outage #{made['id']} declared for {args.area}")
    if made["told"]:
        print(f"the open suspected outage there is confirmed; {made['told']} customer(s) who reported it will be told")
    return 0


def cmd_clear_outage(args) -> int:
    try:
        told = outages.clear(args.id, f"cli:{getpass.getuser()}")
    except outages.OutageRefused:
        print(f"no outage #{args.id}", file=sys.stderr)
        return 1
    print(f"outage #{args.id} cleared; {told} customer(s) told about it will hear it is over")
    return 0


def cmd_outage_affected(args) -> int:
    try:
        rows = outages.affected(args.id)
    except outages.OutageRefused:
        print(f"no outage #{args.id}", file=sys.stderr)
        return 1
    handoff.audit(f"cli:{getpass.getuser()}", "view", f"outage:{args.id}:affected")  # logins shown
    _print([{**row, "told_at": _astana(row["told_at"])} for row in rows], args.json)
    return 0


def cmd_suspected(args) -> int:
    by = f"cli:{getpass.getuser()}"
    if args.suspected_command == "confirm":
        try:
            made = outages.confirm(args.id, by, args.until, args.note or "")
        except outages.OutageRefused as refused:
            return _outage_refused(refused, suspected_id=args.id)
        print(
            f"suspected outage #{args.id} confirmed: outage #{made['id']} declared for {made['area']}; "
            f"{made['told']} customer(s) who reported it will be told"
        )
        return 0
    if args.suspected_command == "dismiss":
        try:
            outages.dismiss(args.id, by)
        except outages.OutageRefused as refused:
            return _outage_refused(refused, suspected_id=args.id)
        print(f"suspected outage #{args.id} dismissed")
        return 0
    rows = outages.suspected()
    if rows:
        handoff.audit(by, "view", "suspected:open")  # the reporters' logins shown
    times = ("first_report_at", "last_report_at", "raised_at")
    shown = [{**row, **{key: _astana(row[key]) for key in times}} for row in rows]
    if not args.json:
        shown = [{**row, "logins": ", ".join(row["logins"])} for row in shown]
    _print(shown, args.json)
    return 0


def cmd_deliver_handoffs(args) -> int:
    """Send the contact centre every hand-off it has not acknowledged yet."""
    import asyncio

    from bot.office.handoff_delivery import deliver_pending, webhook_url

    if not webhook_url():
        print("DANA_HANDOFF_WEBHOOK_URL is not set", file=sys.stderr)
        return 1
    delivered = asyncio.run(deliver_pending())
    print(f"delivered {len(delivered)} hand-off(s)" + (f": {', '.join(map(str, delivered))}" if delivered else ""))
    return 0


def _counts(done) -> str:
    return ", ".join(f"{kind}: {n}" for kind, n in done.items()) or "nothing"


def cmd_purge(args) -> int:
    from bot.office.privacy import purge, remove_files

    days = args.older_than_days if args.older_than_days is not None else settings().retention_days
    if days < 0:
        print("--older-than-days must be 0 or more", file=sys.stderr)
        return 2
    cutoff = datetime.now(ASTANA) - timedelta(days=days)
    with new_session() as session:
        done = purge(session, cutoff)
        if args.dry_run:
            session.rollback()
            session.info.pop("files_to_remove", None)
            print(f"would remove data older than {days} days: {_counts(done)}")
        else:
            session.commit()
            remove_files(session)
            print(f"removed data older than {days} days: {_counts(done)}")
    return 0


def cmd_export_subscriber(args) -> int:
    from bot.office.privacy import export_subscriber, mask_login

    with new_session() as session:
        data = export_subscriber(session, args.login)
    if data is None:
        print(f"no subscriber with login {mask_login(args.login)}", file=sys.stderr)
        return 1
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        print(f"written to {args.out}")
    else:
        print(text)
    return 0


def _erase(login: str, *, dry_run: bool):
    from bot.office.privacy import erase_subscriber, remove_files

    with new_session() as session:  # one transaction: all of it or nothing
        done = erase_subscriber(session, login)
        if dry_run or done is None:
            session.rollback()
            session.info.pop("files_to_remove", None)
            return done
        session.commit()
        remove_files(session)
    return done


def cmd_erase_subscriber(args) -> int:
    from bot.office.privacy import mask_login

    who = mask_login(args.login)
    if not args.yes and not sys.stdin.isatty():
        print("refusing to erase without --yes (stdin is not a terminal)", file=sys.stderr)
        return 2
    # Without --yes: counted first in a transaction that is rolled back, so
    # nothing is held open while the operator reads, then confirmed.
    for dry_run in (True, False) if not args.yes else (False,):
        done = _erase(args.login, dry_run=dry_run)
        if done is None:
            print(f"no subscriber with login {who}", file=sys.stderr)
            return 1
        if dry_run:
            print(f"would erase for {who}: {_counts(done)}")
            if input("Type the login to confirm: ").strip() != args.login:
                print("cancelled, nothing changed")
                return 1
    print(f"erased for {who}: {_counts(done)}")
    return 0


def cmd_export_misses(args) -> int:
    from bot.office.nlu_misses import find_misses, to_yaml

    if args.limit is not None and args.limit < 1:
        print("--limit must be 1 or more", file=sys.stderr)
        return 2
    since = args.since or datetime.now(ASTANA) - timedelta(days=7)
    report = find_misses(since, limit=args.limit)
    text = to_yaml(report, args.out or "FILE")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    where = f" to {args.out}" if args.out else ""
    print(f"exported {report.messages} missed message(s) as {len(report.misses)} example(s){where}", file=sys.stderr)
    return 0


def _day(text: str):
    """--since / --until: a day, YYYY-MM-DD (Astana)."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day YYYY-MM-DD: {text!r}") from None


def cmd_stats(args) -> int:
    from bot.office.stats import DIMENSIONS, as_table, report

    if args.since and args.until and args.since > args.until:
        print("--since is after --until", file=sys.stderr)
        return 2
    figures = report(args.since, args.until, by=args.by or DIMENSIONS)
    if args.json:
        json.dump(figures, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(as_table(figures))
    return 0


def _staff_refused(refused: staff.StaffRefused, name: str) -> int:
    print(
        {
            "exists": f"a staff account {name!r} already exists",
            "bad_role": f"the role must be one of {', '.join(staff.ROLES)}",
            "bad_username": "a username is 1–64 letters, digits or ._@+- (no spaces)",
            "short_password": f"the password must have at least {LIMITS.staff_password_min_chars} characters",
            "not_found": f"no staff account {name!r}",
        }.get(refused.reason, refused.reason),
        file=sys.stderr,
    )
    return 1 if refused.reason == "not_found" else 2


def _new_password(args) -> str | None:
    """--password-stdin: the first line of stdin; else asked twice (not echoed)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"New password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        print("the two passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


def _by() -> str:
    return f"cli:{getpass.getuser()}"


def cmd_staff_add(args) -> int:
    password = _new_password(args)
    if password is None:
        return 2
    try:
        staff.create_user(args.name, args.role, password, by=_by())
    except staff.StaffRefused as refused:
        return _staff_refused(refused, args.name)
    print(f"staff account {args.name} ({args.role}) created")
    return 0


def cmd_staff_list(args) -> int:
    rows = staff.users()
    for row in rows:  # Astana time, as the other listings
        for key in ("locked_until", "created_at"):
            if row[key]:
                row[key] = datetime.fromisoformat(row[key]).astimezone(ASTANA).isoformat(timespec="minutes")
    _print(rows, args.json)
    return 0


def cmd_staff_passwd(args) -> int:
    password = _new_password(args)
    if password is None:
        return 2
    try:
        staff.set_password(args.name, password, by=_by())
    except staff.StaffRefused as refused:
        return _staff_refused(refused, args.name)
    print(f"password of {args.name} changed; their console sessions have ended")
    return 0


def cmd_staff_unlock(args) -> int:
    try:
        staff.unlock(args.name, by=_by())
    except staff.StaffRefused as refused:
        return _staff_refused(refused, args.name)
    print(f"{args.name} unlocked")
    return 0


def cmd_staff_disable(args) -> int:
    try:
        staff.disable(args.name, by=_by())
    except staff.StaffRefused as refused:
        return _staff_refused(refused, args.name)
    print(f"{args.name} disabled; their console sessions have ended")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Dana back-office admin")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create missing tables")
    p.add_argument("--seed", action="store_true", help="add the demo subscribers, outage and ticket")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("list", help="list a table")
    p.add_argument("table", choices=sorted(LISTINGS))
    p.add_argument("--status")
    p.add_argument("--login")
    p.add_argument("--since", type=_ago, metavar="TIME", help="created since: ISO time (Astana) or +Nd / +Nh back")
    p.add_argument("--limit", type=int, metavar="N", help="the newest N only")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="one row of a table, every field")
    p.add_argument("table", choices=sorted(LISTINGS))
    p.add_argument("id", help="the row's id (a subscriber's: the login)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "set-status", help="update a ticket, refund, investigation or callback (the customer is told of some)"
    )
    p.add_argument("table", choices=list(notices.REQUEST_STATUSES))
    p.add_argument("id", type=int)
    p.add_argument("status")
    p.set_defaults(func=cmd_set_status)

    p = sub.add_parser("add-subscriber", help="add or replace a subscriber")
    p.add_argument("login")
    p.add_argument("--name", required=True)
    p.add_argument("--area", required=True)
    p.add_argument("--phone")
    p.add_argument("--address")
    p.add_argument("--unpaid", action="store_true", help="this month's fee is not paid")
    p.add_argument("--line", default="ok", choices=["ok", "cable_cut", "link_down"])
    p.set_defaults(func=cmd_add_subscriber)

    p = sub.add_parser("import-subscribers", help="import subscribers from CSV")
    p.add_argument("file")
    p.set_defaults(func=cmd_import_subscribers)

    p = sub.add_parser("line", help="set a subscriber's line status")
    p.add_argument("login")
    p.add_argument("status", choices=["ok", "cable_cut", "link_down"])
    p.set_defaults(func=cmd_line)

    p = sub.add_parser("outage", help="declare an outage for an area")
    p.add_argument("area")
    p.add_argument("--until", type=_when, metavar="TIME", help="expected end: ISO time (Astana) or +2d / +4h / +90m")
    p.add_argument("--note")
    p.set_defaults(func=cmd_outage)

    p = sub.add_parser("clear-outage", help="mark an outage as cleared")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_clear_outage)

    p = sub.add_parser("outage-affected", help="who Dana told about an outage (conversations, logins; audited)")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_outage_affected)

    p = sub.add_parser(
        "suspected",
        help="suspected outages: list the open ones, confirm or dismiss one",
        description="Many logins of one area reporting no internet within minutes, with no outage declared "
        "(LIMITS.suspected_outage_reports / suspected_outage_minutes, bot/office/outages.py). Without a "
        "step: the open ones with the reporters' logins (audited). confirm declares the outage and tells "
        "the customers who reported it; dismiss closes it.",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_suspected, suspected_command=None)
    steps = p.add_subparsers(dest="suspected_command")
    step = steps.add_parser("confirm", help="declare the outage; the customers who reported it are told")
    step.add_argument("id", type=int)
    step.add_argument("--until", type=_when, metavar="TIME", help="expected end: ISO time (Astana) or +4h / +2d")
    step.add_argument("--note")
    step = steps.add_parser("dismiss", help="no outage: close the suspicion")
    step.add_argument("id", type=int)

    p = sub.add_parser("deliver-handoffs", help="re-send undelivered hand-offs to the contact centre webhook")
    p.set_defaults(func=cmd_deliver_handoffs)

    p = sub.add_parser(
        "purge",
        help="delete conversations and personal data older than the retention period (docs/privacy.md)",
        description="Deletes whole conversations whose last event is older than N days, and older receipts "
        "(files too), consents and closed callbacks; closed refunds, investigations, tickets and "
        "hand-offs older than N days keep ids, amounts, dates and statuses but lose names, phones, "
        "e-mails, receipts and summaries. Open requests are never touched. One transaction.",
    )
    p.add_argument("--older-than-days", type=int, metavar="N", help="default: DANA_RETENTION_DAYS (90)")
    p.add_argument("--dry-run", action="store_true", help="count only, change nothing")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("export-subscriber", help="everything held about one subscriber, as JSON")
    p.add_argument("login")
    p.add_argument("--out", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_export_subscriber)

    p = sub.add_parser(
        "erase-subscriber",
        help="erase one subscriber's personal data (docs/privacy.md)",
        description="Deletes the conversations linked to LOGIN (by its requests or by mentioning it), their "
        "receipts (files too), callbacks and consents; anonymises hand-offs and the subscriber's "
        "requests (ids, amounts, dates, statuses stay); erases the subscriber's name, phone and "
        "address but keeps the row (the login is the billing contract). Asks first unless --yes.",
    )
    p.add_argument("login")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_erase_subscriber)

    p = sub.add_parser(
        "export-misses",
        help="messages Dana did not understand well, as NLU YAML to label (docs/nlu-misses.md)",
        description="Customer messages since --since whose intent was nlu_fallback or below "
        "LIMITS.nlu_review_confidence, personal data replaced by stand-ins, duplicates merged, "
        "grouped under the intent Dana guessed. Label them, then scripts/add_nlu_examples.py.",
    )
    p.add_argument("--since", type=_ago, metavar="TIME", help="ISO time (Astana) or +Nd / +Nh back (default: +7d)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N examples, the most frequent")
    p.add_argument("--out", metavar="FILE", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_export_misses)

    p = sub.add_parser(
        "stats",
        help="CSAT, containment, hand-off and fallback rates per day, channel and language",
        description="Conversations (sessions with a customer message) from the tracker store and the "
        "answers to the rating question, per day (Astana), channel and language: how many, the share "
        "contained (no hand-off) and handed off, the share of customer messages answered by the "
        "fallback, and CSAT (answers, mean, share of 4–5). Definitions: bot/office/stats.py.",
    )
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="first day (default: 7 days before --until)")
    p.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, included (default: today)")
    p.add_argument(
        "--by",
        choices=["day", "channel", "language"],
        action="append",
        help="group by this (repeat for several; default: all three)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("staff", help="operator console accounts (bot/office/staff.py)")
    staff_sub = p.add_subparsers(dest="staff_command", required=True)
    p = staff_sub.add_parser("add", help="a new account; the password is asked twice")
    p.add_argument("name")
    p.add_argument("--role", choices=staff.ROLES, default=staff.OPERATOR, help="default: operator")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    p.set_defaults(func=cmd_staff_add)
    p = staff_sub.add_parser("list", help="the accounts (no passwords)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_staff_list)
    p = staff_sub.add_parser("passwd", help="set an account's password (its sessions end)")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    p.set_defaults(func=cmd_staff_passwd)
    p = staff_sub.add_parser("unlock", help="clear an account's wrong-password lock")
    p.add_argument("name")
    p.set_defaults(func=cmd_staff_unlock)
    p = staff_sub.add_parser("disable", help="an account that can no longer log in (its sessions end)")
    p.add_argument("name")
    p.set_defaults(func=cmd_staff_disable)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
