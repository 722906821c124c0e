"""Facts read off the conversation that every action module may need (kept apart
from actions/base.py so that modules base.py itself uses can read them too)."""

from __future__ import annotations

from rasa_sdk import Tracker


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"
