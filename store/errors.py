"""The store's errors: what went wrong with the database and how to fix it, in one line.

Kept apart from ``store.db`` so that the command line can name them without loading
SQLAlchemy first.
"""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be opened, locked or written; the message says why and the fix.

    ``exit_code`` is what the command line exits with: 2 when the address itself is wrong
    (a configuration matter), 1 when the database refused work it should have taken.
    """

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class StoreBusy(StoreError):
    """Another process holds the lock we waited for, and it did not let go in time."""

    def __init__(self, message: str) -> None:
        # EX_TEMPFAIL: try again later; a wrapper script can tell it from a failure.
        super().__init__(message, exit_code=75)
