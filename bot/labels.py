"""Period labels in the language in force, for both chats' texts and buttons.

kpi/periods names every period in Russian and English itself (``label_ru``, ``label_en``),
so the bot picks one instead of keeping a catalog entry per period.
"""

from __future__ import annotations

from typing import Protocol

from locales import N_, _, language


class Labelled(Protocol):
    """A period or a period choice: anything kpi/periods labels in both languages."""

    @property
    def label_ru(self) -> str: ...

    @property
    def label_en(self) -> str: ...


def period_label(period: Labelled) -> str:
    """``period``'s label in the language in force ("неделя 2–8 марта" / "week of Mar 2–8")."""
    return period.label_en if language() == "en" else period.label_ru


# kpi/scope names the whole team "Компания" (data, not a text); shown, it is translated.
COMPANY = N_("Компания")


def scope_name(kind: str, name: str) -> str:
    """A scope's name as shown: the company's in the language in force, others as named."""
    return _(COMPANY) if kind == "company" else name
