"""The sign-in page (``/sign-in``) and sign-out (``/sign-out``) of the console.

The form posts email, password and code to ``/sign-in``; the gate has checked that the post
came from our origin (login CSRF). Success sets the session cookie (a new id) and goes to
``/`` (or the same-site path in ``next``); failure shows the same message for every wrong
part, or how long the lock still runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breachscope.case import logins
from breachscope.web.audit import record
from breachscope.web.auth.gate import Who
from breachscope.web.auth.signin import clear_session_cookie, set_session_cookie, sign_in
from breachscope.web.deps import DB, Settings, client_address, user_agent
from breachscope.web.pages.render import render

router = APIRouter(include_in_schema=False)


def _next(value: str) -> str:
    """Only a path of this site (``/x``), never ``//host`` or a URL: no open redirect."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def _page(message: str = "", email: str = "", next_: str = "/", status: int = 200) -> HTMLResponse:
    html = render(
        "sign_in.html.j2", {"message": message, "email": email, "next": _next(next_), "incident": None}
    )
    return HTMLResponse(html, status_code=status)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(next: str = "/") -> HTMLResponse:
    return _page(next_=next)


@router.post("/sign-in", response_model=None)
def sign_in_form(
    request: Request,
    db: DB,
    settings: Settings,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    totp: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    bs_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    outcome = sign_in(
        db,
        settings,
        email=email,
        password=password,
        code=totp,
        address=client_address(request),
        user_agent=user_agent(request),
        previous_session=bs_session,
    )
    if not outcome.ok or outcome.session_id is None:
        db.commit()  # keep the failure count and its audit entry
        status = 429 if outcome.retry_after is not None else 401
        return _page(outcome.message, email, next, status)
    response = RedirectResponse(_next(next), status_code=303)
    set_session_cookie(response, request, settings, outcome.session_id)
    return response


@router.post("/sign-out")
def sign_out(request: Request, db: DB, settings: Settings, who: Who) -> RedirectResponse:
    if who.session_id:
        logins.end_session(db, who.session_id, settings.clock.now())
    record(
        db,
        actor=who.actor,
        action="auth.logout",
        object_type="user",
        object_id=who.user_id,
        source=client_address(request),
    )
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session_cookie(response, request, settings)
    return response
