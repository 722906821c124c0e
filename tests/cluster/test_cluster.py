"""The balanced setup as customers and operators see it: one address, both
languages, any server continues any conversation, a dead server goes unnoticed."""
from __future__ import annotations

import asyncio
import json
import uuid
import urllib.error
import urllib.request

import pytest

from tests.cluster.conftest import cluster_cli


def post(url: str, sender: str, text: str) -> list[str]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=90) as answer:
        return [m["text"] for m in json.loads(answer.read()) if m.get("text")]


def get(url: str) -> tuple[int, dict]:
    """Status and JSON body ({} when the body is not JSON, e.g. HAProxy's monitor page)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        return status, {}


@pytest.mark.parametrize("text, expected", [
    ("Сәлеметсіз бе, интернет істемей тұр", "логиніңізді"),
    ("Здравствуйте, пропал интернет", "логин «Домашнего интернета»"),
])
def test_both_languages_are_answered_through_the_balancer(cluster, text, expected):
    replies = post(f"{cluster.url}/webhooks/rest/webhook", f"lang-{uuid.uuid4().hex}", text)
    assert any(expected in reply for reply in replies), replies


def test_a_conversation_continues_on_the_other_server(cluster):
    """Turn 1 on rasa-1, turn 2 on rasa-2: the second knows what the first asked."""
    sender = f"across-{uuid.uuid4().hex}"
    first = post(f"http://127.0.0.1:{cluster.base_port + 1}/webhooks/rest/webhook", sender,
                 "Здравствуйте, пропал интернет")
    assert any("логин" in reply for reply in first)
    second = post(f"http://127.0.0.1:{cluster.base_port + 2}/webhooks/rest/webhook", sender, "0851234569")
    assert any("авари" in reply for reply in second), second  # the outage login, diagnosed


def test_every_service_and_the_whole_report_health(cluster):
    status, whole = get(f"{cluster.url}/health")
    assert status == 200 and whole["status"] == "ok"
    assert set(whole["checks"]) == {"model", "database", "lock_store", "action_server"}
    assert all(check["ok"] for check in whole["checks"].values())
    assert get(f"{cluster.url}/haproxy/health")[0] == 200
    for offset in (1, 2):
        assert get(f"http://127.0.0.1:{cluster.base_port + offset}/webhooks/health")[0] == 200
    for offset in (51, 52):
        assert get(f"http://127.0.0.1:{cluster.base_port + offset}/health")[0] == 200
    status = cluster_cli(cluster, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = {line.split()[0]: line for line in status.stdout.splitlines()}
    for name in ("rasa-1", "rasa-2", "actions-1", "actions-2", "balancer", "redis", "postgres"):
        assert " up " in lines[name] and " pid - " not in lines[name], lines[name]
    assert '"status":"ok"' in lines["rasa-1"].replace(" ", "")  # its readiness answer


def test_the_http_api_needs_the_token(cluster):
    tracker = f"{cluster.url}/conversations/someone/tracker"
    assert get(tracker)[0] == 401
    assert get(f"{tracker}?token=wrong")[0] == 401
    assert get(f"{tracker}?token={cluster.token}")[0] == 200


def test_socket_io_sessions_are_pinned_to_one_server(cluster):
    with urllib.request.urlopen(f"{cluster.url}/socket.io/?EIO=4&transport=polling", timeout=30) as answer:
        cookie = answer.headers.get("Set-Cookie", "")
    assert cookie.startswith("DANA_SRV=rasa-"), cookie


def test_the_widget_socket_works_through_the_balancer(cluster):
    """Long-polling makes many requests for one session: they must all reach
    the server that holds it (sticky routing), or the session breaks."""
    import socketio

    async def chat() -> list[str]:
        client = socketio.AsyncClient(reconnection=False)
        answers: asyncio.Queue = asyncio.Queue()
        session_id = uuid.uuid4().hex
        client.on("bot_uttered", lambda data: answers.put_nowait(data.get("text", "")))
        await client.connect(cluster.url, transports=["polling"], socketio_path="/socket.io")
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.sleep(0.5)
            texts = []
            for message in ("Сәлеметсіз бе", "интернет жоқ"):
                await client.emit("user_uttered", {"message": message, "session_id": session_id})
                texts.append(await asyncio.wait_for(answers.get(), 60))
                while not answers.empty():
                    answers.get_nowait()
                await asyncio.sleep(0.3)
            return texts
        finally:
            await client.disconnect()

    texts = asyncio.run(chat())
    assert all(texts) and len(texts) == 2


def test_the_widget_websocket_passes_the_balancer(cluster):
    """Browsers move the widget to a websocket. python-engineio's websocket
    client needs a newer aiohttp than Rasa pins, so this speaks the Engine.IO 4
    / Socket.IO 5 text frames itself over aiohttp's websocket."""
    import aiohttp

    async def chat() -> list[str]:
        session_id = uuid.uuid4().hex
        ws_url = cluster.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, timeout=30) as ws:
            assert (await ws.receive_str(timeout=30)).startswith("0{")  # Engine.IO open
            await ws.send_str("40")  # Socket.IO connect
            assert (await ws.receive_str(timeout=30)).startswith("40")
            await ws.send_str("42" + json.dumps(["session_request", {"session_id": session_id}]))
            await ws.send_str("42" + json.dumps(["user_uttered", {"message": "Здравствуйте, пропал интернет",
                                                                  "session_id": session_id}]))
            texts: list[str] = []
            while not any("логин" in text for text in texts):  # the intro, then the login question
                frame = await ws.receive_str(timeout=60)
                if frame == "2":  # server ping
                    await ws.send_str("3")
                elif frame.startswith("42"):
                    event, data = json.loads(frame[2:])[:2]
                    if event == "bot_uttered" and data.get("text"):
                        texts.append(data["text"])
            return texts

    texts = asyncio.run(chat())
    assert texts[0].startswith("Извините"), texts  # answered in Russian


