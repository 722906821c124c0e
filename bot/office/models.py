"""Back-office tables. Timestamps are timezone-aware; SQLite keeps them as
UTC text, so values read back are normalised through ``aware()``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeMeta, registry

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata

    if TYPE_CHECKING:  # SQLAlchemy's declarative constructor, as mypy cannot see it without a plugin

        def __init__(self, **columns: Any) -> None: ...


class AwareDateTime(TypeDecorator):
    """Stores UTC, returns aware datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to an aware column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Subscriber(Base):
    __tablename__ = "subscribers"

    login = Column(String(20), primary_key=True)
    full_name = Column(String(200), nullable=False)
    contact_phone = Column(String(16))
    area = Column(String(120), nullable=False)  # outage zone, e.g. "Almaty, Bostandyk"
    address = Column(String(255))
    equipment = Column(String(255))
    balance = Column(Integer, nullable=False, default=0)  # tenge
    fee_paid = Column(Boolean, nullable=False, default=True)  # this month's fee
    line_status = Column(String(16), nullable=False, default="ok")  # ok|cable_cut|link_down
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class Outage(Base):
    __tablename__ = "outages"

    id = Column(Integer, primary_key=True)
    area = Column(String(120), nullable=False, index=True)
    started_at = Column(AwareDateTime, nullable=False, default=utcnow)
    expected_end = Column(AwareDateTime)
    cleared_at = Column(AwareDateTime)
    note = Column(Text, nullable=False, default="")


class TechnicianTicket(Base):
    __tablename__ = "technician_tickets"

    id = Column(Integer, primary_key=True)
    login = Column(String(20), ForeignKey("subscribers.login"), nullable=False, index=True)
    problem = Column(String(64), nullable=False)
    status = Column(String(16), nullable=False, default="open")  # open|scheduled|resolved|cancelled
    contact_phone = Column(String(16))
    conversation_id = Column(String(128))  # where the customer is told of a status change
    channel = Column(String(32), nullable=False, default="rest")
    language = Column(String(2), nullable=False, default="kk")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    callback_due = Column(AwareDateTime, nullable=False)
    visit_due = Column(AwareDateTime, nullable=False)
    resolve_due = Column(AwareDateTime, nullable=False)


class Handoff(Base):
    """A conversation handed to a live operator, with the context they need."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    language = Column(String(2), nullable=False)
    intent = Column(String(64))
    reason = Column(String(32), nullable=False)
    summary = Column(Text, nullable=False, default="")
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    channel = Column(String(32))
    context = Column(Text)  # JSON sent to the contact centre (bot/office/handoff_delivery.py)
    delivered_at = Column(AwareDateTime)
    delivery_attempts = Column(Integer, nullable=False, default=0, server_default="0")
    # Live hand-off (bot/office/handoff.py): status open → resolved; taken by an operator.
    operator = Column(String(64))
    claimed_at = Column(AwareDateTime)
    closed_at = Column(AwareDateTime)
    no_operator_told_at = Column(AwareDateTime)  # «no operator yet» said once


class StaffAction(Base):
    """Who on the staff did what to which conversation or record, and when."""

    __tablename__ = "staff_actions"

    id = Column(Integer, primary_key=True)
    at = Column(AwareDateTime, nullable=False, default=utcnow, index=True)
    staff = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)  # claim, reply, close, view …
    target = Column(String(160), nullable=False)  # e.g. handoff:12


class StaffUser(Base):
    """An operator console account (bot/office/staff.py)."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)  # operator | supervisor
    password_hash = Column(String(255), nullable=False)  # scrypt$n$r$p$salt$hash
    failed_logins = Column(Integer, nullable=False, default=0, server_default="0")  # consecutive
    locked_until = Column(AwareDateTime)
    disabled = Column(Boolean, nullable=False, default=False)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class StaffSession(Base):
    """A console login; only the token's SHA-256 is kept, never the token."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    username = Column(String(64), nullable=False, index=True)
    role = Column(String(16), nullable=False)
    csrf = Column(String(64), nullable=False)
    language = Column(String(2))  # the console's language, kk | ru
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    expires_at = Column(AwareDateTime, nullable=False)
    last_seen_at = Column(AwareDateTime, nullable=False)


class Consent(Base):
    __tablename__ = "consents"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    purpose = Column(String(64), nullable=False)
    granted = Column(Boolean, nullable=False)
    channel = Column(String(32), nullable=False, default="rest")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class RefundRequest(Base):
    """A payment made to a wrong login, to be moved to the right one."""

    __tablename__ = "refund_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    right_login = Column(String(20), nullable=False)
    wrong_login = Column(String(20), nullable=False)
    amount = Column(Integer, nullable=False)
    payment_date = Column(Date, nullable=False)
    payer_name = Column(String(200), nullable=False)
    contact_phone = Column(String(16), nullable=False)
    email = Column(String(200))
    receipt_required = Column(Boolean, nullable=False)
    receipt_reason = Column(String(64))
    receipt_path = Column(String(255))
    status = Column(String(16), nullable=False, default="open")
    channel = Column(String(32), nullable=False, default="rest")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    # How the two logins' owners' names compared (bot/office/name_match.py reason:
    # exact, order, transliteration, patronymic_missing, typo, different_surname, …);
    # None when a login has no subscriber. Added later: nullable, so init_db adds it.
    owners_names = Column(String(64))
    # «HH:MM» when the customer said it with the date (added later: nullable).
    payment_time = Column(String(5))


class PaymentInvestigation(Base):
    """A payment to the right login that has not arrived after 24 hours."""

    __tablename__ = "payment_investigations"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    login = Column(String(20), nullable=False)
    payment_date = Column(Date, nullable=False)
    amount = Column(Integer, nullable=False)
    partner = Column(String(120), nullable=False)
    contact_phone = Column(String(16), nullable=False)
    receipt_path = Column(String(255))
    status = Column(String(16), nullable=False, default="open")
    channel = Column(String(32), nullable=False, default="rest")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    answer_due = Column(AwareDateTime, nullable=False)
    # «HH:MM» when the customer said it with the date (added later: nullable).
    payment_time = Column(String(5))


class CallbackRequest(Base):
    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    phone = Column(String(16), nullable=False)
    topic = Column(String(255), nullable=False, default="")
    language = Column(String(2), nullable=False)
    status = Column(String(16), nullable=False, default="open")
    channel = Column(String(32), nullable=False, default="rest")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class Receipt(Base):
    """A payment receipt a customer sent as a photo or file on a channel that
    carries attachments. Linked to the conversation's latest refund or
    payment investigation, or kept until one is filed."""

    __tablename__ = "receipts"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    request_kind = Column(String(16))  # refund | investigation | None (not yet filed)
    request_id = Column(Integer)
    path = Column(String(255), nullable=False)
    mime = Column(String(64), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class CsatAnswer(Base):
    """A customer's answer to the satisfaction question (bot/office/csat.py)."""

    __tablename__ = "csat_answers"

    id = Column(Integer, primary_key=True)
    # None once the retention period is over: the rating stays for the statistics.
    conversation_id = Column(String(128), index=True)
    rating = Column(Integer, nullable=False)  # LIMITS.csat_lowest … csat_highest
    flow = Column(String(32))  # technician, refund, payment_check, callback, handoff
    channel = Column(String(32), nullable=False)
    language = Column(String(2), nullable=False)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow, index=True)


