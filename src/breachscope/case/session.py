"""One unit of work on the case database: a session that commits on success and rolls back on error.

Kept apart from :mod:`breachscope.case.db` so that modules ``db`` itself imports (key handling)
use the same unit of work without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["session_scope"]


@contextmanager
def session_scope(engine: Engine | Connection) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (on a connection the caller
    holds, which stays checked out of the pool when the session ends)."""
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
