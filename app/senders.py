"""The jobs' ``Sender``: one post or alert to a Telegram chat or a Bitrix24 dialog.

A post arrives already rendered (``reports.morning.Post``) and goes to every chat as it is,
so one render serves both front ends.
"""

from __future__ import annotations

import logging

from bot.bitrix.messenger import BitrixMessenger
from bot.settings import TeamChat
from bot.telegram.messenger import Delivery, TelegramMessenger
from jobs.delivery import Recipient
from reports.morning import Post

log = logging.getLogger(__name__)


class NotDelivered(Exception):
    """The chat did not get the message; the job retries within the slot's grace window."""


class ChatSender:
    def __init__(self, telegram: TelegramMessenger | None, bitrix: BitrixMessenger | None) -> None:
        self.telegram = telegram
        self.bitrix = bitrix

    async def send_post(self, recipient: Recipient, post: Post) -> None:
        if recipient.front == "telegram":
            chat = self._telegram_chat(recipient)
            telegram = self._telegram()
            _check(await telegram.post_text(chat, post.caption_html))
            for report in post.reports:
                _check(await telegram.post_report(chat, report, buttons=False))
            return
        await self._bitrix().send_post(recipient.address, post)

    async def send_text(self, recipient: Recipient, html: str, bb: str) -> None:
        if recipient.front == "telegram":
            _check(await self._telegram().post_text(self._telegram_chat(recipient), html))
            return
        await self._bitrix().send_text(recipient.address, bb)

    def _telegram(self) -> TelegramMessenger:
        if self.telegram is None:
            msg = "a Telegram chat is configured but telegram.token is empty"
            raise NotDelivered(msg)
        return self.telegram

    def _bitrix(self) -> BitrixMessenger:
        if self.bitrix is None:
            msg = "a Bitrix24 dialog is configured but bitrix_chat.enabled is false"
            raise NotDelivered(msg)
        return self.bitrix

    @staticmethod
    def _telegram_chat(recipient: Recipient) -> TeamChat:
        return TeamChat.parse(recipient.address)


def _check(delivery: Delivery) -> None:
    if delivery.skipped:
        # The chat blocked the bot: retrying would not help, and it is logged and marked.
        return
    if delivery.error is not None:
        raise NotDelivered(f"chat {delivery.chat.chat_id}: {delivery.error}")
