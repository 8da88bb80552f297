"""``breachscope audit``: check and export the hash-chained audit log (:mod:`breachscope.case.audit`).

- ``audit verify [--anchor SEQ:HASH]... [--file EXPORT.json]``: recompute the chain; exit 1 and
  name the first broken entry when an entry was edited, inserted, deleted, reordered or the tail
  cut off.
- ``audit head``: the last entry as ``SEQ:HASH``, to keep somewhere else as an anchor.
- ``audit export [--incident N] [--json PATH|-] [--csv PATH|-]``: every entry with its hashes.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from breachscope.case import audit
from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import STDOUT, db_option, incident_option, json_option, to_stdout, write_json
from breachscope.errors import BreachscopeError, InputError
from breachscope.files import write_private
from breachscope.inert import csv_cell, terminal_text

CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "incident_id",
    "source",
    "details",
    "details_sha256",
    "redacted_at",
    "prev_hash",
    "hash",
)


class ChainBroken(BreachscopeError):
    exit_code = 1


@click.group("audit")
def command() -> None:
    """The tamper-evident audit log: verify the hash chain, print its head, export it."""


def _load_export(path: Path) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows = doc["entries"]
        head = doc.get("head")
        return list(rows), None if head is None else (int(head["seq"]), str(head["hash"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: not an audit export: {exc}", "give a file written by 'audit export --json'"
        ) from exc


@command.command("verify")
@click.option(
    "--anchor", "anchors", multiple=True, metavar="SEQ:HASH", help="A head recorded earlier (repeatable)."
)
@click.option(
    "--anchor-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A file of SEQ:HASH lines (one per 'audit head' you kept).",
)
@click.option(
    "--file",
    "export_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Verify an export ('audit export --json' of the whole log) instead of the database.",
)
@json_option()
@db_option
def verify(
    anchors: tuple[str, ...],
    anchor_file: Path | None,
    export_file: Path | None,
    json_out: str | None,
    db: str | None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first broken entry if anything was changed.

    Detects an edited, inserted, deleted or reordered entry and a cut-off tail. Someone with
    write access who rewrites the whole chain is caught only by an anchor kept elsewhere.
    """
    lines = list(anchors)
    if anchor_file is not None:
        lines += [ln for ln in anchor_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
    parsed = [audit.parse_anchor(a) for a in lines]
    if export_file is not None:
        rows, head = _load_export(export_file)
        result = audit.verify_rows(rows, head_row=head, anchors=parsed)
    else:
        with case_database(db) as engine, session_scope(engine) as s:
            result = audit.verify(s, parsed)
    if json_out:
        write_json(json_out, result.to_dict())
    if not to_stdout(json_out):
        for p in sorted(result.problems, key=lambda p: p.seq):
            click.echo(f"BROKEN at entry {p.seq}: {p.what}")
        redacted = f", {result.redacted} with details removed by purge" if result.redacted else ""
        anchored = f", {result.anchors_checked} anchor(s) checked" if result.anchors_checked else ""
        tail = f"head {result.last_seq}:{result.last_hash}"
        click.echo(f"{result.entries:,} entries checked{redacted}{anchored}; {tail}")
    if not result.ok:
        raise ChainBroken(
            f"the audit log is broken; first broken entry: {result.first_broken}",
            "compare with an export or backup you trust; the entries before it are intact",
        )
    if not to_stdout(json_out):
        click.echo("OK: the chain is intact")


@command.command("head")
@click.option(
    "--append",
    "append_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also append the line (with the time) to FILE, an anchor file for 'verify --anchor-file'.",
)
@db_option
def head_cmd(append_to: Path | None, db: str | None) -> None:
    """Print the last entry as SEQ:HASH; keep it outside the database to use as an --anchor.

    Run it from cron with --append to a file on another machine or share, so that a rewrite of
    the log's tail is caught by 'audit verify --anchor-file FILE'."""
    with case_database(db) as engine, session_scope(engine) as s:
        seq, digest = audit.head(s)
    line = f"{seq}:{digest}"
    click.echo(line)
    if append_to is not None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with append_to.open("a", encoding="utf-8") as fh:
                fh.write(f"{line} {stamp}\n")
            append_to.chmod(0o600)
        except OSError as exc:
            raise InputError(
                f"cannot append to {append_to}: {exc.strerror or exc}", "choose a writable file"
            ) from exc


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = [json.dumps(row[c], sort_keys=True) if c == "details" else row[c] for c in CSV_COLUMNS]
        writer.writerow(["" if v is None else csv_cell(v) for v in cells])
    return buf.getvalue()


@command.command("export")
@incident_option(required=False, help="Only this incident's entries (the chain check needs the whole log).")
@json_option(help="Write the entries and the head as JSON to PATH ('-': standard output; the default).")
@click.option(
    "--csv",
    "csv_out",
    is_flag=False,
    flag_value=STDOUT,
    default=None,
    metavar="PATH",
    help="Write CSV to PATH ('-' or no PATH: standard output); cells are made inert for spreadsheets.",
)
@db_option
def export(incident_id: int | None, json_out: str | None, csv_out: str | None, db: str | None) -> None:
    """Export the audit log with every hash, as JSON (default) or CSV."""
    with case_database(db) as engine, session_scope(engine) as s:
        rows = [audit.entry_dict(e) for e in audit.entries(s, incident_id=incident_id)]
        seq, digest = audit.head(s)
    doc = {"head": {"seq": seq, "hash": digest}, "incident_id": incident_id, "entries": rows}
    if csv_out is not None:
        text = _csv_text(rows)
        if csv_out == STDOUT:
            click.echo(text, nl=False)
        else:
            try:
                write_private(Path(csv_out), text, parents=False)
            except OSError as exc:
                raise InputError(
                    f"cannot write {csv_out}: {exc.strerror or exc}", "choose a writable --csv path"
                ) from exc
    if json_out is not None or csv_out is None:
        write_json(json_out or STDOUT, doc)
    if json_out not in (None, STDOUT) or csv_out not in (None, STDOUT):
        click.echo(f"{len(rows):,} entries exported; head {seq}:{terminal_text(digest)}", err=True)
