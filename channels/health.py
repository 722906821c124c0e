"""Readiness of one Rasa server and what it depends on: GET /webhooks/health.

200 ``{"status": "ok", "checks": {...}}`` when the model is loaded and the
database, the lock store (Redis, when used) and the action server answer;
503 with the failing checks otherwise. The balancer sends the public
``/health`` here, and checks each server with Rasa's own ``GET /`` (liveness),
so a database outage makes the cluster report unhealthy without taking every
server out of rotation (they still answer customers with "write again").
Nothing personal or secret is in the answer: check names and error types only.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import RedisLockStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

TIMEOUT = 2.0  # seconds per check: a health probe must answer quickly
# Blocking checks (database, Redis) run here, not on the event loop; a check
# that hangs past TIMEOUT keeps its thread, so they get their own two threads
# rather than starving the loop's default executor that Rasa uses.
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dana-health")


def _database() -> None:
    from bot.office.db import ping

    ping()


def _action_server_health_url() -> Optional[str]:
    url = os.environ.get("ACTION_SERVER_URL", "")
    return url.rsplit("/webhook", 1)[0] + "/health" if url else None


async def _check(check: Callable[[], Awaitable[Any]]) -> Dict[Text, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), TIMEOUT)
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as error:  # any failure is "not ready"; the type says which
        return {"ok": False, "error": type(error).__name__}


class HealthInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("dana_health", __name__)

        @health.route("/", methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            agent = request.app.ctx.agent
            loop = asyncio.get_running_loop()

            async def model() -> None:
                if not (agent and agent.is_ready()):
                    raise RuntimeError("model not loaded")

            async def database() -> None:
                await loop.run_in_executor(_EXECUTOR, _database)

            async def action_server() -> None:
                url = _action_server_health_url()
                if not url:
                    raise RuntimeError("ACTION_SERVER_URL not set")
                async with aiohttp.ClientSession() as http:
                    async with http.get(url, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as answer:
                        answer.raise_for_status()

            checks = {"model": model, "database": database, "action_server": action_server}
            lock_store = getattr(agent, "lock_store", None)
            if isinstance(lock_store, RedisLockStore):

                async def redis() -> None:
                    await loop.run_in_executor(_EXECUTOR, lock_store.red.ping)

                checks["lock_store"] = redis
            results = dict(zip(checks, await asyncio.gather(*(_check(c) for c in checks.values())), strict=False))
            healthy = all(r["ok"] for r in results.values())
            return response.json(
                {"status": "ok" if healthy else "unavailable", "checks": results},
                status=200 if healthy else 503,
                headers={"Cache-Control": "no-store"},
            )

        return health
