"""The server's settings: one object passed to :func:`breachscope.web.app.create_app` (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher

from breachscope.case.accounts import HASHER
from breachscope.case.logins import SessionPolicy
from breachscope.clock import Clock, SystemClock

SESSION_COOKIE = "bs_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"


@dataclass
class ServerSettings:
    """What ``breachscope serve`` passes to the app factory.

    - ``secure_cookies``: ``"auto"`` sets ``Secure`` when the request came over TLS (directly, or
      per ``X-Forwarded-Proto`` from a trusted proxy); ``"always"`` / ``"never"`` force it.
    - ``trusted_proxies``: addresses whose ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are
      believed (uvicorn's ``--forwarded-allow-ips``); nobody else's.
    - ``public_origin``: the origin browsers use (``https://breach.example.com``); requests that
      change state must come from it (Origin/Referer check). Empty: the Host the request names.
    - ``upload_dir``: where uploads are streamed (0700 folder, 0600 files, deleted after attach).
    """

    db_url: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    secure_cookies: str = "auto"
    trusted_proxies: tuple[str, ...] = ()
    public_origin: str = ""
    upload_dir: Path | None = None
    max_upload_bytes: int = 2 * 1024**3
    job_workers: int = 1
    #: Requests holding a database session at a time (the rest wait their turn): the engine's
    #: pool has 5 + 10 connections (SQLAlchemy's default); a page may use two, jobs their own.
    db_slots: int = 6
    #: Directory sources the server may scope against, by name: a database URL or a file path
    #: (set by the operator with ``--directory NAME=URL``; a client names one, never gives a URL).
    directories: dict[str, str] = field(default_factory=dict)
    #: notify.toml (sender, SMTP, templates) for notice preview/send; None: $BREACHSCOPE_NOTIFY_CONFIG
    notify_config: Path | None = None
    #: SQLite: how long a change waits for the write lock (another writer: a job's batch, the
    #: CLI) before answering 503 "busy, try again"
    busy_timeout_s: float = 30.0
    #: Rows per attach batch; on SQLite an attach commits each batch, so this bounds how long it
    #: holds the write lock
    attach_batch_rows: int = 65_536
    #: Commit an attach batch by batch (its dataset reads "attaching" until the last one; one cut
    #: short by a dead server is removed when its job is recovered). None: on SQLite only, whose
    #: one write lock every other change would otherwise wait for; on PostgreSQL an attach is one
    #: transaction unless this is True.
    attach_commit_every_batch: bool | None = None
    #: argon2id parameters for new and rehashed passwords (RFC 9106 by default)
    hasher: PasswordHasher = HASHER
    #: Tests only (tests/web/test_authz_matrix.py): answer 204 once authorization has passed,
    #: without running the endpoint, so every route x role can be probed without side effects.
    authz_probe: bool = False
