"""``breachscope users``: the team's accounts for ``breachscope serve`` (the first admin comes from here)."""

from __future__ import annotations

import sys

import click
from sqlalchemy.orm import Session

from breachscope.case import accounts, logins, reenrol
from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import audit_cli, db_option, who
from breachscope.clock import SystemClock
from breachscope.errors import InputError
from breachscope.web import qr


@click.group("users")
def command() -> None:
    """Team accounts for breachscope serve: add users, grant them incidents, list them, set a
    forgotten password, make new recovery codes, give a new authenticator, require one."""


qr_option = click.option(
    "--qr",
    "show_qr",
    is_flag=True,
    help="Also print the otpauth:// URI as a QR code to scan (Unicode blocks drawn light on dark:"
    " for a terminal with a dark background).",
)


def _echo_factor(secret: str, uri: str, show_qr: bool) -> None:
    click.echo(f"  secret: {secret}")
    click.echo(f"  URI:    {uri}")
    if show_qr:
        click.echo("  QR code of the URI (scan it with the app):")
        click.echo(qr.terminal(uri), nl=False)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InputError("no password on standard input", "pipe it in: printf '%s\\n' \"$PW\" | ...")
        return line.rstrip("\r\n")
    text: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return text


@command.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES), help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--no-totp", is_flag=True, help="No second factor (not allowed for admin and legal).")
@click.option(
    "--totp-at-sign-in",
    is_flag=True,
    help="No secret now: the user adds their own authenticator at their first sign-in, and can open"
    " nothing else until they have (not for admin and legal, who get theirs from users add).",
)
@click.option(
    "--incident",
    "incidents",
    type=int,
    multiple=True,
    metavar="N",
    help="Also grant incident N (repeatable).",
)
@click.option("--create", is_flag=True, help="Create the case database if it does not exist (a new team).")
@qr_option
@db_option
def add(
    email: str,
    role: str,
    password_stdin: bool,
    no_totp: bool,
    totp_at_sign_in: bool,
    incidents: tuple[int, ...],
    create: bool,
    show_qr: bool,
    db: str | None,
) -> None:
    """Add a user (the first admin of a team comes from here).

    The TOTP secret is printed once: enter it (or the otpauth:// URI) in an authenticator app.
    Admin and legal always need it to sign in."""
    if no_totp and totp_at_sign_in:
        raise InputError(
            "--no-totp (no second factor) and --totp-at-sign-in (one required) contradict each other",
            "choose one of --no-totp or --totp-at-sign-in",
        )
    if (no_totp or totp_at_sign_in) and role in accounts.TOTP_REQUIRED:
        raise InputError(
            f"the {role} role needs a second factor, given here (not at its first sign-in)",
            f"leave out {'--no-totp' if no_totp else '--totp-at-sign-in'}",
        )
    password = _read_password(password_stdin)
    now = SystemClock().now()
    with case_database(db, create=create) as engine, session_scope(engine) as session:
        new = accounts.create_user(
            session, email, role, password, now=now, created_by=f"cli:{who(None)}",
            totp=not (no_totp or totp_at_sign_in), totp_required=totp_at_sign_in,
        )  # fmt: skip
        details = {"role": new.user.role, **({"totp_required": True} if totp_at_sign_in else {})}
        audit_cli(session, "user.create", "user", new.user.id, details=details)
        for incident_id in incidents:
            accounts.add_member(session, incident_id, new.user, by=f"cli:{who(None)}", now=now)
            audit_cli(session, "member.add", "user", new.user.id, incident_id=incident_id)
        click.echo(f"Added {new.user.email} ({new.user.role}), user id {new.user.id}.")
        if new.totp_secret and new.totp_uri:
            click.echo("Second factor (shown once; keep it in an authenticator app):")
            _echo_factor(new.totp_secret, new.totp_uri, show_qr)
            _echo_codes(new.recovery_codes)
        elif totp_at_sign_in:
            click.echo(
                "No second factor yet: at their first sign-in (with the password) they add an"
                " authenticator app on the console's Account page, and can open nothing else until then."
            )
        for incident_id in incidents:
            click.echo(f"Granted incident {incident_id}.")


def _echo_codes(codes: tuple[str, ...]) -> None:
    click.echo("Recovery codes (shown once; each works once in place of an authenticator code):")
    for code in codes:
        click.echo(f"  {code}")


def _user(session: Session, email: str) -> accounts.TeamUser:
    user = accounts.get_user(session, email)
    if user is None:
        raise InputError(f"no user {email}", "add one with: breachscope users add EMAIL --role ROLE")
    return user


