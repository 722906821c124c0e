"""Telegram channel on python-telegram-bot 22 (webhook with a secret token).

Why not Rasa's own ``telegram`` channel: it is built on aiogram 2 and cannot
check Telegram's ``X-Telegram-Bot-Api-Secret-Token``; aiogram 3 cannot share
an environment with Rasa 3.6 (pydantic 1). PTB is used only as a typed Bot API
client here; Rasa's Sanic server receives the webhook.

- POST /webhooks/telegram/webhook: the secret header must match (else 403);
  the update is acknowledged at once and handled in the background, so a slow
  turn never makes Telegram re-deliver it; replayed update ids are ignored.
- /start greets in the user's Telegram language (kk or ru).
- Buttons become an inline keyboard; a click is answered
  (answerCallbackQuery), its keyboard removed, and its payload sent to Dana.
- Photos and documents are receipts (bot/office/receipts.py checks type and size).
- Long answers are split under Telegram's 4,096 characters and sent as HTML
  with the text escaped, so «<», «&» in an answer can never break a message.

Register the webhook: ``python -m channels.telegram set-webhook https://host``.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import html
import json
import logging
import os
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.config import LIMITS
from bot.office.receipts import ReceiptRejected, keep_receipt
from bot.server.nlg import text_outside_a_turn
from bot.text.language.reply import UNDECIDED, client_language, reply_language, start_text
from channels.base import GuardedInput
from channels.text import split_text

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
# Neither text nor a receipt (a voice message, a sticker …): said in both languages,
# the channel does not know the customer's (domain/responses/channels.yml).
UNSUPPORTED = "utter_unsupported_voice_or_sticker"


def make_bot(token: Text, api_url: Text) -> Bot:
    root = (api_url or "https://api.telegram.org").rstrip("/")
    # PTB's default pool has one connection; Dana answers many chats at once.
    request = HTTPXRequest(connection_pool_size=32, read_timeout=15, write_timeout=15)
    return Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot", request=request)


def keyboard(buttons: List[Dict[Text, Any]]) -> InlineKeyboardMarkup:
    """One button per row; callback data is the payload (Telegram allows 64 bytes)."""
    rows = []
    for button in buttons:
        payload = str(button.get("payload") or button.get("title"))
        if len(payload.encode()) > 64:
            payload = str(button.get("title"))[:32]
        rows.append([InlineKeyboardButton(str(button.get("title"))[:64], callback_data=payload)])
    return InlineKeyboardMarkup(rows)


class TelegramOutput(OutputChannel):
    """Sends Dana's answers to one chat as they are produced. Rasa addresses
    them to the conversation id («telegram:<chat>»); Telegram needs the chat."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    def __init__(self, bot: Bot, chat_id: Optional[Text] = None) -> None:
        # Without a chat (a message outside a turn): the chat of the conversation id.
        self.bot, self.chat_id = bot, chat_id

    def _chat(self, recipient_id: Text) -> Text:
        return self.chat_id or recipient_id.removeprefix(f"{CHANNEL}:")

    async def _send(self, recipient_id: Text, text: Text, markup: Optional[InlineKeyboardMarkup] = None) -> None:
        chunks = split_text(text, MessageLimit.MAX_TEXT_LENGTH) or [""]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await self.bot.send_message(
                self._chat(recipient_id),
                html.escape(chunk, quote=False),
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
            )

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text, keyboard(buttons))

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, text, keyboard(quick_replies))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.bot.send_photo(self._chat(recipient_id), image)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        # {"handoff": {...}} is for the contact centre (delivered by the action
        # server), not for the customer; other custom payloads are not used.
        pass


