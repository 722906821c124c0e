"""The one place for Dana's settings and business numbers.

Business numbers come from the operator's FAQ (see docs/spec/policy.md).
Responses reference them as placeholders (``{support_phone}`` …) which the
NLG fills from ``response_placeholders()``; actions and services import them
from here. Deployment settings come from environment variables only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent

ASTANA = ZoneInfo("Asia/Almaty")  # Astana time, UTC+5 since 2024-03-01 (tzdata)
LANGUAGES = ("kk", "ru")
# Input channels that carry photos and files (receipts can be sent there).
ATTACHMENT_CHANNELS = ("telegram", "messenger", "instagram", "whatsapp")
DEFAULT_LANGUAGE = "kk"


@dataclass(frozen=True)
class Policy:
    """Business rules from the Home Internet FAQ."""

    support_phone: str = "3131"  # Home Internet support, free from any KZ mobile
    mobile_support_phone: str = "116"  # Beeline mobile numbers
    callback_hours: int = 2  # specialist calls back after a technician request
    visit_days: int = 1  # technician comes within a day
    resolve_days: int = 3  # latest resolution
    work_start: time = time(9, 0)  # technicians work every day
    work_end: time = time(18, 0)
    callback_window_start: time = time(9, 0)  # callback ordering, Astana time
    callback_window_end: time = time(22, 0)
    # Live chat operators. Not in the FAQ: a contact-centre setting, assumed
    # to match the callback window; outside it a hand-off waits for the morning.
    operator_desk_start: time = time(9, 0)
    operator_desk_end: time = time(22, 0)
    # Messages Dana sends unasked (a request's status, an outage over): not at
    # night. A product decision, the same hours as callbacks.
    notify_start: time = time(9, 0)
    notify_end: time = time(22, 0)
    billing_start_day: int = 27  # subscription fee charged 27th … 4th
    billing_end_day: int = 4
    receipt_amount_threshold: int = 10_000  # tenge; exactly 10 000 needs a receipt
    refund_claim_days: int = 30
    max_digits_without_receipt: int = 3  # login typo in 1–3 digits
    payment_wait_hours: int = 24  # before a payment investigation
    investigation_days: int = 3
    # Not in the FAQ (it promises no time for a wrong-login refund): the back
    # office's target for answering one (bot/office/requests.py), assumed to be
    # the investigations' 3 days.
    refund_answer_days: int = 3
    password_wait_minutes: int = 30
    reboot_minutes: int = 2

    @property
    def min_digits_with_receipt(self) -> int:
        return self.max_digits_without_receipt + 1


@dataclass(frozen=True)
class Limits:
    """Conversation limits (product decisions, not from the FAQ)."""

    max_message_chars: int = 2000  # longer messages are cut before NLU
    max_receipt_bytes: int = 10 * 1024 * 1024  # a phone photo or a PDF; larger is refused
    login_attempts: int = 3  # unknown/invalid login strikes before an operator
    # A home-internet payment above this (tenge) is a typo, a phone or a login:
    # the customer is asked for the amount again.
    max_payment_amount: int = 10_000_000
    fallbacks_before_operator: int = 2
    nlu_fallback_threshold: float = 0.45  # keep in sync with config.yml (tested)
    nlu_review_confidence: float = 0.6  # export-misses: answered, but too unsure to go unchecked
    # Customer satisfaction (actions/csat.py): the rating scale, as the question's
    # buttons show it (domain/responses/csat.yml, tested), and the lowest rating
    # that counts as satisfied in python -m bot stats («4–5»).
    csat_lowest: int = 1
    csat_highest: int = 5
    csat_satisfied_from: int = 4
    stats_days: int = 7  # python -m bot stats without --since: this many days back
    # A PostgreSQL or Redis restart takes a few seconds: a turn waits this long
    # for them before the customer is told to write again.
    database_retry_seconds: float = 20.0
    lock_store_retry_seconds: float = 10.0
    # A conversation's lock (bot/server/redis_locks.py) lives this long unless its
    # server renews it, which it does every heartbeat while it works: a killed
    # server's conversations are free within seconds, a live one keeps its lock
    # however long a turn takes. The lifetime must outlast a few missed beats.
    lock_ticket_seconds: float = 5.0
    lock_heartbeat_seconds: float = 1.0
    lock_poll_seconds: float = 0.1  # a queued message checks whether its turn has come
    action_retry_seconds: float = 15.0  # an action server dying, the database restarting
    # Messages one sender may send per window (bot/server/rate_limit.py). A fast typist
    # or a customer clicking through buttons sends a few a minute; 20 is only
    # reached by a script or a stuck client, whose flood would otherwise hold
    # the sender's lock and a CPU core. Override: DANA_RATE_LIMIT=<messages>/<seconds>.
    rate_limit_messages: int = 20
    rate_limit_window_seconds: int = 60
    # Messages a Rasa worker processes at once; the rest wait in arrival order,
    # at most admission_wait_seconds (bot/server/admission.py). A turn is CPU work on
    # the worker's one thread; a second keeps it busy while the first waits for
    # the action server (measured: p95 at 16 concurrent 97–125 ms with 2,
    # 105–155 with 3, 149–228 with 6; with the cheaper turns of 2026-12-01,
    # 83–96 with 2, 96–101 with 3). Where action calls are slow, raise it:
    # DANA_ACTIVE_MESSAGES=<n>, or «off».
    active_messages_per_worker: int = 2
    admission_wait_seconds: float = 2.0
    max_rest_body_bytes: int = 64 * 1024  # REST channel: a message is at most 2000 characters
    # Sender/conversation ids from every channel and the HTTP API: the back
    # office keeps them in String(128) columns (Rasa's tracker store in 255).
    max_conversation_id_chars: int = 128
    # Live hand-off (bot/server/operator_desk.py): a hand-off no operator has
    # taken after this long gets one «no operator yet» message and Dana takes
    # the conversation back; the desk looks for such hand-offs this often.
    handoff_wait_seconds: float = 180.0
    handoff_check_seconds: float = 5.0
    # Meta delivers a business's message only within 24 h of the customer's last one.
    meta_reply_window_hours: int = 24
    transcript_messages: int = 100  # the latest messages of a conversation an operator sees
    # Suspected outage (bot/office/outages.py): this many different logins of one
    # area saying «no internet» within this many minutes, with no outage declared,
    # and the contact centre is alerted. One home's router fails alone; five
    # neighbours within ten minutes is the street's line more often than not,
    # and an alert staff dismiss costs less than an hour of an undeclared outage.
    suspected_outage_reports: int = 5
    suspected_outage_minutes: int = 10
    # Operator console accounts (bot/office/staff.py). A session ends after a
    # working shift whatever happens, and sooner on a console left unattended.
    staff_session_hours: int = 8
    staff_idle_minutes: int = 30
    # Consecutive wrong passwords before an account is locked, and for how long:
    # slows guessing to a few tries an hour without locking a typo-prone operator out for the day.
    staff_lockout_failures: int = 5
    staff_lockout_minutes: int = 15
    staff_password_min_chars: int = 10  # a passphrase; the console has no second factor
    # The console's live view (channels/console.py) reads the queue, suspected
    # outages and an open conversation from the database this often (any server
    # of the cluster sees the others' changes), and checks the session is still valid.
    console_poll_seconds: float = 1.0
    console_session_check_seconds: float = 30.0
    console_max_days: int = 366  # analytics: the longest date range at once


@dataclass(frozen=True)
class Settings:
    """Deployment settings, read from the environment once."""

    database_url: str = field(
        default_factory=lambda: os.environ.get("DANA_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'dana.db'}")
    )
    rasa_port: int = field(default_factory=lambda: int(os.environ.get("RASA_PORT", "5005")))
    action_port: int = field(default_factory=lambda: int(os.environ.get("ACTION_PORT", "5055")))
    log_level: str = field(default_factory=lambda: os.environ.get("DANA_LOG_LEVEL", "INFO"))
    # Conversations and personal data older than this are purged (python -m bot purge).
    retention_days: int = field(default_factory=lambda: int(os.environ.get("DANA_RETENTION_DAYS", "90")))
    # (messages, seconds) per sender; "off" disables the limit (load benches).
    rate_limit: tuple = field(default_factory=lambda: _rate_limit(os.environ.get("DANA_RATE_LIMIT", "")))
    receipts_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("DANA_RECEIPTS_DIR", ROOT / "var" / "receipts"))
    )
    # Missed messages supervisors labelled in the console (bot/office/analytics.py
    # label): Rasa NLU YAML, outside nlu/ until scripts/add_nlu_examples.py adds it.
    labelled_file: Path = field(
        default_factory=lambda: Path(os.environ.get("DANA_LABELLED_FILE", ROOT / "var" / "labelled.yml"))
    )


POLICY = Policy()
LIMITS = Limits()


def _rate_limit(value: str) -> tuple:
    """«20/60» → (20, 60); empty → the Limits default; «off» → (0, 0)."""
    if value.strip().lower() == "off":
        return (0, 0)
    if not value.strip():
        return (LIMITS.rate_limit_messages, LIMITS.rate_limit_window_seconds)
    messages, _, seconds = value.partition("/")
    return (int(messages), int(seconds or LIMITS.rate_limit_window_seconds))


def settings() -> Settings:
    """Settings are re-read on each call so tests can change the environment."""
    return Settings()


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def response_placeholders() -> dict[str, str]:
    """Values for the business placeholders used in domain responses."""
    p = POLICY
    return {
        "support_phone": p.support_phone,
        "mobile_support_phone": p.mobile_support_phone,
        "callback_hours": str(p.callback_hours),
        "visit_days": str(p.visit_days),
        "resolve_days": str(p.resolve_days),
        "work_start": _hhmm(p.work_start),
        "work_end": _hhmm(p.work_end),
        "callback_window_start": _hhmm(p.callback_window_start),
        "callback_window_end": _hhmm(p.callback_window_end),
        "max_receipt_mb": str(LIMITS.max_receipt_bytes // (1024 * 1024)),
        "operator_desk_start": _hhmm(p.operator_desk_start),
        "operator_desk_end": _hhmm(p.operator_desk_end),
        "billing_start_day": str(p.billing_start_day),
        "billing_end_day": str(p.billing_end_day),
        "receipt_amount_threshold": _thousands(p.receipt_amount_threshold),
        "refund_claim_days": str(p.refund_claim_days),
        "max_digits_without_receipt": str(p.max_digits_without_receipt),
        "min_digits_with_receipt": str(p.min_digits_with_receipt),
        "payment_wait_hours": str(p.payment_wait_hours),
        "investigation_days": str(p.investigation_days),
        "password_wait_minutes": str(p.password_wait_minutes),
        "reboot_minutes": str(p.reboot_minutes),
        # The wait a rate-limited sender is told, in whole minutes (at least one).
        "rate_limit_minutes": str(max(1, -(-settings().rate_limit[1] // 60))),
    }
