"""Receipts sent as photos or files: checked, stored, linked to a request.

Channels that carry attachments (Telegram, Messenger, Instagram, WhatsApp)
download the file and call ``store_receipt``; Dana then confirms it in the
customer's language (intent ``send_receipt``, action_receipt_received). The
type is read from the file's first bytes, not from what the sender declares.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import LIMITS, settings
from bot.office.models import PaymentInvestigation, Receipt, RefundRequest

# Accepted receipt formats: what phones photograph and what banks' apps export.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


def sniff_type(data: bytes) -> Optional[tuple[str, str]]:
    """(mime, extension) of a JPEG, PNG, WebP or PDF file, else None."""
    for magic, mime, ext in _SIGNATURES:
        if data.startswith(magic):
            return mime, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


class ReceiptRejected(ValueError):
    """reason: empty | too_big | bad_type"""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StoredReceipt:
    id: int
    request_kind: Optional[str]
    request_id: Optional[int]


def check_receipt(data: bytes) -> tuple[str, str]:
    if not data:
        raise ReceiptRejected("empty")
    if len(data) > LIMITS.max_receipt_bytes:
        raise ReceiptRejected("too_big")
    found = sniff_type(data)
    if not found:
        raise ReceiptRejected("bad_type")
    return found


def latest_request(session: Session, conversation_id: str) -> tuple[Optional[str], Optional[int]]:
    """The conversation's most recent refund or investigation."""
    candidates = []
    for kind, model in (("refund", RefundRequest), ("investigation", PaymentInvestigation)):
        row = (
            session.execute(
                select(model).where(model.conversation_id == conversation_id).order_by(model.created_at.desc())
            )
            .scalars()
            .first()
        )
        if row:
            candidates.append((row.created_at, kind, row))
    if not candidates:
        return None, None
    _, kind, row = max(candidates, key=lambda c: c[0])
    return kind, row.id


def _link(session: Session, receipt: Receipt, kind: Optional[str], request_id: Optional[int]) -> None:
    receipt.request_kind, receipt.request_id = kind, request_id
    model = {"refund": RefundRequest, "investigation": PaymentInvestigation}.get(kind or "")
    if model is not None:
        session.get(model, request_id).receipt_path = receipt.path


def store_receipt(session: Session, *, conversation_id: str, channel: str, data: bytes, now: datetime) -> StoredReceipt:
    """Check and save one file; the same file twice in a conversation is stored once."""
    mime, ext = check_receipt(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = (
        session.execute(select(Receipt).where(Receipt.conversation_id == conversation_id, Receipt.sha256 == digest))
        .scalars()
        .first()
    )
    if existing:
        return StoredReceipt(existing.id, existing.request_kind, existing.request_id)
    directory = settings().receipts_dir / now.strftime("%Y-%m")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest}{ext}"
    path.write_bytes(data)
    receipt = Receipt(
        conversation_id=conversation_id,
        channel=channel,
        path=str(path),
        mime=mime,
        size=len(data),
        sha256=digest,
        created_at=now,
    )
    session.add(receipt)
    _link(session, receipt, *latest_request(session, conversation_id))
    session.flush()
    return StoredReceipt(receipt.id, receipt.request_kind, receipt.request_id)


def attach_pending(session: Session, conversation_id: str, kind: str, request_id: int) -> int:
    """Receipts sent before the request was filed join it now; returns how many."""
    pending = (
        session.execute(select(Receipt).where(Receipt.conversation_id == conversation_id, Receipt.request_id.is_(None)))
        .scalars()
        .all()
    )
    for receipt in pending:
        _link(session, receipt, kind, request_id)
    return len(pending)


def keep_receipt(*, conversation_id: str, channel: str, data: bytes) -> StoredReceipt:
    """store_receipt in its own transaction: what a channel calls (in a thread —
    it is blocking SQL and file I/O). Raises ReceiptRejected."""
    from bot.office.db import new_session
    from bot.office.models import utcnow

    with new_session() as session, session.begin():
        return store_receipt(session, conversation_id=conversation_id, channel=channel, data=data, now=utcnow())
