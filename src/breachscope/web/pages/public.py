"""The public notice check page: unauthenticated, rate-limited, one bit of answer.

A recipient types the reference and the verification phrase from a notice and learns whether it
is genuine - nothing else (not the incident, not the kind, not whether the reference exists).
Attempts are limited per source address in a sliding window kept in the case database
(``case/ratelimit.py``), so every server process (uvicorn workers, several servers on one case
database) shares one count. The page is in English and
Indonesian, like the notices. :func:`create_public_app` serves only this page, for a company that
exposes it on its own domain without exposing the console.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from breachscope.case import ratelimit
from breachscope.case.db import session_scope
from breachscope.notify.check import MAX_INPUT, is_genuine
from breachscope.web.limits import BodyLimit
from breachscope.web.pages.context import settings
from breachscope.web.pages.headers import SecurityHeaders
from breachscope.web.pages.render import render

router = APIRouter()
PATH = "/check"


def allowed(request: Request, address: str) -> bool:
    """One attempt of ``address``, counted in the case database (shared by every server process)."""
    conf = settings(request)
    with session_scope(conf.engine) as s:
        return ratelimit.allow(
            s, "check", address, limit=conf.check_limit, window=timedelta(seconds=conf.check_window_s),
            now=conf.clock.now(),
        )  # fmt: skip


@router.get(PATH, response_class=HTMLResponse)
def check_form(request: Request) -> HTMLResponse:
    return HTMLResponse(render("check.html.j2", {"result": None, "reference": ""}))


@router.post(PATH, response_class=HTMLResponse)
async def check(request: Request) -> HTMLResponse:
    address = request.client.host if request.client else "unknown"
    if not allowed(request, address):
        html = render("check.html.j2", {"result": "limited", "reference": ""})
        return HTMLResponse(
            html, status_code=429, headers={"Retry-After": str(settings(request).check_window_s)}
        )
    form = await request.form()
    reference = str(form.get("reference") or "")[:MAX_INPUT]
    phrase = str(form.get("phrase") or "")[:MAX_INPUT]
    conf = settings(request)
    key = conf.notify_config.verification_key.reveal() if conf.notify_config else ""
    genuine = bool(key) and is_genuine(conf.engine, key, reference, phrase)
    return HTMLResponse(
        render("check.html.j2", {"result": "genuine" if genuine else "not_genuine", "reference": ""})
    )


STATIC = Path(__file__).resolve().parent.parent / "static"


def create_public_app(console_settings: object) -> FastAPI:
    """An app with only the notice check (and its stylesheet): for the company's own domain."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = console_settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)
    return app
