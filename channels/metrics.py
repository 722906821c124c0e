"""Dana's Prometheus metrics of this Rasa server: GET /metrics (text exposition format).

A channel only to get a route onto Rasa's app through Rasa's own extension point
(credentials.yml): it takes no messages. Rasa mounts a channel's blueprint at
``urljoin("/webhooks/", channel.url_prefix())`` (rasa/core/channels/channel.py
``register``); the prefix "/" puts it at the root, where Prometheus looks.

No token: what it serves is counts by channel, language, intent, hand-off reason and
action, and the process's own figures (bot/server/metrics.py) — no sender id, login,
phone or text. The public balancer does not pass it on (deploy/haproxy.cfg): Prometheus
scrapes each server directly (deploy/prometheus.yml, docs/metrics.md).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.server import metrics


class MetricsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "metrics"

    def url_prefix(self) -> Text:
        return "/"  # urljoin("/webhooks/", "/") == "/": GET /metrics, not /webhooks/metrics

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("dana_metrics", __name__)

        @page.route("/metrics", methods=["GET"])
        async def scrape(_: Request) -> HTTPResponse:
            body, content_type = metrics.exposition()
            return HTTPResponse(body, content_type=content_type, headers={"Cache-Control": "no-store"})

        return page
