"""Where the jobs' messages go, and the one protocol the chat front ends implement for them.

``bot`` writes the adapters (Telegram, Bitrix24 chat) and ``app`` injects them; jobs never
talk to a chat API themselves. A post is built once and handed to every chat it goes to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:  # the protocol needs the type only; importing it loads the charts
    from reports.morning import Post

Front = Literal["telegram", "bitrix"]


@dataclass(frozen=True)
class Recipient:
    """A chat: Telegram ``"-100123"`` or ``"-100123:7"`` (forum topic) or a user id;
    Bitrix24 ``"chat12"`` (group chat) or ``"42"`` (a private dialog with user 42)."""

    front: Front
    address: str

    @property
    def key(self) -> str:
        """Stable across restarts and config reloads: the ledger remembers deliveries by it."""
        return f"{self.front}:{self.address}"


@dataclass(frozen=True)
class TeamChat:
    """A team chat and whose figures it gets: a department tree, or the company (None)."""

    recipient: Recipient
    department_id: int | None = None


class Sender(Protocol):
    """The chat front ends' side of a delivery.

    Returning means the chat has the message. Raising means it was not delivered: the job
    releases its claim and tries again on a later run within the slot's grace window. An
    adapter retries transient errors itself (``retry_after``) before it raises.
    """

    async def send_post(self, recipient: Recipient, post: Post) -> None:
        """The post's reports (PNG + caption each) and its summary caption, as the chat shows
        them best; the same object goes to every chat of the slot."""
        ...

    async def send_text(self, recipient: Recipient, html: str, bb: str) -> None: ...
