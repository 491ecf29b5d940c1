"""Router-level filters: access is decided once per router, not in every handler."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.access import Viewer


class KnownViewer(Filter):
    """Passes for anyone we know (admin, head, employee); strangers fall through."""

    async def __call__(self, event: TelegramObject, viewer: Viewer) -> bool:
        return viewer.known
