"""Dana's custom actions, grouped by flow. rasa-sdk registers every Action subclass here."""
from actions import handoff, info  # noqa: F401