@command.command("recovery-codes")
@click.argument("email")
@db_option
def recovery_codes(email: str, db: str | None) -> None:
    """New recovery codes for a user's second factor (the old ones stop working).

    Printed once: hand them to the user, who keeps them apart from the authenticator app.
    A signed-in user can also make their own (POST /api/v1/auth/recovery-codes)."""
    with case_database(db) as engine, session_scope(engine) as session:
        user = _user(session, email)
        codes = accounts.new_recovery_codes(session, user, SystemClock().now())
        audit_cli(session, "user.recovery_codes", "user", user.id, details={"codes": len(codes)})
    _echo_codes(codes)


@command.command("totp")
@click.argument("email")
@qr_option
@db_option
def totp(email: str, show_qr: bool, db: str | None) -> None:
    """A new second factor for a user who cannot sign in (lost authenticator and recovery codes).

    Prints a new TOTP secret, its otpauth:// URI and new recovery codes once: the old secret and
    codes stop working at once and every session of the user ends. A signed-in user sets up a
    new authenticator themselves on the console's Account page (or POST /api/v1/auth/totp)."""
    with case_database(db) as engine, session_scope(engine) as session:
        user = _user(session, email)
        done = reenrol.reset(session, user, now=SystemClock().now())
        audit_cli(
            session,
            "user.totp_reset",
            "user",
            user.id,
            details={"sessions_ended": done.sessions_ended, "recovery_codes": len(done.recovery_codes)},
        )
    click.echo(f"New second factor for {user.email}; {done.sessions_ended} session(s) ended.")
    click.echo("Second factor (shown once; the old authenticator no longer works):")
    _echo_factor(reenrol.grouped(done.secret), done.uri, show_qr)
    _echo_codes(done.recovery_codes)


@command.command("require-totp")
@click.argument("email")
@click.option("--off", is_flag=True, help="No longer require it (a second factor already added stays).")
@db_option
def require_totp(email: str, off: bool, db: str | None) -> None:
    """Require a second factor of a user who may have none (roles other than admin and legal).

    Until they add an authenticator app (the console's Account page, or POST /api/v1/auth/totp),
    their sign-in opens nothing but that page. Their sessions end, as with any change of what
    the account may do (PATCH /api/v1/users/{id}). Audited as user.change."""
    with case_database(db) as engine, session_scope(engine) as session:
        user = _user(session, email)
        user.totp_required = not off
        logins.end_user_sessions(session, user.id, SystemClock().now())
        audit_cli(session, "user.change", "user", user.id, details={"totp_required": not off})
        has = user.totp_secret is not None
    if off:
        click.echo(f"A second factor is no longer required of {user.email}.")
    elif has:
        click.echo(f"A second factor is required of {user.email}, who has one already.")
    else:
        click.echo(
            f"A second factor is required of {user.email}: at their next request they are sent to the"
            " Account page to add an authenticator app, and can open nothing else until they have."
        )


@command.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@db_option
def set_password(email: str, password_stdin: bool, db: str | None) -> None:
    """Set a user's password (forgotten): every session of the user ends; the second factor
    stays. Users change their own with POST /api/v1/auth/password."""
    password = _read_password(password_stdin)
    with case_database(db) as engine, session_scope(engine) as session:
        user = _user(session, email)
        ended = logins.reset_password(
            session, user, password, now=SystemClock().now(), hasher=accounts.HASHER
        )
        audit_cli(session, "user.password_reset", "user", user.id, details={"sessions_ended": ended})
    click.echo(f"Password of {user.email} set; {ended} session(s) ended.")


@command.command("grant")
@click.argument("email")
@click.option("--incident", "incident_id", type=int, required=True, metavar="N", help="Incident id.")
@db_option
def grant(email: str, incident_id: int, db: str | None) -> None:
    """Make a user a member of an incident (access is per incident, denied by default)."""
    with case_database(db) as engine, session_scope(engine) as session:
        user = accounts.get_user(session, email)
        if user is None:
            raise InputError(f"no user {email}", "add one with: breachscope users add EMAIL --role ROLE")
        added = accounts.add_member(
            session, incident_id, user, by=f"cli:{who(None)}", now=SystemClock().now()
        )
        if added:
            audit_cli(session, "member.add", "user", user.id, incident_id=incident_id)
    click.echo(f"{user.email} {'is now' if added else 'was already'} a member of incident {incident_id}.")


@command.command("list")
@db_option
def list_(db: str | None) -> None:
    """The team's accounts, their roles and incidents."""
    with case_database(db) as engine, session_scope(engine) as session:
        for user in accounts.list_users(session):
            ids = accounts.member_incident_ids(session, user.id)
            state = " (disabled)" if user.disabled_at else ""
            totp = "TOTP" if user.totp_secret is not None else "no TOTP"
            if accounts.must_enrol(user):
                totp = "no TOTP (required: must add one)"
            click.echo(f"{user.id}\t{user.email}\t{user.role}\t{totp}\tincidents: {ids or '-'}{state}")