def test_a_killed_server_goes_unnoticed_and_comes_back(cluster):
    assert cluster_cli(cluster, "kill", "rasa-1").returncode == 0
    try:
        for number in range(6):  # round robin would send half of these to rasa-1
            replies = post(f"{cluster.url}/webhooks/rest/webhook", f"kill-{number}-{uuid.uuid4().hex}",
                           "Здравствуйте, пропал интернет")
            assert replies, f"message {number} got no answer with rasa-1 dead"
        status = cluster_cli(cluster, "status")
        assert status.returncode != 0 and any(
            line.startswith("rasa-1") and " down " in line for line in status.stdout.splitlines())
    finally:
        assert cluster_cli(cluster, "start", "rasa-1").returncode == 0
    assert cluster_cli(cluster, "status").returncode == 0


# --- live hand-off across the two servers (issue 19) --------------------------

def operators(cluster, offset: int, method: str, path: str, body: dict | None = None) -> dict:
    """The operator API of one Rasa server (base_port + offset)."""
    from tests.cluster.conftest import OPERATOR_TOKEN

    request = urllib.request.Request(
        f"http://127.0.0.1:{cluster.base_port + offset}/webhooks/operators{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {OPERATOR_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def handoff_id(cluster, offset: int, conversation_id: str) -> int:
    queue = operators(cluster, offset, "GET", "/queue")["handoffs"]
    [found] = [h["id"] for h in queue if h["conversation_id"] == conversation_id]
    return found


def test_a_handed_over_conversation_stays_quiet_on_the_other_server(cluster):
    sender = f"paused-{uuid.uuid4().hex}"
    assert post(f"http://127.0.0.1:{cluster.base_port + 1}/webhooks/rest/webhook", sender, "Соедините с оператором")
    # The next message lands on rasa-2: the pause is in the conversation, not in rasa-1.
    assert post(f"http://127.0.0.1:{cluster.base_port + 2}/webhooks/rest/webhook", sender, "алло, вы тут?") == []
    hid = handoff_id(cluster, 2, sender)
    operators(cluster, 2, "POST", f"/handoffs/{hid}/close", {"operator": "op"})
    assert post(f"http://127.0.0.1:{cluster.base_port + 1}/webhooks/rest/webhook", sender, "пропал интернет")


def test_an_operator_reaches_a_widget_held_by_the_other_server(cluster):
    """The widget's Socket.IO session lives on rasa-1; the operator's message
    arrives at rasa-2 and reaches the open widget through Redis."""
    import socketio

    async def chat() -> tuple[float, list[str]]:
        client = socketio.AsyncClient(reconnection=False)
        answers: asyncio.Queue = asyncio.Queue()
        session_id = uuid.uuid4().hex
        client.on("bot_uttered", lambda data: answers.put_nowait((data or {}).get("text", "")))
        await client.connect(f"http://127.0.0.1:{cluster.base_port + 1}", transports=["polling"],
                             socketio_path="/socket.io")
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.sleep(0.5)
            await client.emit("user_uttered", {"message": "Соедините с оператором", "session_id": session_id})
            await asyncio.wait_for(answers.get(), 60)
            await asyncio.sleep(1.0)
            while not answers.empty():
                answers.get_nowait()
            hid = await asyncio.to_thread(handoff_id, cluster, 2, session_id)
            await asyncio.to_thread(operators, cluster, 2, "POST", f"/handoffs/{hid}/claim", {"operator": "op"})
            started = asyncio.get_running_loop().time()
            await asyncio.to_thread(operators, cluster, 2, "POST", f"/handoffs/{hid}/messages",
                                    {"operator": "op", "text": "Сәлеметсіз бе, мен операторман."})
            said = []
            while "Сәлеметсіз бе, мен операторман." not in said:
                said.append(await asyncio.wait_for(answers.get(), 10))
            return asyncio.get_running_loop().time() - started, said
        finally:
            await client.disconnect()

    took, said = asyncio.run(chat())
    assert said[-1] == "Сәлеметсіз бе, мен операторман." and took < 2.0, (took, said)


def test_the_console_works_on_any_server(cluster):
    """Staff log in on rasa-1 and go on on rasa-2 (sessions, CSRF and the lockout
    count are in PostgreSQL): a hand-off is taken and closed there."""
    import http.cookiejar
    import subprocess
    import sys

    from tests.cluster.conftest import ROOT

    env = {**cluster.env, "DANA_DATABASE_URL": cluster.database_url, "PYTHONPATH": str(ROOT)}
    # The cluster's database outlives a test session on this machine: names of this run only.
    run = uuid.uuid4().hex[:8]
    operator, locked = f"cluster.operator.{run}", f"cluster.locked.{run}"
    for name in (operator, locked):
        made = subprocess.run([sys.executable, "-m", "bot", "staff", "add", name, "--role", "operator",
                               "--password-stdin"], cwd=ROOT, env=env, input="cluster-pass-1234\n",
                              capture_output=True, text=True)
        assert made.returncode == 0, made.stdout + made.stderr

    def console(offset: int, opener, path: str, body: dict | None = None, csrf: str = "") -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{cluster.base_port + offset}/webhooks/console/api/{path}",
            data=json.dumps(body).encode() if body is not None else None, method="POST" if body is not None else "GET",
            headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
        try:
            with opener.open(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, me = console(1, opener, "login", {"username": operator, "password": "cluster-pass-1234"})
    assert status == 200 and me["role"] == "operator"
    assert console(2, opener, "me")[0] == 200  # the session rasa-1 made, on rasa-2
    sender = f"console-{uuid.uuid4().hex}"
    assert post(f"http://127.0.0.1:{cluster.base_port + 1}/webhooks/rest/webhook", sender, "Соедините с оператором")
    status, queue = console(2, opener, "queue")
    [hid] = [h["id"] for h in queue["handoffs"] if h["conversation_id"] == sender]
    assert console(2, opener, f"handoffs/{hid}/claim", {}, "wrong-token")[0] == 403
    assert console(2, opener, f"handoffs/{hid}/claim", {}, me["csrf"])[0] == 200
    status, closed = console(1, opener, f"handoffs/{hid}/close", {}, me["csrf"])
    assert (status, closed["status"], closed["operator"]) == (200, "resolved", operator)

    # Wrong passwords on both servers add up to one lockout.
    stranger = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    answers = [console(1 + attempt % 2, stranger, "login", {"username": locked, "password": "nope-nope-nope"})
               for attempt in range(5)]
    assert [status for status, _ in answers] == [401, 401, 401, 401, 423], answers
    assert console(2, stranger, "login", {"username": locked, "password": "cluster-pass-1234"})[0] == 423
