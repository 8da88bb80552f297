"""Account: the signed-in user's own password, recovery codes and authenticator (``/account``).

A thin shell over :mod:`breachscope.web.auth.selfservice`, the functions the API's
``/api/v1/auth/password``, ``/api/v1/auth/recovery-codes`` and ``/api/v1/auth/totp`` call: the
page only reads the form (the gate has checked its CSRF token and Origin) and renders the answer.
A refusal is shown as the sentence the API gives (the password policy's, "the current password is
wrong", the throttle's "try again in N s") with the API's status. New recovery codes appear on the
response to the form only, never cached (``Cache-Control: no-store``), and never again; so does a
new authenticator's secret (in groups of four), its ``otpauth://`` URI and that URI as a QR code
(:mod:`breachscope.web.qr`, inline SVG: no ``data:`` URL, no inline style), with the form that
confirms it by a code (until then the old authenticator still signs in; the form stays while the
new one waits, the secret is not shown again). Someone without a second factor adds a first one
the same way; its confirmation answers with the first recovery codes, shown on that answer only.
When an admin requires a second factor of someone who has none, every other page sends them here
(:class:`breachscope.web.auth.gate.MustEnrol`) and this page says why.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breachscope.case.accounts import MAX_PASSWORD, MIN_PASSWORD
from breachscope.case.reenrol import Enrolment, grouped
from breachscope.web import qr
from breachscope.web.auth import selfservice
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address
from breachscope.web.pages.context import settings as console_settings
from breachscope.web.pages.context import signed_in
from breachscope.web.pages.render import render

router = APIRouter()

Password = Annotated[str, Form(max_length=MAX_PASSWORD)]

#: ?done= -> the sentence shown after a change that redirected back here
DONE = {
    "password": "Your password was changed. Your other sessions were signed out.",
    "totp": "Your new authenticator is set up: only its codes sign you in now, the old one no longer"
    " works. Your other sessions were signed out.",
}
#: shown on the answer that confirms a first authenticator (with its recovery codes)
FIRST_TOTP = (
    "Your authenticator is set up: from now on every sign-in asks for one of its codes after your"
    " password. Your other sessions were signed out. Store your recovery codes below now."
)
NOT_THE_SAME = "the two new passwords are not the same"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _page(
    request: Request, db: DB, settings: Settings, who: Who, status: int = 200, **context: Any
) -> HTMLResponse:
    state = selfservice.recovery_state(db, settings, who)
    values: dict[str, Any] = {
        "viewer": signed_in(request),
        "incident": None,
        "csrf_token": console_settings(request).auth.csrf_token(request),
        "session": who.via == "session",
        "second_factor": state.second_factor,
        "must_enrol": state.must_enrol,
        "codes_left": state.codes_left,
        "min_password": MIN_PASSWORD,
        "done": "",
        "password_error": "",
        "codes_error": "",
        "codes": (),
        "codes_first": False,
        "totp_pending": state.totp_pending_until is not None,
        "enrolment": None,
        "totp_error": "",
    }
    values.update(context)
    return HTMLResponse(render("account.html.j2", values), status_code=status, headers=NO_STORE)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, db: DB, settings: Settings, who: Who, done: str = "") -> HTMLResponse:
    return _page(request, db, settings, who, done=DONE.get(done, ""))


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    db: DB,
    settings: Settings,
    who: Who,
    current_password: Password,
    new_password: Password,
    new_password_again: Password,
) -> Response:
    if new_password != new_password_again:
        return _page(request, db, settings, who, 400, password_error=NOT_THE_SAME)
    refusal = selfservice.change_password(
        db, settings, who, current_password, new_password, address=client_address(request)
    )
    if refusal is not None:
        db.commit()  # the failure counts (throttle) and its audit entry stay
        return _page(request, db, settings, who, refusal.status, password_error=refusal.message)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/recovery-codes", response_class=HTMLResponse)
def new_recovery_codes(
    request: Request, db: DB, settings: Settings, who: Who, current_password: Password
) -> HTMLResponse:
    codes, refusal = selfservice.new_recovery_codes(
        db, settings, who, current_password, address=client_address(request)
    )
    if refusal is not None:
        db.commit()
        return _page(request, db, settings, who, refusal.status, codes_error=refusal.message)
    db.flush()
    return _page(request, db, settings, who, codes=codes)


@router.post("/account/totp", response_class=HTMLResponse)
def begin_totp(
    request: Request, db: DB, settings: Settings, who: Who, current_password: Password
) -> HTMLResponse:
    enrolment = selfservice.begin_totp(db, settings, who, current_password, address=client_address(request))
    if not isinstance(enrolment, Enrolment):
        db.commit()
        return _page(request, db, settings, who, enrolment.status, totp_error=enrolment.message)
    db.flush()
    shown = {
        "secret": grouped(enrolment.secret),
        "uri": enrolment.uri,
        "qr": qr.picture(enrolment.uri),
        "expires_at": enrolment.expires_at,
    }
    return _page(request, db, settings, who, enrolment=shown)


@router.post("/account/totp/confirm", response_model=None)
def confirm_totp(
    request: Request, db: DB, settings: Settings, who: Who, code: Annotated[str, Form(max_length=40)]
) -> Response:
    codes, refusal = selfservice.confirm_totp(db, settings, who, code, address=client_address(request))
    if refusal is not None:
        db.commit()  # the failure counts (throttle) and its audit entry stay
        return _page(request, db, settings, who, refusal.status, totp_error=refusal.message)
    if codes:  # a first authenticator: its recovery codes on this answer only
        db.flush()
        return _page(request, db, settings, who, done=FIRST_TOTP, codes=codes, codes_first=True)
    return RedirectResponse("/account?done=totp", status_code=303)
