"""The console: server-rendered pages over the library entry points, for the response team.

:func:`install_console` adds the pages, the vendored static files (htmx and our one script) and
the security headers to the server's app. The pages never compute what the library computes:
each route reads one or a few library functions and renders a template (autoescaped; leaked text
never marked safe, never a link). Reading works with JavaScript off; htmx only improves forms in
place and polls send progress.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from breachscope.web.pages import routes
from breachscope.web.pages.context import ConsoleAuth, ConsoleSettings, SignInRequired, Viewer
from breachscope.web.pages.headers import CSP, SecurityHeaders
from breachscope.web.pages.render import render

STATIC = Path(__file__).resolve().parent.parent / "static"


def install_console(app: FastAPI, settings: ConsoleSettings) -> None:
    """Mount the console on ``app`` (call once from the app factory)."""
    app.state.console = settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(routes.router)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(settings.sign_in_url, status_code=303)

    async def _http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith("/api/"):  # the API answers JSON, as FastAPI does
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code == 401:  # a page without a session: to the sign-in page
            return RedirectResponse(settings.sign_in_url, status_code=303)
        html = render("error.html.j2", {"status": exc.status_code, "detail": str(exc.detail)})
        return HTMLResponse(html, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(StarletteHTTPException, _http_error)


__all__ = ["CSP", "ConsoleAuth", "ConsoleSettings", "SecurityHeaders", "Viewer", "install_console"]
