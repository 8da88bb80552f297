"""``breachscope scope``: who is affected - orgs, admins, users - and where they live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import (
    audit_after,
    author_option,
    db_option,
    incident_option,
    json_option,
    progress_bar,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.scope.directory import DEFAULT_ADMIN_ROLES, FIELDS, DirectorySource, parse_mapping
from breachscope.scope.report import scope_report, write_csv_dir
from breachscope.scope.run import ScopeSettings, run_scope


def print_summary(summary: dict[str, Any], console: Console) -> None:
    t = Table(title="scope", show_header=False)
    t.add_column("what")
    t.add_column("count", justify="right")
    for key, label in (
        ("leaked_people", "leaked people in the case"),
        ("matched_people", "matched to an account"),
        ("affected_users", "affected users (accounts)"),
        ("affected_orgs", "affected organizations"),
        ("admins", "admins of affected organizations"),
        ("org_only_people", "matched to an organization only"),
        ("ambiguous_people", "ambiguous (listed for review)"),
        ("lookalike_people", "look-alike emails (listed for review)"),
        ("unmatched_people", "not matched to any account"),
    ):
        t.add_row(label, f"{summary.get(key, 0):,}")
    for key, n in sorted(summary.get("matched_by_key", {}).items()):
        t.add_row(f"  matched by {key}", f"{n:,}")
    console.print(t)
    juris: dict[str, int] = summary.get("jurisdictions", {})
    countries = sorted(((k, v) for k, v in juris.items() if "-" not in k), key=lambda kv: (-kv[1], kv[0]))
    j = Table(title="leaked people per country (and US state / Canadian province)")
    j.add_column("jurisdiction")
    j.add_column("people", justify="right")
    for code, n in countries:
        j.add_row(code, f"{n:,}")
        if code in ("US", "CA"):
            subs = sorted(
                ((k, v) for k, v in juris.items() if k.startswith(code + "-")), key=lambda kv: -kv[1]
            )
            for sub, m in subs:
                j.add_row(f"  {sub}", f"{m:,}")
    console.print(j)
    print_checks(summary.get("jurisdiction_checks") or {}, console)


def print_checks(checks: dict[str, Any], console: Console) -> None:
    """Where the leak's location and the directory's country disagree (both count), or the leak's
    is implausible (ignored): shown, never silent."""
    if not checks.get("differ") and not checks.get("leak_implausible"):
        return
    t = Table(title="leaked location vs directory country (a person counts in both)")
    t.add_column("check")
    t.add_column("people", justify="right")
    for key, label in (
        ("agree", "same country"),
        ("differ", "different countries: both jurisdictions count"),
        ("leak_implausible", "implausible leaked location: ignored, directory used"),
        ("leak_only", "leak only (no directory country)"),
        ("directory_only", "directory only (no leaked location)"),
        ("unknown", "unknown"),
    ):
        t.add_row(label, f"{checks.get(key, 0):,}")
    for pair, n in (checks.get("differences") or {}).items():
        t.add_row(f"  {pair}", f"{n:,}")
    console.print(t)


@click.command("scope")
@incident_option()
@click.option(
    "--directory",
    required=True,
    metavar="SOURCE",
    help="The account directory: a .csv/.tsv/.parquet file or a SQLAlchemy database URL.",
)
@click.option("--table", default=None, help="Directory table, when SOURCE is a database URL.")
@click.option("--query", default=None, help="Directory SQL query, when SOURCE is a database URL.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN,...",
    help=f"Map directory fields to your column names (fields: {', '.join(FIELDS)}); repeatable.",
)
@click.option(
    "--admin-roles",
    default=",".join(DEFAULT_ADMIN_ROLES),
    show_default=True,
    help="Comma-separated role values that make an account an organization admin.",
)
@json_option("Write the full scope as JSON to PATH ('-': standard output).")
@click.option(
    "--csv-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write orgs.csv, admins.csv, users.csv, unmatched.csv and review.csv here.",
)
@click.option(
    "--memory-limit", default="1GB", show_default=True, help="DuckDB memory limit (it spills to disk beyond)."
)
@author_option
@db_option
def command(
    incident_id: int,
    directory: str,
    table: str | None,
    query: str | None,
    maps: tuple[str, ...],
    admin_roles: str,
    json_out: str | None,
    csv_dir: Path | None,
    memory_limit: str,
    author: str | None,
    db: str | None,
) -> None:
    """Match an incident's leaked people to your account directory; roll up orgs, admins, users,
    unmatched records and jurisdictions; store the result in the case."""
    src = DirectorySource(directory, parse_mapping(maps), table=table, query=query)
    roles = tuple(r.strip() for r in admin_roles.split(",") if r.strip())
    with case_database(db) as engine:
        with progress_bar() as progress:
            summary = run_scope(
                engine,
                incident_id,
                src,
                settings=ScopeSettings(admin_roles=roles, memory_limit=memory_limit),
                progress=progress,
                clock=SystemClock(),
                author=who(author),
            )
        audit_after(engine, "incident.scope", "incident", incident_id, incident_id,
                    {"directory": src.describe()},
                    author=who(author))  # fmt: skip
        console = Console(stderr=to_stdout(json_out))
        print_summary(summary, console)
        if json_out or csv_dir:
            with session_scope(engine) as s:
                report = scope_report(s, incident_id)
            if json_out:
                write_json(json_out, report.to_dict())
                if not to_stdout(json_out):
                    console.print(f"JSON written to {json_out}")
            if csv_dir:
                write_csv_dir(report, csv_dir)
                console.print(f"CSV files written to {csv_dir}/")