class RecentIds:
    """Update ids seen lately: Telegram re-delivers when it doubts a delivery."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.ids: OrderedDict[int, None] = OrderedDict()

    def seen(self, key: int) -> bool:
        if key in self.ids:
            return True
        self.ids[key] = None
        if len(self.ids) > self.size:
            self.ids.popitem(last=False)
        return False


def _malformed(update: Optional[Update]) -> Optional[Text]:
    """PTB builds an Update from any JSON without checking types; a text that is
    a number would fail later, in the background, with no answer to anyone."""
    message = update.effective_message if update else None
    for field in ("text", "caption"):
        value = getattr(message, field, None) if message else None
        if value is not None and not isinstance(value, str):
            return f"message.{field} must be a string"
    query = update.callback_query if update else None
    if query is not None and query.data is not None and not isinstance(query.data, str):
        return "callback_query.data must be a string"
    return None


class TelegramInput(GuardedInput):
    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        credentials = credentials or {}
        return cls(
            credentials.get("token") or "", credentials.get("secret_token") or "", credentials.get("api_url") or ""
        )

    def __init__(self, token: Text, secret_token: Text, api_url: Text = "") -> None:
        self.token, self.secret_token = token, secret_token
        self.bot = make_bot(token, api_url) if token else None
        self.recent = RecentIds()
        self._ready: Optional[asyncio.Task] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return TelegramOutput(self.bot) if self.bot else None

    def routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("telegram_webhook", __name__)
        text_outside_a_turn(UNSUPPORTED, UNDECIDED)  # reads domain/ now, not in the first chat's turn

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.bot else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not (self.bot and self.secret_token):
                return response.json({"error": "Telegram channel is not configured"}, status=503)
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
                return response.json({"error": "wrong or missing secret token"}, status=403)
            try:
                data = json.loads(request.body or b"")
                update = Update.de_json(data, self.bot)
            except (ValueError, TypeError, KeyError, AttributeError):
                return response.json({"error": "body is not a Telegram update"}, status=400)
            problem = _malformed(update)
            if problem:
                return response.json({"error": problem}, status=400)
            if update is None or self.recent.seen(update.update_id):
                return response.json({"status": "ignored"})
            request.app.add_task(self._handle(update, on_new_message))
            return response.json({"status": "ok"})

        return hook

    async def _handle(self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            assert self.bot is not None  # receive() hands over updates only with a bot
            if self._ready is None or (self._ready.done() and self._ready.exception()):
                # getMe once, on the server's event loop; again after a failure.
                self._ready = asyncio.ensure_future(self.bot.initialize())
            await asyncio.shield(self._ready)
            if update.callback_query:
                await self._handle_click(update, on_new_message)
            elif update.effective_message and update.effective_chat:
                await self._handle_message(update.effective_message, on_new_message)
        except TelegramError as error:
            logger.error("Telegram API error: %s", type(error).__name__)
        except Exception:  # one bad update must not stop the channel
            logger.exception("Telegram update failed")

    async def _handle_click(self, update: Update, on_new_message) -> None:
        query = update.callback_query
        assert query is not None and self.bot is not None  # _handle calls this for a click, with a bot
        await query.answer()  # stops the button's spinner
        if query.message and isinstance(query.message, Message):
            # The choice is made: remove the keyboard so it is not pressed twice.
            await self.bot.edit_message_reply_markup(query.message.chat_id, query.message.message_id, reply_markup=None)
        chat_id = str(query.message.chat.id) if query.message else str(query.from_user.id)
        await on_new_message(self._user_message(query.data or "", chat_id))

    async def _handle_message(self, message: Message, on_new_message) -> None:
        chat_id = str(message.chat.id)
        if message.text and message.text.startswith("/start"):
            # The client language is the hint (bot/text/language/reply.py); else Kazakh.
            code = message.from_user.language_code if message.from_user else None
            language = reply_language(hints=[client_language(code)])
            await on_new_message(self._user_message(start_text(language), chat_id))
        elif message.text:
            await on_new_message(self._user_message(message.text[: LIMITS.max_message_chars], chat_id))
        elif message.photo or message.document:
            await on_new_message(
                self._user_message("/send_receipt", chat_id, {"receipt": await self._receipt(message, chat_id)})
            )
        elif message.caption:
            await on_new_message(self._user_message(message.caption, chat_id))
        else:
            assert self.bot is not None  # only _handle calls this, with a bot
            await self.bot.send_message(chat_id, text_outside_a_turn(UNSUPPORTED, UNDECIDED))

    async def _receipt(self, message: Message, chat_id: Text) -> Dict[Text, Any]:
        """Download, check and store the file; what happened goes to Dana."""
        attachment = message.photo[-1] if message.photo else message.document  # largest photo size
        assert attachment is not None and self.bot is not None  # called for a photo or document, with a bot
        if attachment.file_size and attachment.file_size > LIMITS.max_receipt_bytes:
            return {"status": "rejected", "reason": "too_big"}  # not downloaded at all
        file = await self.bot.get_file(attachment.file_id)
        data = bytes(await file.download_as_bytearray())
        try:
            # Blocking SQL and file I/O: in a thread, the event loop serves other chats.
            stored = await asyncio.to_thread(
                keep_receipt, conversation_id=self._sender(chat_id), channel=CHANNEL, data=data
            )
        except ReceiptRejected as rejected:
            return {"status": "rejected", "reason": rejected.reason}
        return {"status": "stored", "request_kind": stored.request_kind, "request_id": stored.request_id}

    @staticmethod
    def _sender(chat_id: Text) -> Text:
        return f"telegram:{chat_id}"

    def _user_message(self, text: Text, chat_id: Text, metadata: Optional[Dict[Text, Any]] = None) -> UserMessage:
        assert self.bot is not None  # only the handlers of an update call this, and they have a bot
        return UserMessage(
            text, TelegramOutput(self.bot, chat_id), self._sender(chat_id), input_channel=CHANNEL, metadata=metadata
        )


async def set_webhook(public_url: Text) -> bool:
    """Point Telegram at Dana: <public_url>/webhooks/telegram/webhook with the secret."""
    bot = make_bot(os.environ["TELEGRAM_BOT_TOKEN"], os.environ.get("TELEGRAM_API_URL", ""))
    async with bot:
        return await bot.set_webhook(
            public_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=os.environ["TELEGRAM_WEBHOOK_SECRET"],
            allowed_updates=["message", "callback_query"],
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="Telegram webhook registration")
    sub = parser.add_subparsers(dest="command", required=True)
    hook = sub.add_parser("set-webhook", help="register Dana's webhook with Telegram")
    hook.add_argument("public_url", help="https address where Dana is reachable")
    args = parser.parse_args()
    ok = asyncio.run(set_webhook(args.public_url))
    print("webhook registered" if ok else "Telegram refused the webhook")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
