"""Team accounts storage: argon2id, TOTP (encrypted, single-use, +-1 step), membership, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, text

from breachscope.case import accounts
from breachscope.case import api as case_api
from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_the_default_hasher_is_rfc9106_argon2id() -> None:
    h = accounts.HASHER
    assert (h.time_cost, h.memory_cost, h.parallelism, h.type.name) == (3, 65536, 4, "ID")


def test_password_hash_totp_and_rehash(engine: Engine) -> None:
    with session_scope(engine) as s:
        new = accounts.create_user(
            s, " Ann@Example.com ", "admin", "a long passphrase", now=NOW, created_by="t", hasher=CHEAP
        )
        assert new.user.email == "ann@example.com"
        assert new.user.password_hash.startswith("$argon2id$")
        assert new.totp_secret and new.totp_uri and new.totp_uri.startswith("otpauth://totp/")
        # the secret is stored encrypted under the KEK, not in plain
        raw = s.execute(text("SELECT totp_secret FROM team_users")).scalar_one()
        assert new.totp_secret.encode() not in bytes(raw)
        user = new.user
        assert not accounts.verify_password(user, "wrong passphrase!", CHEAP)
        assert accounts.verify_password(user, "a long passphrase", CHEAP)
        stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
        assert accounts.verify_password(user, "a long passphrase", stronger)  # rehashed on login
        assert "m=2048,t=2" in user.password_hash
        assert not accounts.verify_password(None, "a long passphrase", CHEAP)


TOTP_WINDOW = [(-60, False), (-30, True), (0, True), (30, True), (60, False)]
REFUSED: list[tuple[dict[str, object], str]] = [
    ({"role": "root"}, "unknown role"),
    ({"password": "short"}, "shorter than"),
    ({"role": "admin", "totp": False}, "needs a second factor"),
    ({"email": "not-an-email"}, "not an email"),
]


def test_totp_window_replay_and_refusals(engine: Engine) -> None:
    """A code of the previous, current or next step, once; never an older step's."""
    with session_scope(engine) as s:
        for n, (offset, ok) in enumerate(TOTP_WINDOW):
            user = accounts.create_user(
                s, f"l{n}@x.org", "legal", "a long passphrase", now=NOW, created_by="t", hasher=CHEAP
            ).user
            code = accounts.totp_code(s, user, NOW + timedelta(seconds=offset))
            assert accounts.verify_totp(s, user, code, NOW) is ok, offset
            if ok:  # the same code (and any older one) never again
                assert not accounts.verify_totp(s, user, code, NOW)
        for kw, error in REFUSED:
            args: dict[str, object] = {"email": "x@y.org", "role": "viewer", "password": "a long passphrase"}
            args.update(kw)
            with pytest.raises(BreachscopeError, match=error):
                accounts.create_user(s, now=NOW, created_by="t", hasher=CHEAP, **args)  # type: ignore[arg-type]


def test_membership_and_tokens(engine: Engine) -> None:
    with session_scope(engine) as s:
        inc = case_api.create_incident(s, "leak").id
        user = accounts.create_user(
            s, "r@x.org", "responder", "a long passphrase", now=NOW, created_by="t", totp=False, hasher=CHEAP
        ).user
        assert not accounts.is_member(s, inc, user.id)  # denied by default
        assert accounts.add_member(s, inc, user, by="t", now=NOW)
        assert not accounts.add_member(s, inc, user, by="t", now=NOW)
        assert accounts.member_incident_ids(s, user.id) == [inc]
        with pytest.raises(BreachscopeError, match="more rights"):
            accounts.create_token(
                s, user, name="x", role="admin", incident_id=None, lifetime=timedelta(days=1), now=NOW
            )
        token, textual = accounts.create_token(
            s, user, name="ci", role="viewer", incident_id=inc, lifetime=timedelta(days=1), now=NOW
        )
        stored = s.scalar(select(accounts.ApiToken.secret_hash))
        assert stored is not None and textual.split("_", 2)[2] not in stored  # only the hash
        assert accounts.resolve_token(s, textual, NOW) is not None
        assert accounts.resolve_token(s, textual + "x", NOW) is None
        assert accounts.resolve_token(s, textual, NOW + timedelta(days=1)) is None  # expired
        assert accounts.revoke_token(s, user.id, token.id, NOW)
        assert accounts.resolve_token(s, textual, NOW) is None


