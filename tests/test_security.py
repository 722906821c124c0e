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


def test_run_refuses_an_open_http_api_without_a_token():
    env = {**os.environ, "DANA_HOST": "0.0.0.0", "RASA_AUTH_TOKEN": "", "DANA_NO_CHAT": "1"}
    done = subprocess.run(["bash", "scripts/run.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "RASA_AUTH_TOKEN" in done.stderr


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
