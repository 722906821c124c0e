"""The house's shape: bot/ by role, imports one way, no cycles (docs/architecture.md).

- bot/text/   reads and says text; no I/O — imports neither the back office nor the server;
- bot/office/ the back office — never imports what runs inside `rasa run`;
- bot/server/ runs inside `rasa run`;
- bot/config.py, bot/log_privacy.py, bot/project_domain.py are shared by all three.
"""
from __future__ import annotations

import ast
from pathlib import Path

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
                cycles.append(stack[stack.index(nxt):] + [nxt])
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


def test_channels_reach_the_database_only_through_the_back_office():
    """A channel calls an office service (bot/office/), never SQL of its own."""
    for path in (ROOT / "channels").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("sqlalchemy", "new_session", "get_engine", "bot.office.models"):
            assert forbidden not in text, f"{path.relative_to(ROOT)} uses {forbidden}"
