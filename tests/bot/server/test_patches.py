"""Every change to Rasa's own code is in one list (bot/server/patches.py), for one
Rasa version, installed only by the server launcher, and can be switched off."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.server import patches

ROOT = Path(__file__).resolve().parents[3]
CODE = [p for d in ("bot", "actions", "channels", "nlu") for p in (ROOT / d).rglob("*.py")]


def _assigns_to_rasa(path: Path) -> list[str]:
    """``X.attr = …`` / ``setattr(X, …)`` where X was imported from rasa."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    from_rasa = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rasa"):
            from_rasa |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            from_rasa |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("rasa")}
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                    and target.value.id in from_rasa:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {target.value.id}.{target.attr}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr" and node.args \
                and isinstance(node.args[0], ast.Name) and node.args[0].id in from_rasa:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} setattr({node.args[0].id}, …)")
    return found


def test_no_rasa_attribute_is_assigned_outside_the_patches_module():
    found = [hit for path in CODE if path.name != "patches.py" for hit in _assigns_to_rasa(path)]
    assert not found, found


def test_each_patch_says_what_it_replaces_why_and_its_test():
    listed = patches.patches()
    assert len(listed) >= 15
    for patch in listed:
        # Each replaces something Rasa has, except a method Rasa leaves to object (Slot.__copy__).
        assert hasattr(patch.target, patch.attribute) or patch.attribute.startswith("__"), patch
        assert patch.why and patch.test, patch
        for test in patch.test.split(","):
            name = test.strip()
            path = ROOT / name if "/" in name else ROOT / "tests/bot/server" / name
            assert path.exists(), f"{patch.attribute}: {name} does not exist"
    assert len({(id(p.target), p.attribute) for p in listed}) == len(listed)  # each replaced once


def test_installed_and_undone_in_a_scope():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.slots import Slot

    before = (RemoteAction.run, Slot.__dict__.get("__copy__"))
    with patches.installed() as on:
        if not on:
            pytest.skip("DANA_RASA_PATCHES=off")
        assert RemoteAction.run is not before[0] and "__copy__" in Slot.__dict__
    assert (RemoteAction.run, Slot.__dict__.get("__copy__")) == before


def test_off_switch_leaves_rasa_as_it_is(monkeypatch):
    from rasa.core.actions.action import RemoteAction

    monkeypatch.setenv(patches.SWITCH, "off")
    before = RemoteAction.run
    with patches.installed() as on:
        assert on is False and RemoteAction.run is before


def test_another_rasa_version_is_refused_with_a_clear_message(monkeypatch):
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    with pytest.raises(RuntimeError, match="3.6.21.*3.7.0"):
        patches.check_rasa_version()


def test_importing_dana_installs_nothing():
    """Only the launcher installs: importing the server's modules changes no Rasa code."""
    code = ("import rasa.core.actions.action as a, rasa.shared.core.slots as s\n"
            "before = (a.RemoteAction.run, s.Slot.__dict__.get('__copy__'))\n"
            "import bot, bot.server.nlg, bot.server.tracker_store, bot.server.redis_locks, channels.rest, channels.voice\n"
            "from bot.server.nlg import DanaNaturalLanguageGenerator\n"
            "DanaNaturalLanguageGenerator()\n"
            "assert (a.RemoteAction.run, s.Slot.__dict__.get('__copy__')) == before\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
