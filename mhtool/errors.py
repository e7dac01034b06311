"""One error type for every bad input, so the CLI can report it the same way and exit 2,
and the exit statuses every command gives."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Every exit status of mhtool (as pytest's ExitCode), so a scheduler can tell a
    verdict on the outputs from bad input, a held lock and a bug."""

    OK = 0
    CHECKS_FAILED = 1  # the outputs (or a run folder's files) failed their checks
    BAD_INPUT = 2  # an InputError: the file, row and field at fault are named
    LOCKED = 3  # another run holds the output folder's lock
    BUG = 4  # an unexpected failure, never a verdict on the inputs or outputs
    SIGNAL = 128  # plus the stop signal's number: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP
    BROKEN_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE), as a shell shows


class InputError(Exception):
    """Bad input: names the file and, where known, the row and field at fault."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | str | None = None,
        field: str | None = None,
    ):
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return (", ".join(where) + ": " if where else "") + self.message
