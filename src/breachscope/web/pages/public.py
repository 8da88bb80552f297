"""The public notice check page: unauthenticated, rate-limited, one bit of answer.

A recipient types the reference and the verification phrase from a notice and learns whether it
is genuine - nothing else (not the incident, not the kind, not whether the reference exists).
Attempts are limited per source address in a sliding window (in this process; behind several
server processes, put the same limit in the reverse proxy too). The page is in English and
Indonesian, like the notices. :func:`create_public_app` serves only this page, for a company that
exposes it on its own domain without exposing the console.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from breachscope.notify.check import MAX_INPUT, is_genuine
from breachscope.web.limits import BodyLimit
from breachscope.web.pages.context import settings
from breachscope.web.pages.headers import SecurityHeaders
from breachscope.web.pages.render import render

router = APIRouter()
PATH = "/check"


@dataclass
class RateLimit:
    """At most ``limit`` attempts per key in any ``window_s`` seconds."""

    limit: int
    window_s: float
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > 100_000:  # bounded memory under a flood of addresses
                self._hits.clear()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


def _limiter(request: Request) -> RateLimit:
    state = request.app.state
    limiter = getattr(state, "check_limiter", None)
    if limiter is None:
        conf = settings(request)
        limiter = state.check_limiter = RateLimit(conf.check_limit, conf.check_window_s)
    assert isinstance(limiter, RateLimit)
    return limiter


@router.get(PATH, response_class=HTMLResponse)
def check_form(request: Request) -> HTMLResponse:
    return HTMLResponse(render("check.html.j2", {"result": None, "reference": ""}))


@router.post(PATH, response_class=HTMLResponse)
async def check(request: Request) -> HTMLResponse:
    address = request.client.host if request.client else "unknown"
    if not _limiter(request).allow(address):
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
