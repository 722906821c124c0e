"""Admin CLI: ``python -m bot <command>``. See README «Operations»."""
from __future__ import annotations

import argparse
import json
import sys

from bot.config import settings
from bot.db import init_db, new_session


def _mask_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_init(args: argparse.Namespace) -> int:
    init_db()
    if args.seed:
        from bot.seed import seed

        with new_session() as session, session.begin():
            seed(session)
        print("demo data present (README: «Demo logins»)")
    print(f"database ready: {_mask_url(settings().database_url)}")
    return 0


def cmd_handoffs(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.models import Handoff

    with new_session() as session:
        rows = session.execute(select(Handoff).order_by(Handoff.id)).scalars().all()
    items = [
        {"id": h.id, "conversation": h.conversation_id, "language": h.language,
         "intent": h.intent, "reason": h.reason, "status": h.status,
         "created_at": h.created_at.isoformat() if h.created_at else None,
         "summary": h.summary}
        for h in rows
    ]
    if args.json:
        json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for item in items:
            print(f"#{item['id']} {item['created_at']} [{item['language']}] "
                  f"{item['intent']} ({item['reason']}) {item['status']}: {item['summary']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Dana back-office admin")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create missing tables")
    init.add_argument("--seed", action="store_true", help="add the demo subscribers, outage and ticket")
    init.set_defaults(func=cmd_init)
    handoffs = sub.add_parser("handoffs", help="list conversations handed to operators")
    handoffs.add_argument("--json", action="store_true")
    handoffs.set_defaults(func=cmd_handoffs)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
