"""One line of `crm-pulse check`: ok, warn or fail, what was found, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Line:
    status: Status
    what: str
    fix: str = ""

    def render(self) -> str:
        text = f"{self.status:<5}{self.what}"
        return f"{text} - fix: {self.fix}" if self.fix and self.status != "ok" else text


def ok(what: str) -> Line:
    return Line("ok", what)
