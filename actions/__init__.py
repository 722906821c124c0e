"""Dana's custom actions, one module per flow (docs/flows.md) plus shared helpers.
rasa-sdk registers every Action subclass defined in the modules imported here."""

from actions import (  # noqa: F401 — imported for the Action subclasses they define
    callback,
    csat,
    diagnostics,
    general,
    handoff,
    payment_check,
    receipts,
    refund,
    technician,
)
