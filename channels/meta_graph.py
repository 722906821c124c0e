"""Meta Graph API side of the Meta channel (channels/meta.py): turning Dana's
answers into Send API / WhatsApp Cloud API bodies, sending them with retries,
and downloading attachments under a size cap.

The body builders are plain functions so they can be tested without a server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

import aiohttp

from bot.log_privacy import tag  # noqa: F401 — one masking module for every log line
from channels.text import split_text

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v19.0"
# Platform limits (Meta's documentation): text length per message, quick
# replies per Messenger message, reply buttons per WhatsApp message, the
# length of a button's title, and the body of a WhatsApp interactive message.
TEXT_LIMITS = {"messenger": 2000, "instagram": 1000, "whatsapp": 4096}
MAX_QUICK_REPLIES = 13
MAX_WHATSAPP_BUTTONS = 3
MAX_TITLE = 20
MAX_INTERACTIVE_BODY = 1024
# Waits before the 2nd, 3rd and 4th attempt: short, because the customer waits.
RETRY_DELAYS = (0.2, 0.5, 1.0)


class TooBig(Exception):
    """The file is over the receipt size cap; it was not read in full."""


def short_title(title: Any) -> Text:
    title = str(title or "").strip()
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def _payload(button: Dict[Text, Any]) -> Text:
    return str(button.get("payload") or button.get("title") or "")


def _listing(text: Text, buttons: List[Dict[Text, Any]]) -> Text:
    """Buttons a platform cannot show, written out so the customer can type one."""
    lines = [f"{i}. {b.get('title')}" for i, b in enumerate(buttons, 1)]
    return "\n".join([text.strip(), ""] + lines if text.strip() else lines)


def messenger_bodies(platform: Text, psid: Text, message: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    """Send API bodies (Messenger and Instagram share them) for one answer."""
    if message.get("custom") is not None:
        return []  # e.g. {"handoff": …}: meant for the contact centre, not the customer
    wrap = lambda m: {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": m}  # noqa: E731
    bodies = []
    buttons = list(message.get("buttons") or [])
    text = str(message.get("text") or "")
    if buttons and len(buttons) > MAX_QUICK_REPLIES:
        text, buttons = _listing(text, buttons[MAX_QUICK_REPLIES:]), buttons[:MAX_QUICK_REPLIES]
    if buttons and not text.strip():
        text = _listing("", buttons)  # quick replies need a text to hang on
    chunks = split_text(text, TEXT_LIMITS.get(platform, 2000))
    for i, chunk in enumerate(chunks):
        body: Dict[Text, Any] = {"text": chunk}
        if buttons and i == len(chunks) - 1:  # the choice goes under the last part
            body["quick_replies"] = [
                {"content_type": "text", "title": short_title(b.get("title")), "payload": _payload(b)[:1000]}
                for b in buttons
            ]
        bodies.append(wrap(body))
    for kind, url in (("image", message.get("image")), ("file", message.get("attachment"))):
        if url:
            bodies.append(wrap({"attachment": {"type": kind, "payload": {"url": str(url), "is_reusable": True}}}))
    return bodies


def whatsapp_bodies(wa_id: Text, message: Dict[Text, Any]) -> List[Dict[Text, Any]]:
    """WhatsApp Cloud API bodies for one answer."""
    if message.get("custom") is not None:
        return []
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id}
    buttons = list(message.get("buttons") or [])
    text = str(message.get("text") or "")
    if len(buttons) > MAX_WHATSAPP_BUTTONS:  # WhatsApp shows at most three reply buttons
        text, buttons = _listing(text, buttons), []
    bodies = []
    if buttons:
        chunks = split_text(text, TEXT_LIMITS["whatsapp"]) or [_listing("", buttons)]
        last = chunks.pop()
        if len(last) > MAX_INTERACTIVE_BODY:  # an interactive body is shorter than a text
            *more, last = split_text(last, MAX_INTERACTIVE_BODY)
            chunks += more
        bodies += [{**base, "type": "text", "text": {"body": c}} for c in chunks]
        bodies.append(
            {
                **base,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": last},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": _payload(b)[:256], "title": short_title(b.get("title"))}}
                            for b in buttons
                        ]
                    },
                },
            }
        )
    else:
        bodies += [{**base, "type": "text", "text": {"body": c}} for c in split_text(text, TEXT_LIMITS["whatsapp"])]
    if message.get("image"):
        bodies.append({**base, "type": "image", "image": {"link": str(message["image"])}})
    if message.get("attachment"):
        bodies.append({**base, "type": "document", "document": {"link": str(message["attachment"])}})
    return bodies


class GraphClient:
    """One aiohttp session per server, created on the server's event loop."""

    def __init__(self, graph_url: Text, page_token: Text, whatsapp_token: Text, phone_number_id: Text) -> None:
        self.graph_url = (graph_url or DEFAULT_GRAPH_URL).rstrip("/")
        self.page_token, self.whatsapp_token = page_token, whatsapp_token
        self.phone_number_id = phone_number_id
        self._session: Optional[aiohttp.ClientSession] = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20, connect=5))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, platform: Text, recipient: Text, body: Dict[Text, Any]) -> bool:
        if platform == "whatsapp":
            url = f"{self.graph_url}/{self.phone_number_id}/messages"
            return await self._post(url, body, {"Authorization": f"Bearer {self.whatsapp_token}"}, recipient)
        return await self._post(
            f"{self.graph_url}/me/messages", body, {}, recipient, params={"access_token": self.page_token}
        )

    async def _post(
        self,
        url: Text,
        body: Dict[Text, Any],
        headers: Dict[Text, Text],
        recipient: Text,
        params: Optional[Dict[Text, Text]] = None,
    ) -> bool:
        """POST once; again only after a 5xx or a connection failure, never after a
        4xx (the request itself is wrong, or the 24-hour window is closed).
        Errors are logged without the URL: it can carry the page token."""
        for attempt, delay in enumerate((0.0,) + RETRY_DELAYS):
            if delay:
                await asyncio.sleep(delay)
            try:
                async with self.session.post(url, json=body, headers=headers, params=params) as answer:
                    if answer.status < 400:
                        return True
                    detail = await answer.text()
                    if answer.status < 500:
                        # Meta's error body names the problem, not the customer.
                        logger.error(
                            "Graph API refused a message to %s: %s %s", tag(recipient), answer.status, detail[:300]
                        )
                        return False
                    logger.warning("Graph API %s for %s (attempt %s)", answer.status, tag(recipient), attempt + 1)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.warning(
                    "Graph API unreachable for %s (attempt %s): %s", tag(recipient), attempt + 1, type(error).__name__
                )
        logger.error("Graph API: message to %s not delivered after %s attempts", tag(recipient), len(RETRY_DELAYS) + 1)
        return False

    async def download(self, url: Text, limit: int, bearer: Optional[Text] = None) -> bytes:
        """The file's bytes; TooBig as soon as it is known to exceed ``limit``."""
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        async with self.session.get(url, headers=headers) as answer:
            answer.raise_for_status()
            if (answer.content_length or 0) > limit:
                raise TooBig()
            data = bytearray()
            async for block in answer.content.iter_chunked(64 * 1024):
                data += block
                if len(data) > limit:  # no or a false Content-Length: stop reading here
                    raise TooBig()
            return bytes(data)

    async def whatsapp_media(self, media_id: Text, limit: int) -> bytes:
        """WhatsApp media: its id gives a short-lived URL, fetched with the same token."""
        headers = {"Authorization": f"Bearer {self.whatsapp_token}"}
        async with self.session.get(f"{self.graph_url}/{media_id}", headers=headers) as answer:
            answer.raise_for_status()
            info = await answer.json(content_type=None)
        if int(info.get("file_size") or 0) > limit:
            raise TooBig()
        return await self.download(str(info["url"]), limit, bearer=self.whatsapp_token)
