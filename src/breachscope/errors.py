"""Errors a user can act on. The CLI prints them without a traceback and exits non-zero."""

from __future__ import annotations

import errno
import os


class BreachscopeError(Exception):
    """An error with a message for the user and, optionally, what to do next."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(BreachscopeError):
    """A file or argument the user supplied cannot be used as given."""

    exit_code = 2


#: errno values that mean "no room to write": a full disk, a file size limit, a quota.
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
#: How databases and libraries say it when they do not pass an errno on.
_NO_ROOM_TEXTS = (
    "no space left on device",
    "database or disk is full",
    "file too large",
    "disk quota exceeded",
)


def no_room(exc: BaseException) -> str | None:
    """If ``exc`` (or what caused it) means there was no room to write, the reason in a few words.

    Looks through the exception chain (``__cause__``, ``__context__`` and SQLAlchemy's ``orig``):
    an ``OSError`` with ENOSPC/EFBIG/EDQUOT, SQLite's ``SQLITE_FULL`` (and ``SQLITE_IOERR_WRITE``,
    what SQLite reports when a file size limit stops a write), PostgreSQL's ``disk_full`` (SQLSTATE
    53100), or DuckDB's "No space left on device". ``None`` for anything else.
    """
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _NO_ROOM:
            where = f" writing {e.filename}" if e.filename else ""
            return f"{os.strerror(e.errno)}{where}"
        name = getattr(e, "sqlite_errorname", None)
        if name == "SQLITE_FULL":
            return "the case database's disk is full"
        if name == "SQLITE_IOERR_WRITE":
            return "the case database could not be written (disk full or file size limit)"
        if getattr(e, "sqlstate", None) == "53100":
            return "the PostgreSQL server's disk is full"
        text = str(e)
        if any(t in text.lower() for t in _NO_ROOM_TEXTS):
            return " ".join(text.split())[:200]
        for nxt in (e.__cause__, e.__context__, getattr(e, "orig", None)):
            if isinstance(nxt, BaseException):
                stack.append(nxt)
    return None
