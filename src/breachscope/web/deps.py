"""Request-scoped dependencies: the case database session, the settings, the client's address.

``db`` is one unit of work per request: it commits when the endpoint returns and rolls back
when it raises (``scope="function"``: before the response is sent, so a client never sees a
success that did not commit).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from breachscope.web.settings import ServerSettings


def settings_of(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


class Quiet:
    """Lets one job hold a SQLite case alone (purge rewrites and checks the file): while it does,
    requests answer 503 with ``Retry-After`` instead of touching the database."""

    RETRY_S = 5

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._held = False

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._cond:
            if self._held:
                raise HTTPException(
                    503,
                    "the case is being purged; try again shortly",
                    headers={"Retry-After": str(self.RETRY_S)},
                )
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @contextmanager
    def alone(self, wait_s: float = 30.0) -> Iterator[None]:
        """Hold the database alone: new requests get 503, running ones are waited for."""
        with self._cond:
            self._held = True
            self._cond.wait_for(lambda: self._active == 0, timeout=wait_s)
        try:
            yield
        finally:
            with self._cond:
                self._held = False


def _end(session: Session, commit: bool) -> None:
    """Commit (or roll back) and close, in one trip to a worker thread (each trip costs a
    thread hand-off both ways: a list request makes as few as it can)."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def _clean_sqlite(session: Session) -> bool:
    """A SQLite session that changed nothing (a read): ending it neither writes nor waits."""
    bind = session.get_bind()
    return bind.dialect.name == "sqlite" and not (session.new or session.dirty or session.deleted)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The app's one session factory (``app.state.sessions``), made at start."""
    return sessionmaker(bind=engine, expire_on_commit=False)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request; at most ``settings.db_slots`` requests hold one at a time (the
    rest wait here, in the event loop, instead of timing out in the connection pool)."""
    quiet: Quiet = request.app.state.quiet
    slots: asyncio.Semaphore = request.app.state.db_slots
    async with slots:
        with quiet.request():
            session = request.app.state.sessions()
            try:
                yield session
            except BaseException:
                await run_in_threadpool(_end, session, False)
                raise
            if _clean_sqlite(session):
                _end(session, True)  # nothing to write: ending a SQLite read is a C call, no I/O
            else:
                await run_in_threadpool(_end, session, True)


DB = Annotated[Session, Depends(get_db, scope="function")]
Settings = Annotated[ServerSettings, Depends(settings_of)]


def client_address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here, nobody else's)."""
    return request.client.host if request.client else "unknown"


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:300]
