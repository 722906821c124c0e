"""Dana's speed-ups of Rasa's internals (bot/speedups.py) change no result."""
from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import UserMessage
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

from bot import speedups

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "dana.tar.gz"


@pytest.fixture(scope="module", autouse=True)
def installed():
    speedups.install()


def test_action_replies_are_still_validated():
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "login", "value": "1"}],
                                           "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})


def test_every_event_name_resolves_to_rasas_class():
    for cls in all_subclasses(Event):
        expected = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is expected
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    stored = {"event": "user", "text": "сәлем", "parse_data": {"intent": {"name": "greet"}, "entities": []}}
    assert isinstance(Event.from_parameters(stored), UserUttered)


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (scripts/test.sh trains it)")
def test_sequential_runner_parses_like_dask(tmp_path):
    texts = ["Сәлеметсіз бе, интернет істемей тұр", "Здравствуйте, пропал интернет",
             "мой логин 0851234568", "5 мың теңге кеше төледім", "🙂", ""]
    results = {}
    for runner in (DaskGraphRunner, speedups.SequentialGraphRunner):
        metadata, graph = load_predict_graph_runner(tmp_path / runner.__name__, MODEL, LocalModelStorage, runner)
        parsed = []
        for text in texts:
            out = graph.run(inputs={"__message__": [UserMessage(text)], "__tracker__": None},
                            targets=[metadata.nlu_target])
            [message] = out[metadata.nlu_target]
            parsed.append((message.get("intent"), message.get("entities")))
        results[runner] = parsed
    assert results[DaskGraphRunner] == results[speedups.SequentialGraphRunner]
    assert [intent["name"] for intent, _ in results[DaskGraphRunner][:2]] == ["internet_down", "internet_down"]


async def test_action_calls_reuse_one_connection(monkeypatch):
    """Rasa opened a new connection per custom-action call; now they are kept
    alive, and an idle one is dropped before the action server would drop it."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers = []

    async def webhook(request):
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setattr(speedups, "IDLE_CONNECTION_SECONDS", 0.3)
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        RemoteAction("action_x", endpoint)
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "action_x"}, method="post") == \
                {"events": [], "responses": []}
        await asyncio.sleep(0.8)
        await endpoint.request(json={"next_action": "action_x"}, method="post")
    finally:
        await runner.cleanup()
    assert len(set(peers[:3])) == 1, "the three calls should share one connection"
    assert peers[3] != peers[0], "an idle connection should have been dropped"
