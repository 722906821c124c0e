"""Dana's custom actions, grouped by flow. rasa-sdk registers every Action subclass
defined in the modules imported here."""
from actions import callbacks, diagnostics, handoff, info, language, payments, refunds, technician  # noqa: F401
