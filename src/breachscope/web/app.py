"""The app factory of the team server: ``create_app(settings)`` -> a FastAPI (ASGI) app.

``breachscope serve`` builds one and runs it under uvicorn; tests build one per case database
and talk to it through httpx (ASGI transport) or a real uvicorn on a loopback port.

Every route goes through :func:`breachscope.web.auth.gate.authorize` (an app-wide dependency),
and the factory refuses to build an app with a route that has no rule in
:data:`breachscope.web.auth.rules.ROUTE_RULES`. The interactive docs pages (which would load
scripts from a CDN) are off; the OpenAPI document is served at ``/api/v1/openapi.json`` and
checked in as ``docs/openapi.json``.
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from breachscope import __version__
from breachscope.case.approvals import ApprovalNeeded
from breachscope.case.db import open_case_db, sqlite_path
from breachscope.errors import BreachscopeError
from breachscope.notify.config import CONFIG_ENV, NotifyConfig, load_config
from breachscope.web.api import routers as api_routers
from breachscope.web.auth.console import SessionConsoleAuth
from breachscope.web.auth.gate import AuthzProbe, MustEnrol, NotSignedIn, authorize
from breachscope.web.auth.pages import router as sign_in_router
from breachscope.web.auth.routes import router as auth_router
from breachscope.web.auth.rules import PUBLIC_UNGATED, ROUTE_RULES
from breachscope.web.deps import Quiet, session_factory
from breachscope.web.jobs import JobRunner, approval_needed
from breachscope.web.limits import BodyLimit
from breachscope.web.pages import ConsoleSettings, install_console
from breachscope.web.settings import ServerSettings
from breachscope.web.uploads import remove_stale
from breachscope.web.work import HANDLERS, RECOVER

OPENAPI_URL = "/api/v1/openapi.json"
#: Extra routers (the console's pages) that the factory includes: callables returning routers.
RouterFactory = Callable[[], list[Any]]


def route_table(app: FastAPI) -> list[tuple[str, str, bool]]:
    """Every route as (method, path, gated): ``gated`` for FastAPI endpoints, which pass the gate.

    Walks included routers too (FastAPI >= 0.13x includes them lazily, as wrappers whose
    ``effective_candidates()`` yield the routes with the app's dependencies applied).
    """
    out: list[tuple[str, str, bool]] = []

    def walk(routes: Any) -> None:
        for route in routes:
            if hasattr(route, "effective_candidates"):
                walk(route.effective_candidates())
                walk(route.effective_low_priority_routes())
                continue
            original = getattr(route, "original_route", None)
            gated = isinstance(route, APIRoute) or isinstance(original, APIRoute)
            path = str(getattr(route, "path", route))
            methods = sorted(getattr(route, "methods", None) or {"*"})
            out.extend((m, path, gated) for m in methods if not (m == "HEAD" and "GET" in methods))

    walk(app.routes)
    return out


def check_rules(app: FastAPI) -> None:
    """Every gated route has an authorization rule (the gate would refuse it anyway), and every
    other route (static files, the OpenAPI document) is listed in ``PUBLIC_UNGATED``."""
    missing = [
        f"{method} {path}"
        for method, path, gated in route_table(app)
        if (gated and (method, path) not in ROUTE_RULES) or (not gated and path not in PUBLIC_UNGATED)
    ]
    if missing:
        raise RuntimeError(f"routes without an authorization rule (web/auth/rules.py): {', '.join(missing)}")


def _notify_config(settings: ServerSettings) -> NotifyConfig | None:
    """The notify settings when configured (``--config`` or ``$BREACHSCOPE_NOTIFY_CONFIG``)."""
    if settings.notify_config is None and not os.environ.get(CONFIG_ENV):
        return None
    return load_config(settings.notify_config)


def redacted_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation errors without the submitted values: ``loc``, ``msg`` and ``type`` only
    (``input`` dropped; ``ctx`` keeps its keys, its values are dropped)."""
    out = []
    for e in errors:
        kept = {k: e[k] for k in ("type", "loc", "msg") if k in e}
        if isinstance(e.get("ctx"), dict):
            kept["ctx"] = dict.fromkeys(e["ctx"])
        out.append(kept)
    return out


@contextmanager
def single_server(db_url: str | None) -> Iterator[None]:
    """SQLite: only one ``breachscope serve`` per case file, for as long as the block runs.

    A SQLite server's jobs write no heartbeat, so a starting server takes every job left
    ``running`` for a dead server's (``interrupted``; a cut-short attach's partial dataset is
    removed). A second server on the same file would do that to the first one's live jobs, so
    it is refused before it opens the case: this holds an exclusive lock (``flock``) on
    ``<case file>.serve-lock`` (0600, holding the server's process id), which the system
    releases when the process ends, however it ends. PostgreSQL: nothing to hold (jobs beat)."""
    path = sqlite_path(db_url)
    if path is None:
        yield
        return
    lock = path.with_name(f"{path.name}.serve-lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # no such folder: opening the case says so in its own words
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise BreachscopeError(
                f"another breachscope serve (process {holder or 'unknown'}) is serving {path}",
                "stop it first; several servers can share a PostgreSQL case, not a SQLite file",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def create_app(
    settings: ServerSettings | None = None, *, extra_routers: RouterFactory | None = None
) -> FastAPI:
    """The team server over the case database ``settings.db_url`` (which must exist)."""
    settings = settings or ServerSettings()
    engine = open_case_db(settings.db_url, busy_timeout_ms=int(settings.busy_timeout_s * 1000))

    quiet = Quiet()
    runner = JobRunner(
        engine, settings.clock, settings, HANDLERS, quiet, workers=settings.job_workers, recover=RECOVER
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        remove_stale(settings)
        runner.start()
        yield
        runner.stop()
        engine.dispose()

    app = FastAPI(
        title="breachscope",
        version=__version__,
        summary="The team server: one incident, many people.",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(authorize)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.jobs = runner
    app.state.quiet = quiet
    app.state.db_slots = asyncio.Semaphore(settings.db_slots)
    app.include_router(auth_router)
    app.include_router(sign_in_router)
    for router in api_routers():
        app.include_router(router)
    for router in extra_routers() if extra_routers else []:
        app.include_router(router)
    install_console(
        app,
        ConsoleSettings(
            engine=engine,
            auth=SessionConsoleAuth(engine),
            notify_config=_notify_config(settings),
            clock=settings.clock,
        ),
    )
    app.add_middleware(BodyLimit)  # JSON and form bodies are read whole: cap them (web/limits.py)

    @app.get("/api/v1/health", tags=["server"])
    def health() -> dict[str, str]:
        """Liveness: answers without signing in; says nothing about the cases."""
        return {"status": "ok", "version": __version__}

    @app.exception_handler(AuthzProbe)
    async def _probe(request: Request, exc: AuthzProbe) -> Response:
        return Response(status_code=204, headers={"X-Authz": "allowed"})

    @app.exception_handler(ApprovalNeeded)
    async def _approval_needed(request: Request, exc: ApprovalNeeded) -> JSONResponse:
        # four eyes: the request is recorded; another person decides it under .../approvals
        return JSONResponse(approval_needed(exc), status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer echoes the submitted value ("input", and "ctx" may quote it):
        # a password or a leaked value must not come back in an error (nor land in a log)
        return JSONResponse({"detail": redacted_errors(exc.errors())}, status_code=422)

    @app.exception_handler(BreachscopeError)
    async def _user_error(request: Request, exc: BreachscopeError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=400)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: Exception) -> Response:
        # An id past 64 bits (/tasks/99999999999999999999: SQLite's OverflowError, PostgreSQL's
        # 22003) names nothing, so it is a missing object; another value the database cannot
        # hold (PostgreSQL: a NUL character) is the client's error. Never a 500 and a traceback.
        sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", "")
        out_of_range = isinstance(exc, OverflowError) or sqlstate == "22003"
        error = (
            StarletteHTTPException(404, "no such object")
            if out_of_range
            else StarletteHTTPException(422, "a value the database cannot store")
        )
        answer = app.exception_handlers[StarletteHTTPException](request, error)
        return await answer if inspect.isawaitable(answer) else answer

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> Response:
        # SQLite: a long job (an attach commits once, at its end) holds the file's write lock;
        # a change that waited the busy timeout for it is answered "try again", not a crash.
        if "locked" in str(exc.orig):
            return JSONResponse(
                {"detail": "the case is busy with a long write (a dataset being attached); try again"},
                status_code=503,
                headers={"Retry-After": "10"},
            )
        raise exc

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=401, headers=exc.headers)
        return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(MustEnrol)
    async def _must_enrol(request: Request, exc: MustEnrol) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=403)
        return RedirectResponse("/account", status_code=303)

    check_rules(app)
    return app
