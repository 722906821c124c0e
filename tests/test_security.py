"""Secrets come from the environment only, and the HTTP API is never open beyond this machine."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = re.compile(r"token|secret|password|access_key|app_secret|url", re.IGNORECASE)


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (str(key),))
    else:
        yield path, node


def _token_block() -> str:
    """scripts/run.sh's lines that choose the HTTP API's token."""
    text = (ROOT / "scripts" / "run.sh").read_text()
    start = text.index('if [ -z "${RASA_AUTH_TOKEN:-}" ]; then')
    end = text.index('auth=(--auth-token "$RASA_AUTH_TOKEN")')
    return text[start:end] + 'auth=(--auth-token "$RASA_AUTH_TOKEN")\nprintf "%s" "${auth[1]}"\n'


def test_the_http_api_always_has_a_token_even_on_loopback(tmp_path):
    """A tracker holds personal data: without RASA_AUTH_TOKEN one is generated
    into var/api-token (owner-only) and kept across starts."""
    (tmp_path / "var").mkdir()
    env = {**os.environ, "ROOT": str(tmp_path), "RASA_AUTH_TOKEN": "", "DANA_HOST": "127.0.0.1"}
    first, second = (subprocess.run(["bash", "-c", _token_block()], env=env, capture_output=True, text=True,
                                    check=True).stdout.splitlines()[-1] for _ in range(2))
    token_file = tmp_path / "var" / "api-token"
    assert len(first) >= 40 and first == second == token_file.read_text()
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    chosen = subprocess.run(["bash", "-c", _token_block()], env={**env, "RASA_AUTH_TOKEN": "mine"},
                            capture_output=True, text=True, check=True)
    assert chosen.stdout.splitlines()[-1] == "mine"
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    assert '-m bot.server run --enable-api "${auth[@]}"' in run_sh


def test_config_files_take_every_secret_from_the_environment():
    for name in ("credentials.yml", "endpoints.yml"):
        config = yaml.safe_load((ROOT / name).read_text())
        for path, value in _leaves(config):
            if SECRET_KEY.search(path[-1]) and value not in (None, ""):
                assert re.fullmatch(r"\$\{\w+\}", str(value)), f"{name}: {'.'.join(path)} is not ${{VAR}}"


def test_no_credentials_are_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    patterns = {
        "Telegram bot token": re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{35}\b"),
        "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        "Meta access token": re.compile(r"\bEAA[A-Za-z0-9]{60,}"),
        "password in a URL": re.compile(r"postgres(?:ql)?://[^:\s/]+:(?!dana@)[^@\s$]{3,}@"),
    }
    found = []
    for relative in tracked:
        path = ROOT / relative
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{relative}: {what}" for what, pattern in patterns.items() if pattern.search(text)]
    assert not found
