"""Telling the contact centre about a hand-off: a signed, retried webhook.

The action server records the hand-off first (bot/office/handoff.py), answers the
customer, and only then delivers in the background, so a slow or failing
contact-centre system never delays the customer's reply. A hand-off that
could not be delivered stays undelivered in the database: the admin CLI lists
it (``python -m bot list handoffs``) and ``python -m bot deliver-handoffs``
sends it again.

Request: POST DANA_HANDOFF_WEBHOOK_URL, JSON body (``event: handoff`` and the
hand-off context),
with the conversation so far (``transcript``; its texts masked as logs are
unless DANA_HANDOFF_WEBHOOK_TRUSTED=1 says the receiver may see personal data),
headers ``X-Dana-Signature: sha256=<HMAC-SHA256 of the body with
DANA_HANDOFF_WEBHOOK_SECRET>`` and ``X-Dana-Delivery: handoff-<id>`` (the same
on every retry, so the receiver can drop duplicates).

While the conversation is handed over, the Rasa server posts each customer
message the same way (``event: customer_message``, bot/server/handoff_relay.py),
so a platform like Chatwoot shows it to the operator at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from typing import Any, Dict, List, Optional, Set, Tuple

import aiohttp
from sqlalchemy import select

from bot.log_privacy import mask_text
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


async def _post(body: bytes, delivery: str, delays: Optional[tuple], what: str) -> Tuple[int, bool]:
    """(attempts, delivered): POST a signed body; retry on connection errors and
    5xx, never on 4xx."""
    headers = {
        "Content-Type": "application/json",
        "X-Dana-Signature": signature(body),
        "X-Dana-Delivery": delivery,
    }
    attempts, delivered = 0, False
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for delay in (0.0, *(RETRY_DELAYS if delays is None else delays)):
            await asyncio.sleep(delay)
            attempts += 1
            try:
                async with session.post(webhook_url(), data=body, headers=headers) as answer:
                    if answer.status < 300:
                        delivered = True
                        break
                    if answer.status < 500:
                        logger.error("%s refused by the contact centre: HTTP %s", what, answer.status)
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning("%s delivery attempt %s failed: %s", what, attempts, type(error).__name__)
    return attempts, delivered


async def deliver(handoff_id: int, payload: Dict[str, Any], delays: Optional[tuple] = None) -> bool:
    """POST one hand-off (``event: handoff``) and record the attempts."""
    if not webhook_url():
        return False
    payload = {**payload, "transcript": [_as_sent(said) for said in payload.get("transcript") or []]}
    body = json.dumps({"event": "handoff", "handoff_id": handoff_id, **payload}, ensure_ascii=False).encode()
    attempts, delivered = await _post(body, f"handoff-{handoff_id}", delays, f"hand-off {handoff_id}")
    _record_attempts(handoff_id, attempts, delivered)
    return delivered


async def relay_customer_message(
    handoff_id: int, conversation_id: str, text: str, timestamp: float, delays: Optional[tuple] = None
) -> bool:
    """A customer's message in a handed-over conversation (``event:
    customer_message``), so a contact-centre platform shows it to its operator."""
    if not webhook_url():
        return False
    said = _as_sent({"text": text})["text"]
    body = json.dumps(
        {
            "event": "customer_message",
            "handoff_id": handoff_id,
            "conversation_id": conversation_id,
            "text": said,
            "timestamp": timestamp,
        },
        ensure_ascii=False,
    ).encode()
    delivery = f"message-{handoff_id}-{timestamp:.6f}"
    return (await _post(body, delivery, delays, f"message of hand-off {handoff_id}"))[1]


def _as_sent(said: Dict[str, Any]) -> Dict[str, Any]:
    if os.environ.get("DANA_HANDOFF_WEBHOOK_TRUSTED", "").lower() in ("1", "true", "yes"):
        return said
    return {**said, "text": mask_text(said.get("text") or "")}


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
