"""Telling the contact centre about a hand-off: a signed, retried webhook.

The action server records the hand-off first (bot/office/handoff.py), answers the
customer, and only then delivers in the background, so a slow or failing
contact-centre system never delays the customer's reply. A hand-off that
could not be delivered stays undelivered in the database: the admin CLI lists
it (``python -m bot list handoffs``) and ``python -m bot deliver-handoffs``
sends it again.

Request: POST DANA_HANDOFF_WEBHOOK_URL, JSON body (the hand-off context),
headers ``X-Dana-Signature: sha256=<HMAC-SHA256 of the body with
DANA_HANDOFF_WEBHOOK_SECRET>`` and ``X-Dana-Delivery: handoff-<id>`` (the same
on every retry, so the receiver can drop duplicates).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from typing import Any, Dict, List, Optional, Set

import aiohttp
from sqlalchemy import select

from bot.office.db import new_session
from bot.office.models import Handoff, utcnow

logger = logging.getLogger(__name__)

RETRY_DELAYS = (0.5, 2.0, 5.0)  # seconds before the 2nd, 3rd, 4th attempt
_background: Set[asyncio.Task] = set()  # keeps scheduled deliveries alive


def webhook_url() -> str:
    return os.environ.get("DANA_HANDOFF_WEBHOOK_URL", "")


def signature(body: bytes, secret: Optional[str] = None) -> str:
    key = (secret if secret is not None else os.environ.get("DANA_HANDOFF_WEBHOOK_SECRET", "")).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


async def deliver(handoff_id: int, payload: Dict[str, Any], delays: Optional[tuple] = None) -> bool:
    """POST one hand-off; retry on connection errors and 5xx, never on 4xx."""
    url = webhook_url()
    if not url:
        return False
    body = json.dumps({"handoff_id": handoff_id, **payload}, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Dana-Signature": signature(body),
        "X-Dana-Delivery": f"handoff-{handoff_id}",
    }
    attempts, delivered = 0, False
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for delay in (0.0, *(RETRY_DELAYS if delays is None else delays)):
            await asyncio.sleep(delay)
            attempts += 1
            try:
                async with session.post(url, data=body, headers=headers) as answer:
                    if answer.status < 300:
                        delivered = True
                        break
                    if answer.status < 500:
                        logger.error("hand-off %s refused by the contact centre: HTTP %s", handoff_id, answer.status)
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("hand-off %s delivery attempt %s failed: %s", handoff_id, attempts, type(error).__name__)
    _record_attempts(handoff_id, attempts, delivered)
    return delivered


def _record_attempts(handoff_id: int, attempts: int, delivered: bool) -> None:
    try:
        with new_session() as session, session.begin():
            row = session.get(Handoff, handoff_id)
            if row is not None:
                row.delivery_attempts = (row.delivery_attempts or 0) + attempts
                if delivered:
                    row.delivered_at = utcnow()
    except Exception:  # the delivery itself happened; the next retry run will see it
        logger.exception("could not record the delivery of hand-off %s", handoff_id)


def deliver_in_background(handoff_id: int, payload: Dict[str, Any]) -> None:
    if not webhook_url():
        return
    task = asyncio.get_running_loop().create_task(deliver(handoff_id, payload))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def deliver_pending(delays: Optional[tuple] = None) -> List[int]:
    """Deliver every hand-off the contact centre has not received; ids delivered."""
    with new_session() as session:
        rows = (
            session.execute(select(Handoff).where(Handoff.delivered_at.is_(None)).order_by(Handoff.id)).scalars().all()
        )
        pending = [(row.id, json.loads(row.context or "{}")) for row in rows]
    return [hid for hid, payload in pending if await deliver(hid, payload, delays)]
