"""Dana running for real (Rasa server + action server, every channel of
credentials.yml) against a local stand-in for Telegram, Meta's Graph API and
the contact centre's hand-off webhook, and a Chatwoot account's stand-in for
the Chatwoot adapter. Started once per test session."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.channels.chatwoot_standin import start_chatwoot
from tests.channels.standin import start_standin

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "dana.tar.gz"
BIN = ROOT / ".venv" / "bin"

# Secrets the channels are configured with in these tests.
TELEGRAM_TOKEN = "123456:TEST-TOKEN"
TELEGRAM_SECRET = "tg-secret-0123456789"
META_APP_SECRET = "meta-app-secret"
META_VERIFY_TOKEN = "meta-verify-token"
VOICE_TOKEN = "voice-gateway-token"
HANDOFF_SECRET = "handoff-secret"
API_TOKEN = "rasa-api-token"  # Rasa HTTP API (--auth-token)
OPERATOR_TOKEN = "operator-api-token"  # the operator API (channels/operators.py)
CHATWOOT_API_TOKEN = "chatwoot-agent-access-token"
CHATWOOT_WEBHOOK_TOKEN = "chatwoot-webhook-token"
RATE_LIMIT = "10/5"  # messages/seconds per sender (bot/server/rate_limit.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited; log:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up; log:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def standin():
    service = start_standin()
    yield service
    service.close()


@pytest.fixture(scope="session")
def chatwoot():
    """A Chatwoot account (tests/channels/chatwoot_standin.py) with an API inbox."""
    account = start_chatwoot(CHATWOOT_API_TOKEN)
    yield account
    account.close()


@pytest.fixture(scope="session")
def dana(standin, chatwoot, tmp_path_factory):
    """Base URL of a running Dana whose channels all point at the stand-in."""
    if not MODEL.exists():
        pytest.skip("needs the trained model: run scripts/setup.sh (make test does)")
    tmp = tmp_path_factory.mktemp("dana")
    rasa_port, action_port = free_port(), free_port()
    env = {
        **os.environ,
        "DANA_DATABASE_URL": f"sqlite:///{tmp / 'dana.db'}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "DANA_LOCK_STORE": "in_memory",
        "DANA_RECEIPTS_DIR": str(tmp / "receipts"),
        "DANA_LABELLED_FILE": str(tmp / "labelled.yml"),  # the console's labels (tests/web/test_console.py)
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": standin.url,
        "META_APP_SECRET": META_APP_SECRET,
        "META_VERIFY_TOKEN": META_VERIFY_TOKEN,
        "META_PAGE_ACCESS_TOKEN": "page-token",
        "WHATSAPP_ACCESS_TOKEN": "wa-token",
        "WHATSAPP_PHONE_NUMBER_ID": "555000",
        "GRAPH_API_URL": f"{standin.url}/graph/v19.0",
        "VOICE_GATEWAY_TOKEN": VOICE_TOKEN,
        "DANA_HANDOFF_WEBHOOK_URL": f"{standin.url}/handoff",
        "DANA_HANDOFF_WEBHOOK_SECRET": HANDOFF_SECRET,
        "DANA_OPERATOR_API_TOKEN": OPERATOR_TOKEN,
        # The Chatwoot adapter; Dana's hand-off webhook reaches it only while
        # tests/channels/test_chatwoot.py has the stand-in forward /handoff.
        "CHATWOOT_URL": chatwoot.url,
        "CHATWOOT_ACCOUNT_ID": str(chatwoot.account_id),
        "CHATWOOT_INBOX_ID": str(chatwoot.inbox_id),
        "CHATWOOT_API_TOKEN": CHATWOOT_API_TOKEN,
        "CHATWOOT_WEBHOOK_TOKEN": CHATWOOT_WEBHOOK_TOKEN,
        "DANA_OPERATOR_API_URL": f"http://127.0.0.1:{rasa_port}",
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        # 10 messages per sender per 5 s: no flow here sends that many that fast,
        # and tests/channels/test_rate_limit.py need not wait a minute for a window.
        "DANA_RATE_LIMIT": RATE_LIMIT,
    }
    for name, value in {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_LOCK_DB": "1"}.items():
        env.setdefault(name, value)
    # Rasa refuses a ${VAR} that is not set: any other variable the config
    # files name is set empty (= that feature off), as scripts/env.sh does.
    for config in ("credentials.yml", "endpoints.yml"):
        for name in re.findall(r"\$\{(\w+)\}", (ROOT / config).read_text()):
            env.setdefault(name, "")
    subprocess.run([str(BIN / "python"), "-m", "bot", "init", "--seed"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    logs = {"actions": tmp / "actions.log", "rasa": tmp / "rasa.log"}
    actions = subprocess.Popen(
        [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port), "--debug"],
        cwd=ROOT, env=env, stdout=logs["actions"].open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    server = subprocess.Popen(
        [str(BIN / "python"), "-m", "bot.server", "run", "--enable-api", "--auth-token", API_TOKEN, "-m", str(MODEL), "-p", str(rasa_port), "-i", "127.0.0.1",
         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
         "--debug"],  # debug logs in every end-to-end test: tests/channels/test_log_privacy.py reads them
        cwd=ROOT, env=env, stdout=logs["rasa"].open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(f"http://127.0.0.1:{action_port}/health", 90, actions, logs["actions"])
        _wait(f"http://127.0.0.1:{rasa_port}/", 180, server, logs["rasa"])
        yield {"url": f"http://127.0.0.1:{rasa_port}", "database_url": env["DANA_DATABASE_URL"],
               "receipts": tmp / "receipts", "labelled": tmp / "labelled.yml", "logs": logs, "actions_url": f"http://127.0.0.1:{action_port}"}
    finally:
        for process in (server, actions):
            if process.poll() is not None:
                continue  # already gone (its log is in the failure message)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
