"""The sign-in page (email, password, second factor) and sign-out, over the server's
:func:`breachscope.web.auth.signin.sign_in` (throttling, lockout, session rotation, audit).

The answer to a failure is the server's one sentence, the same for an unknown user, a wrong
password and a wrong code; a locked account or address says when to retry (429).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breachscope.case import logins
from breachscope.case.db import session_scope
from breachscope.web.auth.signin import clear_session_cookie, set_session_cookie, sign_in
from breachscope.web.deps import client_address, settings_of, user_agent
from breachscope.web.pages.context import settings
from breachscope.web.pages.render import render
from breachscope.web.settings import SESSION_COOKIE

router = APIRouter()


def _form(message: str = "", email: str = "", status: int = 200) -> HTMLResponse:
    html = render("sign_in.html.j2", {"message": message, "email": email, "incident": None, "viewer": None})
    return HTMLResponse(html, status_code=status)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    return _form()


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in_post(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email") or "")[:320]
    server = settings_of(request)
    with session_scope(settings(request).engine) as db:
        outcome = sign_in(
            db,
            server,
            email=email,
            password=str(form.get("password") or "")[:1024],
            code=str(form.get("code") or "")[:12],
            address=client_address(request),
            user_agent=user_agent(request),
            previous_session=request.cookies.get(SESSION_COOKIE),
        )
    if not outcome.ok or outcome.session_id is None:
        status = 429 if outcome.retry_after is not None else 401
        return _form(outcome.message, email, status)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, request, server, outcome.session_id)
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    raw = request.cookies.get(SESSION_COOKIE, "")
    server = settings_of(request)
    if raw:
        with session_scope(settings(request).engine) as db:
            logins.end_session(db, raw, server.clock.now())
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session_cookie(response, request, server)
    return response
