"""rasa-sdk's plugin package: found by name on the action server's path (rasa_sdk/plugin.py
imports ``rasa_sdk_plugins`` and calls ``init_hooks``). Dana's hooks are in
bot/server/action_server.py: GET /metrics and the action metrics."""

from __future__ import annotations

from typing import Any


def init_hooks(manager: Any) -> None:
    # A missing dependency must stop the action server, not switch the metrics off:
    # rasa-sdk reads any ModuleNotFoundError from here as "no plugins installed".
    try:
        from bot.server import action_server
    except ImportError as error:
        raise RuntimeError(f"Dana's action-server hooks did not load: {error}") from error
    manager.register(action_server)
