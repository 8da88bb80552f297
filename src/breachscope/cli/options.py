"""The options every command shares, declared once: ``--db``, ``--incident``, ``--config``,
``--json`` and ``--author``, plus the one way a command writes its JSON, reads a date and shows
progress.

- ``--db URL``: the case database (default ``$BREACHSCOPE_DB``, else ``sqlite:///breachscope.db``).
- ``--incident N``: the incident a stage works on (``breachscope case list`` shows the ids).
- ``--config FILE``: a TOML settings file.
- ``--json PATH``: also write the result as JSON to PATH; ``--json -`` (or a bare ``--json``)
  writes it to standard output instead of the human-readable output.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from breachscope.case.dates import DATE_FIELDS, DATE_LABELS
from breachscope.errors import InputError
from breachscope.files import write_private
from breachscope.progress import NullProgress, Progress, RichProgress

F = TypeVar("F", bound=Callable[..., Any])

DB_ENV = "BREACHSCOPE_DB"  # the same variable breachscope.case.db reads
AUTHOR_ENV = "BREACHSCOPE_AUTHOR"
#: Who runs the command, for the audit log and four eyes (``--author`` does not change it).
ACTOR_ENV = "BREACHSCOPE_ACTOR"
DEFAULT_AUTHOR = "breachscope"
STDOUT = "-"


def db_option(f: F) -> F:
    """``--db URL``, shared by every command that opens a case."""
    return click.option(
        "--db",
        "db",
        envvar=DB_ENV,
        default=None,
        metavar="URL",
        help=f"Case database URL (default: ${DB_ENV}, else sqlite:///breachscope.db).",
    )(f)


def incident_option(
    required: bool = True, help: str = "Incident id (see: breachscope case list)."
) -> Callable[[F], F]:
    """``--incident N``: spelled the same in every command."""

    def decorate(f: F) -> F:
        return click.option("--incident", "incident_id", type=int, required=required, metavar="N", help=help)(
            f
        )

    return decorate


def config_option(help: str = "Settings file (TOML).", envvar: str | None = None) -> Callable[[F], F]:
    """``--config FILE`` (``envvar`` names the variable that gives the default)."""

    def decorate(f: F) -> F:
        return click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar=envvar,
            default=None,
            metavar="FILE",
            help=help,
        )(f)

    return decorate


def json_option(
    help: str = "Also write the result as JSON to PATH; '-' (or no PATH) is standard output.",
) -> Callable[[F], F]:
    """``--json PATH``: a file; ``--json -`` or a bare ``--json``: standard output."""

    def decorate(f: F) -> F:
        return click.option(
            "--json", "json_out", is_flag=False, flag_value=STDOUT, default=None, metavar="PATH", help=help
        )(f)

    return decorate


def to_stdout(json_out: str | None) -> bool:
    """True when ``--json`` asks for standard output (the human output is then left out)."""
    return json_out == STDOUT


def emit_json(json_out: str | None, doc: Any) -> bool:
    """Write ``doc`` to the ``--json`` target when one was given; True when it went to standard
    output, so the command leaves its human output out."""
    if not json_out:
        return False
    write_json(json_out, doc)
    return to_stdout(json_out)


def write_json(json_out: str | Path, doc: Any) -> None:
    """Write ``doc`` as indented JSON to the ``--json`` target (a file, or ``-``: stdout)."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
    if str(json_out) == STDOUT:
        click.echo(text, nl=False)
        return
    path = Path(json_out)
    try:
        write_private(path, text, parents=False)  # 0600; a missing folder is a mistyped path: say so
    except OSError as exc:
        raise InputError(
            f"cannot write {path}: {exc.strerror or exc}", "choose a writable --json path"
        ) from exc


def author_option(f: F) -> F:
    return click.option(
        "--author",
        default=None,
        help=f"Who is doing this, for the timeline (default: ${AUTHOR_ENV}, else the login name).",
    )(f)


def who(author: str | None) -> str:
    """The author of a change: ``--author``, else ``$BREACHSCOPE_AUTHOR``, else the login name."""
    if author:
        return author
    return os.environ.get(AUTHOR_ENV) or _login_name()


def actor() -> str:
    """Who runs this command, for the audit log and approvals: ``$BREACHSCOPE_ACTOR``, else the
    login name. Unlike ``--author`` (free text for the timeline) it is not an option: on a shared
    machine each person sets it once in their own environment (see docs/audit.md)."""
    return os.environ.get(ACTOR_ENV, "").strip() or _login_name()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers): the tool's own name
        return DEFAULT_AUTHOR


def cli_source() -> str:
    """Where a CLI change comes from, for the audit log: ``cli@<host name>``."""
    import socket

    return f"cli@{socket.gethostname()[:180]}"


def audit_cli(
    session: Any,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    incident_id: int | None = None,
    details: dict[str, Any] | None = None,
    *,
    author: str | None = None,
) -> None:
    """Append this command's change to the audit log, in ``session`` (so with the change).

    The actor is :func:`actor`; a different ``--author``/``--by`` is kept in the details."""
    from breachscope.case import audit

    body = dict(details or {})
    if author and author != actor():
        body["author"] = author
    audit.append(
        session,
        actor=actor(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        incident_id=incident_id,
        details=body,
        source=cli_source(),
    )


def audit_after(engine: Any, *args: Any, **kwargs: Any) -> None:
    """:func:`audit_cli` in a transaction of its own, for library calls that commit themselves."""
    from breachscope.case.session import session_scope

    with session_scope(engine) as s:
        audit_cli(s, *args, **kwargs)


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich bar on an interactive terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield NullProgress()
        return
    with RichProgress() as bar:
        yield bar


def parse_when(value: str | None, option: str) -> datetime | None:
    """ISO 8601 date or date-time; a value with no zone is read as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{option}: not a date/time: {value!r}", "use ISO 8601, e.g. 2025-11-09T14:00+07:00 or 2025-11-09"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def fmt_when(value: datetime | None) -> str:
    """ISO 8601 to the minute, ``-`` when unknown."""
    return value.isoformat(timespec="minutes") if value else "-"


def date_options(f: F) -> F:
    """One ``--<date>`` option per incident date (``case new``, ``case edit``)."""
    for name in reversed(DATE_FIELDS):
        f = click.option(
            f"--{name.replace('_', '-')}",
            name,
            default=None,
            metavar="WHEN",
            help=f"When {DATE_LABELS[name]} (ISO 8601; no zone = UTC).",
        )(f)
    return f


def force_options(f: F) -> F:
    """``--force`` and ``--reason``: accept implausible dates, with a logged reason."""
    f = click.option(
        "--reason", default="", help="Why (needed with --force, and to correct a date already set; logged)."
    )(f)
    return click.option(
        "--force", is_flag=True, help="Accept dates in the future or out of order (needs --reason)."
    )(f)
