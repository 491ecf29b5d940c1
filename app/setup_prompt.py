"""Questions with defaults for `crm-pulse init`; non-interactive, each takes its default."""

from __future__ import annotations

from typing import TextIO


class InitAborted(Exception):
    """Init cannot go on (input ended, or a problem with no one to ask); nothing is written."""


class Prompt:
    def __init__(self, inp: TextIO, out: TextIO, *, interactive: bool) -> None:
        self.inp = inp
        self.out = out
        self.interactive = interactive

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ok(self, what: str) -> None:
        self.say(f"ok   {what}")

    def fail(self, what: str, fix: str) -> None:
        self.say(f"fail {what} - fix: {fix}")

    def text(self, question: str, default: str) -> str:
        shown = f" [{default}]" if default else ""
        if not self.interactive:
            self.say(f"{question}{shown}: {default}")
            return default
        self.out.write(f"{question}{shown}: ")
        self.out.flush()
        line = self.inp.readline()
        if not line:
            raise InitAborted
        return line.strip() or default

    def yes(self, question: str, *, default: bool = True) -> bool:
        while True:
            answer = self.text(f"{question} (y/n)", "y" if default else "n").lower()
            if answer in ("y", "yes", "д", "да"):
                return True
            if answer in ("n", "no", "н", "нет"):
                return False
            self.say("Please answer y or n.")
