"""A new second factor: ``breachscope users totp EMAIL`` (an admin's reset for someone who cannot
sign in) and the pending secret of a self-service re-enrolment as stored."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
from click.testing import CliRunner
from sqlalchemy import Engine, select, text

from breachscope.case import accounts, reenrol
from breachscope.case.audit import AuditEntry
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.logins import SessionPolicy, resolve_session, start_session
from breachscope.cli import cli
from tests.case.test_accounts import CHEAP, NOW
from tests.web.qr_decode import decode, terminal_to_pbm


def test_the_users_totp_command_prints_a_new_factor_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'team.db'}"
    r = CliRunner().invoke(
        cli, ["users", "add", "lost@x.org", "--role", "legal", "--password-stdin", "--create", "--db", db],
        input="a long passphrase\n",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    [old] = re.findall(r"secret: (\S+)", r.output)
    engine = open_case_db(db)
    with session_scope(engine) as s:
        user = accounts.get_user(s, "lost@x.org")
        assert user is not None
        raw = start_session(s, user, now=NOW, address="a", user_agent="u", policy=SessionPolicy())
    assert CliRunner().invoke(cli, ["users", "totp", "nobody@x.org", "--db", db]).exit_code != 0
    r = CliRunner().invoke(cli, ["users", "totp", "lost@x.org", "--db", db])
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    [grouped] = re.findall(r"secret: ([A-Z2-7 ]+)\n", r.output)
    secret = grouped.replace(" ", "")
    assert len(secret) == 32 and grouped.count(" ") == 7
    [uri] = re.findall(r"URI: +(\S+)", r.output)
    assert uri.startswith("otpauth://totp/breachscope:lost%40x.org?secret=" + secret)
    codes = [line.strip() for line in r.output.splitlines() if re.fullmatch(r" +(\w{4}-){3}\w{4}", line)]
    assert len(codes) == 10
    with session_scope(engine) as s:
        user = accounts.get_user(s, "lost@x.org")
        assert user is not None
        assert resolve_session(s, raw, now=NOW, policy=SessionPolicy()) is None
        assert not accounts.verify_totp(s, user, pyotp.TOTP(old).at(NOW), NOW)
        assert accounts.verify_totp(s, user, pyotp.TOTP(secret).at(NOW), NOW)
        assert accounts.verify_second_factor(s, user, codes[0], NOW) == "recovery_code"
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert [e.action for e in entries] == ["user.create", "user.totp_reset"]
        assert entries[-1].details == {"sessions_ended": 1, "recovery_codes": 10}
    engine.dispose()


def test_a_pending_secret_is_sealed_and_replaced_only_by_its_code(engine: Engine) -> None:
    with session_scope(engine) as s:
        new = accounts.create_user(s, "p@x.org", "admin", "a long passphrase", now=NOW, created_by="t",
                                   hasher=CHEAP)  # fmt: skip
        user, old = new.user, new.totp_secret
        assert old is not None
        check, enrolment = reenrol.begin(s, user, "a long passphrase", address="a", now=NOW, hasher=CHEAP)
        assert check.ok and enrolment is not None
        s.flush()
        raw = s.execute(
            text("SELECT totp_pending FROM team_users WHERE id = :i"), {"i": user.id}
        ).scalar_one()
        assert enrolment.secret.encode() not in bytes(raw)  # sealed under the KEK
        assert reenrol.pending_until(user, NOW) == NOW + reenrol.PENDING_FOR
        wrong = reenrol.confirm(s, user, pyotp.TOTP(old).at(NOW), address="a", now=NOW, keep_session=None)
        assert wrong.result == "failed" and user.totp_pending is not None
        assert accounts.verify_totp(s, user, pyotp.TOTP(old).at(NOW), NOW)  # the old one still works
        done = reenrol.confirm(
            s, user, pyotp.TOTP(enrolment.secret).at(NOW), address="a", now=NOW, keep_session=None
        )
        assert done.result == "ok" and user.totp_pending is None and user.totp_pending_at is None
        # the confirming code's step is used: the same code does not sign in again
        assert not accounts.verify_totp(s, user, pyotp.TOTP(enrolment.secret).at(NOW), NOW)
        assert accounts.totp_code(s, user, NOW) == pyotp.TOTP(enrolment.secret).at(NOW)


def test_guessing_the_new_code_locks_like_sign_in(engine: Engine) -> None:
    from breachscope.case.logins import FREE_TRIES

    with session_scope(engine) as s:
        user = accounts.create_user(s, "g@x.org", "legal", "a long passphrase", now=NOW, created_by="t",
                                    hasher=CHEAP).user  # fmt: skip
        _, enrolment = reenrol.begin(s, user, "a long passphrase", address="a", now=NOW, hasher=CHEAP)
        assert enrolment is not None
        right = pyotp.TOTP(enrolment.secret).at(NOW)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        results = [
            reenrol.confirm(s, user, wrong, address="a", now=NOW, keep_session=None)
            for _ in range(FREE_TRIES)
        ]
        assert [r.result for r in results] == ["failed"] * FREE_TRIES
        locked = reenrol.confirm(s, user, right, address="a", now=NOW, keep_session=None)
        assert locked.result == "locked" and locked.retry_after is not None  # even the right code
        assert user.totp_pending is not None  # still waiting: once the lock ends, the right code works
        done = reenrol.confirm(s, user, right, address="a", now=NOW + locked.retry_after, keep_session=None)
        assert done.result == "ok"


def test_a_first_second_factor_is_active_and_has_recovery_codes_only_once_confirmed(engine: Engine) -> None:
    with session_scope(engine) as s:
        user = accounts.create_user(s, "f@x.org", "viewer", "a long passphrase", now=NOW, created_by="t",
                                    totp=False, hasher=CHEAP).user  # fmt: skip
        _, enrolment = reenrol.begin(s, user, "a long passphrase", address="a", now=NOW, hasher=CHEAP)
        assert enrolment is not None and user.totp_secret is None
        assert accounts.verify_second_factor(s, user, "", NOW) == "none"  # the password alone, meanwhile
        right = pyotp.TOTP(enrolment.secret).at(NOW)
        wrong = reenrol.confirm(s, user, f"{(int(right) + 1) % 1_000_000:06d}", address="a", now=NOW,
                                keep_session=None)  # fmt: skip
        assert (wrong.result, wrong.first, wrong.recovery_codes) == ("failed", False, ())
        assert user.totp_secret is None and accounts.recovery_codes_left(s, user.id) == 0
        done = reenrol.confirm(s, user, right, address="a", now=NOW, keep_session=None)
        assert done.result == "ok" and done.first and len(done.recovery_codes) == accounts.RECOVERY_CODES
        assert user.totp_secret is not None and accounts.verify_second_factor(s, user, "", NOW) is None
        assert accounts.verify_second_factor(s, user, done.recovery_codes[0], NOW) == "recovery_code"
        _, again = reenrol.begin(s, user, "a long passphrase", address="a", now=NOW, hasher=CHEAP)
        assert again is not None
        later = NOW + timedelta(seconds=60)
        replaced = reenrol.confirm(s, user, pyotp.TOTP(again.secret).at(later), address="a", now=later,
                                   keep_session=None)  # fmt: skip
        assert replaced.result == "ok" and not replaced.first and replaced.recovery_codes == ()
        assert accounts.recovery_codes_left(s, user.id) == accounts.RECOVERY_CODES - 1  # kept


def test_the_users_require_totp_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'team.db'}"
    runner = CliRunner()
    for email, extra in (
        ("plain@x.org", ["--no-totp"]),
        ("has@x.org", []),
        ("own@x.org", ["--totp-at-sign-in"]),
    ):
        r = runner.invoke(
            cli,
            ["users", "add", email, "--role", "viewer", "--password-stdin", "--create", "--db", db, *extra],
            input="a long passphrase\n",
        )
        assert r.exit_code == 0, r.output
        said = ("at their first sign-in" in r.output, "secret:" in r.output)
        assert said == (email == "own@x.org", email == "has@x.org"), r.output
    engine = open_case_db(db)
    with session_scope(engine) as s:  # plain@x.org is signed in when the factor becomes required
        plain = accounts.get_user(s, "plain@x.org")
        assert plain is not None
        raw = start_session(s, plain, now=NOW, address="a", user_agent="u", policy=SessionPolicy())
    engine.dispose()
    cases = [
        (["plain@x.org"], 0, "required of plain@x.org: at their next request", True),
        (["has@x.org"], 0, "required of has@x.org, who has one already", True),
        (["plain@x.org", "--off"], 0, "no longer required of plain@x.org", False),
        (["nobody@x.org"], 2, "no user nobody@x.org", None),
    ]
    for args, code, said, required in cases:
        r = runner.invoke(cli, ["users", "require-totp", *args, "--db", db])
        assert (r.exit_code, said in r.output) == (code, True), r.output
        if required is not None:
            engine = open_case_db(db)
            with session_scope(engine) as s:
                user = accounts.get_user(s, args[0])
                assert user is not None and user.totp_required is required
                last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
                assert last is not None and (last.action, last.details) == (
                    "user.change",
                    {"totp_required": required},
                )
                if args[0] == "plain@x.org":  # a change of what the account may do ends its sessions
                    assert resolve_session(s, raw, now=NOW, policy=SessionPolicy()) is None
            engine.dispose()
    engine = open_case_db(db)
    with session_scope(engine) as s:
        made = accounts.get_user(s, "own@x.org")
        assert made is not None and accounts.must_enrol(made)
        created = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).all()
        assert created[-1].details == {"role": "viewer", "totp_required": True}
    engine.dispose()
    runner.invoke(cli, ["users", "require-totp", "plain@x.org", "--db", db])
    listed = runner.invoke(cli, ["users", "list", "--db", db]).output
    assert (
        "plain@x.org\tviewer\tno TOTP (required: must add one)" in listed
        and "has@x.org\tviewer\tTOTP\t" in listed
        and "own@x.org\tviewer\tno TOTP (required: must add one)" in listed
    )


def _qr_lines(output: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index("  QR code of the URI (scan it with the app):") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("Recovery codes"))
    return lines[start:end]


def test_the_cli_prints_the_qr_code_only_when_asked_and_it_reads_back(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'team.db'}"
    add = ["users", "add", "qr@x.org", "--role", "admin", "--password-stdin", "--create", "--db", db]
    runner = CliRunner()
    for args, show in ((add, False), (["users", "totp", "qr@x.org", "--db", db], False),
                       (["users", "totp", "qr@x.org", "--qr", "--db", db], True),
                       ([*add[:2], "qr2@x.org", *add[3:], "--qr"], True)):  # fmt: skip
        r = runner.invoke(cli, args, input="a long passphrase\n")
        assert r.exit_code == 0, r.output
        [uri] = re.findall(r"URI: +(\S+)", r.output)
        assert ("QR code" in r.output) is show and ("█" in r.output) is show
        if show:
            lines = _qr_lines(r.output)
            assert len(lines[0]) <= 80 and len(lines) <= 40  # fits an ordinary terminal
            assert decode(terminal_to_pbm(lines), ".pbm") == [uri]


def test_users_add_at_sign_in_says_what_to_leave_out(tmp_path: Path) -> None:
    """``--totp-at-sign-in`` for admin and legal (who get their secret from ``users add``) and
    with ``--no-totp`` (which contradicts it: a factor required, or none) is refused with the
    option the user actually gave, and adds no one."""
    db = f"sqlite:///{tmp_path / 'team.db'}"
    runner = CliRunner()
    for role, extra, said in (
        ("admin", ["--totp-at-sign-in"], "leave out --totp-at-sign-in"),
        ("legal", ["--totp-at-sign-in"], "leave out --totp-at-sign-in"),
        ("viewer", ["--totp-at-sign-in", "--no-totp"], "--no-totp or --totp-at-sign-in"),
    ):
        r = runner.invoke(
            cli,
            [
                "users",
                "add",
                f"{role}@x.org",
                "--role",
                role,
                "--password-stdin",
                "--create",
                "--db",
                db,
                *extra,
            ],
            input="a long passphrase\n",
        )
        assert (r.exit_code, said in r.output, "leave out --no-totp" in r.output) == (2, True, False), (
            r.output
        )
    made = runner.invoke(cli, ["users", "add", "ok@x.org", "--role", "viewer", "--password-stdin", "--create",
                               "--db", db, "--totp-at-sign-in"], input="a long passphrase\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    engine = open_case_db(db)
    with session_scope(engine) as s:
        assert [u.email for u in accounts.list_users(s)] == ["ok@x.org"]
    engine.dispose()
