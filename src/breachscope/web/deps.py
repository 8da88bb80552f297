"""Request-scoped dependencies: the case database session, the settings, the client's address.

``db`` is one unit of work per request: it commits when the endpoint returns and rolls back
when it raises (``scope="function"``: before the response is sent, so a client never sees a
success that did not commit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from breachscope.case.session import session_scope
from breachscope.web.settings import ServerSettings


def settings_of(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_db(request: Request) -> Iterator[Session]:
    with session_scope(engine_of(request)) as session:
        yield session


DB = Annotated[Session, Depends(get_db, scope="function")]
Settings = Annotated[ServerSettings, Depends(settings_of)]


def client_address(request: Request) -> str:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here, nobody else's)."""
    return request.client.host if request.client else "unknown"


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:300]