class OutageNotice(Base):
    """A customer Dana told about an outage: told again when it is cleared."""

    __tablename__ = "outage_notices"
    __table_args__ = (UniqueConstraint("outage_id", "conversation_id"),)

    id = Column(Integer, primary_key=True)
    outage_id = Column(Integer, ForeignKey("outages.id"), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=False)
    told_at = Column(AwareDateTime, nullable=False, default=utcnow)
    # Added later (nullable): who was told, for staff (bot/office/outages.py affected()).
    channel = Column(String(32))
    login = Column(String(20))


class Notification(Base):
    """A message to a customer outside their conversation's turns (bot/office/notices.py):
    one per change and conversation, sent by a Rasa server in the day window."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("conversation_id", "change"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False)
    change = Column(String(64), nullable=False)  # e.g. ticket:12:resolved, outage:3:cleared
    response = Column(String(64), nullable=False)  # utter_notify_…
    slots = Column(Text, nullable=False, default="{}")  # JSON: what the response names ({ticket_id} …)
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)
    sent_at = Column(AwareDateTime, index=True)
    outcome = Column(String(32))  # sent | undeliverable: <why>


class ConnectionReport(Base):
    """A customer said the internet is down and gave a login whose area has no
    outage declared (bot/office/outages.py): a burst of them from one area raises
    a SuspectedOutage."""

    __tablename__ = "connection_reports"
    __table_args__ = (Index("ix_connection_reports_area_created_at", "area", "created_at"),)

    id = Column(Integer, primary_key=True)
    login = Column(String(20), nullable=False, index=True)
    area = Column(String(120), nullable=False)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False, default="rest")
    language = Column(String(2), nullable=False, default="kk")
    created_at = Column(AwareDateTime, nullable=False, default=utcnow)


class SuspectedOutage(Base):
    """Many logins of one area reported the internet down at once
    (bot/office/outages.py): open until staff confirm it (an outage is declared)
    or dismiss it. At most one open per area — the partial unique index makes
    two servers raising it at the same moment raise it once."""

    __tablename__ = "suspected_outages"
    __table_args__ = (
        Index(
            "uq_suspected_outages_open_area",
            "area",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id = Column(Integer, primary_key=True)
    area = Column(String(120), nullable=False)
    status = Column(String(16), nullable=False, default="open")  # open|confirmed|dismissed
    reports = Column(Integer, nullable=False)  # different logins when it was raised
    first_report_at = Column(AwareDateTime, nullable=False)
    raised_at = Column(AwareDateTime, nullable=False, default=utcnow)
    decided_by = Column(String(64))
    decided_at = Column(AwareDateTime)
    outage_id = Column(Integer, ForeignKey("outages.id"))  # the outage a confirmation declared


# Rasa's tracker store table (SQLTrackerStore.SQLEvent) in the same database, as
# the back office reads it (python -m bot stats, export-misses): only these
# columns; its own MetaData, so init_db never creates or alters it.
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