def test_users_add_prints_the_second_factor_once(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from breachscope.cli import cli

    db = f"sqlite:///{tmp_path / 'team.db'}"
    r = CliRunner().invoke(
        cli,
        ["users", "add", "boss@x.org", "--role", "admin", "--password-stdin", "--create", "--db", db],
        input="a long passphrase\n",
    )
    assert r.exit_code == 0, r.output
    assert "secret: " in r.output and "otpauth://totp/breachscope:boss%40x.org" in r.output
    r = CliRunner().invoke(cli, ["users", "list", "--db", db])
    assert "boss@x.org\tadmin\tTOTP" in r.output and "passphrase" not in r.output
    r = CliRunner().invoke(
        cli,
        ["users", "add", "x@x.org", "--role", "legal", "--no-totp", "--password-stdin", "--db", db],
        input="a long passphrase\n",
    )
    assert r.exit_code != 0 and "needs a second factor" in r.output


def test_recovery_codes_are_hashed_single_use_and_replaced(engine: Engine) -> None:
    with session_scope(engine) as s:
        new = accounts.create_user(s, "rc@x.org", "legal", "a long passphrase", now=NOW, created_by="t",
                                   hasher=CHEAP)  # fmt: skip
        user, codes = new.user, new.recovery_codes
        assert len(codes) == accounts.RECOVERY_CODES == len(set(codes))
        stored = " ".join(s.scalars(select(accounts.RecoveryCode.code_hash)))
        assert all(c not in stored and c.replace("-", "") not in stored for c in codes)
        assert accounts.verify_second_factor(s, user, codes[0], NOW) == "recovery_code"
        assert accounts.verify_second_factor(s, user, codes[0], NOW) is None  # used
        # typed with spaces and capitals, it is the same code
        assert (
            accounts.verify_second_factor(s, user, codes[1].upper().replace("-", " "), NOW) == "recovery_code"
        )
        assert accounts.verify_second_factor(s, user, accounts.totp_code(s, user, NOW), NOW) == "totp"
        for wrong in ("", "aaaa-aaaa-aaaa-aaaa", codes[2][:-1], "123456"):
            assert accounts.verify_second_factor(s, user, wrong, NOW) is None
        assert accounts.recovery_codes_left(s, user.id) == 8
        fresh = accounts.new_recovery_codes(s, user, NOW)
        assert accounts.recovery_codes_left(s, user.id) == 10
        assert accounts.verify_second_factor(s, user, codes[3], NOW) is None  # the old ones are gone
        assert accounts.verify_second_factor(s, user, fresh[0], NOW) == "recovery_code"
        plain = accounts.create_user(s, "p@x.org", "viewer", "a long passphrase", now=NOW, created_by="t",
                                     totp=False, hasher=CHEAP)  # fmt: skip
        assert plain.recovery_codes == ()
        assert accounts.verify_second_factor(s, plain.user, "", NOW) == "none"
        with pytest.raises(BreachscopeError, match="no second factor"):
            accounts.new_recovery_codes(s, plain.user, NOW)


def test_users_recovery_codes_and_set_password_commands(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from breachscope.case.audit import AuditEntry
    from breachscope.case.db import open_case_db
    from breachscope.case.logins import SessionPolicy, resolve_session, start_session
    from breachscope.cli import cli

    db = f"sqlite:///{tmp_path / 'team.db'}"
    r = CliRunner().invoke(
        cli, ["users", "add", "boss@x.org", "--role", "admin", "--password-stdin", "--create", "--db", db],
        input="a long passphrase\n",
    )  # fmt: skip
    first = [
        line.strip() for line in r.output.splitlines() if line.count("-") == 3 and len(line.strip()) == 19
    ]
    assert r.exit_code == 0 and len(first) == 10, r.output
    r = CliRunner().invoke(cli, ["users", "recovery-codes", "boss@x.org", "--db", db])
    again = [
        line.strip() for line in r.output.splitlines() if line.count("-") == 3 and len(line.strip()) == 19
    ]
    assert r.exit_code == 0 and len(again) == 10 and not set(again) & set(first), r.output
    engine = open_case_db(db)
    with session_scope(engine) as s:
        user = accounts.get_user(s, "boss@x.org")
        assert user is not None
        assert accounts.verify_second_factor(s, user, first[0], NOW) is None
        assert accounts.verify_second_factor(s, user, again[0], NOW) == "recovery_code"
        raw = start_session(s, user, now=NOW, address="a", user_agent="u", policy=SessionPolicy())
    r = CliRunner().invoke(
        cli, ["users", "set-password", "boss@x.org", "--password-stdin", "--db", db], input="short\n"
    )
    assert r.exit_code != 0 and "shorter than 12" in r.output
    r = CliRunner().invoke(
        cli, ["users", "set-password", "boss@x.org", "--password-stdin", "--db", db],
        input="another long passphrase\n",
    )  # fmt: skip
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    with session_scope(engine) as s:
        user = accounts.get_user(s, "boss@x.org")
        assert accounts.verify_password(user, "another long passphrase")
        assert resolve_session(s, raw, now=NOW, policy=SessionPolicy()) is None
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert actions == ["user.create", "user.recovery_codes", "user.password_reset"]
    engine.dispose()


ACCOUNT_TABLES = {
    "team_users", "incident_members", "api_tokens", "team_sessions", "login_throttle", "team_recovery_codes"
}  # fmt: skip


def test_account_migration_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case import logins  # noqa: F401  (its tables on Base.metadata)
    from breachscope.case.base import Base
    from tests.case.test_db import _table_of

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if _table_of(d) in ACCOUNT_TABLES] == []


def test_jobs_migration_matches_the_model(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case import jobs  # noqa: F401  (its table on Base.metadata)
    from breachscope.case.base import Base
    from tests.case.test_db import _table_of

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if _table_of(d) in {"jobs", "timeline_events", "accounts"}] == []
