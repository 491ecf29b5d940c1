"""Progress on a terminal: one line per entity, rewritten in place while it loads."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.entity: str | None = None
        self.rows = 0
        self.started = time.monotonic()

    def __call__(self, entity: str, rows: int) -> None:
        if entity != self.entity:
            self._finish_line()
            self.entity = entity
        self.rows = rows
        if self.tty:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r  {entity:<12} {rows:>10,} rows  {elapsed:6.1f} s")
            self.stream.flush()

    def _finish_line(self) -> None:
        if self.entity is None:
            return
        if self.tty:
            self.stream.write("\n")
        else:
            self.stream.write(f"  {self.entity:<12} {self.rows:>10,} rows\n")
        self.stream.flush()

    def close(self) -> None:
        self._finish_line()
        self.entity = None
