"""The house's shape: bot/ by role, imports one way, no cycles (docs/architecture.md).

- bot/text/   reads and says text; no I/O — imports neither the back office nor the server;
- bot/office/ the back office — never imports what runs inside `rasa run`;
- bot/server/ runs inside `rasa run`;
- bot/config.py, bot/log_privacy.py, bot/project_domain.py are shared by all three.
- actions/ and channels/ reach the database only through bot/office/'s services.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "channels", "nlu")
SHARED = {"bot/__init__.py", "bot/__main__.py", "bot/config.py", "bot/log_privacy.py", "bot/project_domain.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Dana modules this file imports at its top level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in MODULES}
    return found


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def test_bot_has_only_its_three_rooms_and_the_shared_modules():
    top = {str(p.relative_to(ROOT)) for p in (ROOT / "bot").glob("*.py")}
    rooms = {p.name for p in (ROOT / "bot").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert top <= SHARED, top - SHARED
    assert rooms == {"office", "server", "text"}, rooms


def test_rooms_import_one_way():
    wrong = []
    for name, imported in GRAPH.items():
        for other in imported:
            if name.startswith("bot.text") and other.startswith(("bot.office", "bot.server")):
                wrong.append(f"{name} → {other}")
            if name.startswith("bot.office") and other.startswith("bot.server"):
                wrong.append(f"{name} → {other}")
            if name.startswith("bot.") and other.startswith(("actions", "channels")):
                wrong.append(f"{name} → {other}")
    assert not wrong, wrong


def test_no_import_cycles():
    """Modules (a package counts as its __init__) form no cycle."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    # A package importing its own submodules (bot → bot.log_privacy) is not a cycle of ours.
    real = [c for c in cycles if not all(m == c[0] or m.startswith(c[0] + ".") for m in c[1:])]
    assert not real, [" → ".join(c) for c in real]


def test_tests_mirror_bot():
    for room in ("office", "server", "text"):
        assert (ROOT / "tests" / "bot" / room).is_dir(), room


# bot.office.db's calls for the outside (a health check, "is this error an outage of
# the database?"); everything else there — new_session, session_factory, get_engine,
# init_db — is the session machinery the office services wrap.
DB_SERVICES = {"ping", "database_unavailable"}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def session_use(source: str) -> list[str]:
    """SQLAlchemy, or bot.office.db other than DB_SERVICES, used by this source:
    imported by name, or reached as an attribute of the db module."""
    tree = ast.parse(source)
    found, db_names = [], {"bot.office.db"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    found.append(f"import {alias.name}")
                elif alias.name == "bot.office.db" and alias.asname:
                    db_names.add(alias.asname)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [a.name for a in node.names]
            if node.module.split(".")[0] == "sqlalchemy":
                found.append(f"from {node.module} import {', '.join(names)}")
            elif node.module == "bot.office.db":
                found += [f"bot.office.db.{n}" for n in names if n not in DB_SERVICES]
            elif node.module == "bot.office":
                db_names |= {a.asname or a.name for a in node.names if a.name == "db"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr not in DB_SERVICES and _dotted(node.value) in db_names:
            found.append(f"bot.office.db.{node.attr}")
    return found


def test_actions_and_channels_call_office_services_never_sessions():
    """Issue 17: actions and channels go through the office services (bot/office/),
    which open and commit their own sessions; no SQL outside bot/office/."""
    wrong = {
        str(path.relative_to(ROOT)): used
        for package in ("actions", "channels")
        for path in (ROOT / package).rglob("*.py")
        if (used := session_use(path.read_text(encoding="utf-8")))
    }
    assert not wrong, wrong


def test_channels_do_not_touch_the_models():
    """A channel gets plain results from an office service, not ORM rows to change."""
    wrong = [m for m in MODULES if m.startswith("channels") and "bot.office.models" in GRAPH[m]]
    assert not wrong, wrong


@pytest.mark.parametrize(
    "source, found",
    [
        ("from bot.office.db import new_session", ["bot.office.db.new_session"]),
        ("def f():\n    from bot.office.db import get_engine, ping", ["bot.office.db.get_engine"]),
        ("from bot.office import db\ndb.session_factory()", ["bot.office.db.session_factory"]),
        ("import bot.office.db\nbot.office.db.new_session()", ["bot.office.db.new_session"]),
        ("import sqlalchemy.orm", ["import sqlalchemy.orm"]),
        ("from sqlalchemy.orm import sessionmaker", ["from sqlalchemy.orm import sessionmaker"]),
        ("from bot.office.db import database_unavailable, ping\nfrom bot.office import db\ndb.ping()", []),
        ("from bot.office import subscribers\nsubscribers.login_for_phone('+77011234567')", []),
    ],
)
def test_the_session_rule_tells_a_service_call_from_session_use(source, found):
    assert session_use(source) == found
