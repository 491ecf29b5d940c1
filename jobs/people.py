"""Who gets personal alerts, as plain data: ``app`` builds it from ``[[people]]`` and the
store's departments (``Department.head_id``), so jobs never read the config.

A person's alerts go to one chat: their Telegram account when it is known, else their
Bitrix24 private dialog. Someone with neither gets no personal alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from jobs.delivery import Recipient

Role = Literal["admin", "head", "employee"]


@dataclass(frozen=True)
class Person:
    user_id: int  # the portal user id
    telegram_id: int | None = None
    bitrix_dialog: str | None = None  # usually the user id itself, as text
    role: Role = "employee"
    heads: frozenset[int] = frozenset()  # department ids this person is the head of

    @property
    def recipient(self) -> Recipient | None:
        if self.telegram_id is not None:
            return Recipient("telegram", str(self.telegram_id))
        if self.bitrix_dialog:
            return Recipient("bitrix", self.bitrix_dialog)
        return None


@dataclass(frozen=True)
class People:
    by_id: Mapping[int, Person] = field(default_factory=dict)

    @classmethod
    def of(cls, persons: Iterable[Person]) -> People:
        return cls({p.user_id: p for p in persons})

    def get(self, user_id: int | None) -> Person | None:
        return None if user_id is None else self.by_id.get(user_id)

    def recipient(self, user_id: int | None) -> Recipient | None:
        person = self.get(user_id)
        return None if person is None else person.recipient

    def heads(self) -> list[Person]:
        return sorted((p for p in self.by_id.values() if p.heads), key=lambda p: p.user_id)

    def heads_of(
        self, department_id: int | None, parents: Mapping[int, int | None], *, exclude: int = 0
    ) -> list[Person]:
        """The heads of the department, else of the nearest one up the tree that has any.

        ``exclude``: a head is not their own supervisor, so their calls go one level up.
        """
        seen: set[int] = set()
        current = department_id
        while current is not None and current not in seen:
            seen.add(current)
            found = [p for p in self.heads() if current in p.heads and p.user_id != exclude]
            if found:
                return found
            current = parents.get(current)
        return []


def directory(
    persons: Iterable[Person],
    department_heads: Iterable[tuple[int, int | None]],
    *,
    bitrix_dialogs: bool,
) -> People:
    """``[[people]]`` entries plus the portal's department heads (department id, head's
    user id, as ``Department.head_id`` has them). With ``bitrix_dialogs`` everyone listed
    can also be reached in their Bitrix24 private dialog (its id is the user id)."""
    found = {p.user_id: p for p in persons}
    heads: dict[int, set[int]] = {}
    for department_id, head_id in department_heads:
        if head_id is not None:
            heads.setdefault(head_id, set()).add(department_id)
    for user_id, departments in heads.items():
        person = found.get(user_id, Person(user_id, role="head"))
        found[user_id] = replace(person, heads=person.heads | frozenset(departments))
    if bitrix_dialogs:
        found = {
            uid: p if p.bitrix_dialog else replace(p, bitrix_dialog=str(uid))
            for uid, p in found.items()
        }
    return People(found)
