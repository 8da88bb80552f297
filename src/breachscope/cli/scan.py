"""``breachscope scan``: what is (and is not) in a leaked file, with evidence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from breachscope.cli.options import STDOUT, to_stdout, write_json
from breachscope.errors import InputError
from breachscope.files import write_private
from breachscope.hashing import FileDigest, new_key
from breachscope.progress import NullProgress, Progress, RichProgress
from breachscope.readers import FORMATS as READER_FORMATS
from breachscope.readers import Limits
from breachscope.taxonomy import DATA_CLASSES, Tier

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from breachscope.exposures.people import PeopleSummary
    from breachscope.scan.report import ScanReport

# rich is imported where the terminal summary is printed: ``scan -q`` never loads it (issue 13).
# The scan stage is imported when the command runs, after it has started hashing the files:
# the SHA-256 of a large leak then runs on the second core while the stage loads.

FORMATS = ("auto", *READER_FORMATS)  # from the reader registry
FAIL_ON = tuple(t.value for t in Tier)
EXIT_FOUND = 3
#: A source could not be read whole: absent classes are absent only in the records read.
EXIT_INCOMPLETE = 4
_TIER_STYLE = {Tier.CRITICAL: "bold red", Tier.HIGH: "yellow", Tier.MODERATE: "cyan", Tier.LOW: "dim"}


def _s(value: object, limit: int = 80) -> str:
    """Leaked text made safe for the terminal: masked upstream, control chars and markup inert."""
    from rich.markup import escape

    from breachscope.scan.markdown import safe_text

    return escape(safe_text(value, limit))


def print_summary(report: ScanReport, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    from breachscope.scan.report import ABSENT, NOT_CHECKED, PRESENT

    doc = report.to_dict()
    classes: dict[str, Any] = doc["classes"]
    if not doc["complete"]:
        unread = report.unread
        console.print(
            f"[bold red]INCOMPLETE SCAN[/]: {doc['rows_examined']:,} records read; "
            f"{escape(unread.words())}. Absent classes are absent only in the records read."
        )
    console.print(
        f"[bold]Scanned[/] {doc['rows_examined']:,} records, {doc['values_examined']:,} values "
        f"in {len(doc['sources'])} source(s) with {len(doc['detectors'])} detectors (no sampling)."
    )
    for src in doc["sources"]:  # which vendor layout was chosen, and why (docs/vendors.md)
        v = src["vendor"]
        chosen = f"{v['vendor']}/{v['layout']}: {v['reason']}" if v else "no vendor layout fits: generic scan"
        console.print(f"[bold]Layout[/] of {_s(src['name'], 60)}: {_s(chosen, 600)}")
    present = Table(title="Present data classes", title_justify="left")
    for col in ("tier", "data class", "matches", "columns", "first finding (masked)"):
        present.add_column(col, justify="right" if col == "matches" else "left")
    any_present = False
    for dc in DATA_CLASSES:
        entry = classes[dc.id]
        if entry["status"] != PRESENT:
            continue
        any_present = True
        style = _TIER_STYLE[dc.tier]
        cols = ", ".join(_s(c["column"], 40) for c in entry["columns"][:4])
        if len(entry["columns"]) > 4:
            cols += f" (+{len(entry['columns']) - 4})"
        first = ""
        if entry["findings"]:
            f = entry["findings"][0]
            first = f"{_s(f['column'], 30)} #{f['record']}: {_s(f['preview'], 30)}"
            if f.get("label"):
                first += f" ({_s(f['label'], 40)})"
        present.add_row(
            f"[{style}]{dc.tier.value}[/]",
            f"[{style}]{escape(dc.name)}[/]",
            f"{entry['matches']:,}",
            cols,
            first,
        )
    if any_present:
        console.print(present)
    else:
        console.print(
            "[green]No data class found.[/]"
            if doc["complete"]
            else "No data class found in the records read."
        )
    title = "Absent data classes (every value checked, not found)"
    if not doc["complete"]:
        title = "Absent in the records read (the scan is incomplete)"
    absent = Table(title=title, title_justify="left")
    for col in ("tier", "data class", "evidence"):
        absent.add_column(col)
    for dc in DATA_CLASSES:
        entry = classes[dc.id]
        if entry["status"] != ABSENT:
            continue
        ev = entry["evidence"]
        line = (
            f"{ev['values_examined']:,} values in {ev['columns_examined']} column(s) "
            f"by {len(ev['detectors'])} detector(s)"
        )
        if doc["values_examined"] == 0:
            line = "no values to examine"
        absent.add_row(dc.tier.value, escape(dc.name), line)
    console.print(absent)
    unchecked = Table(title="Not checked (no detector examined the values)", title_justify="left")
    for col in ("tier", "data class", "why"):
        unchecked.add_column(col)
    for dc in DATA_CLASSES:
        entry = classes[dc.id]
        if entry["status"] == NOT_CHECKED:
            unchecked.add_row(dc.tier.value, escape(dc.name), escape(entry["statement"]))
    if unchecked.row_count:
        console.print(unchecked)
    issues = [i for s in doc["sources"] for i in s["issues"]]
    if issues:
        console.print(f"[yellow]{len(issues)} read issue(s)[/] (first 10; all in --json):")
        for i in issues[:10]:
            where = f" line {i['line']}" if i["line"] else (f" record {i['record']}" if i["record"] else "")
            console.print(f"  {_s(i['source'], 60)}{where}: {_s(i['kind'], 30)}: {_s(i['message'], 120)}")
    for s in doc["sources"]:
        for c in s["columns"]:
            for d in c["disagreements"]:
                console.print(
                    f"[yellow]schema/value disagreement[/] {_s(c['name'], 60)}: {_s(d['message'], 160)}"
                )


def _write(path: Path, text: str) -> None:
    try:
        write_private(path, text, parents=False)  # a missing folder is a mistyped path: say so
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", "choose a writable path") from exc


@click.command("scan")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Table format of the files; auto sniffs names and content.",
)
@click.option(
    "--vendor",
    default=None,
    help="This vendor's export: a vendor (mixpanel), a layout (mixpanel/people) or generic.",
)
@click.option(
    "--json",
    "json_out",
    is_flag=False,
    flag_value=STDOUT,
    default=None,
    metavar="PATH",
    help="Write the JSON report to PATH ('-': standard output; the summary then goes to stderr).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a Markdown report here.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default=None,
    help=f"Exit {EXIT_FOUND} if a class of this tier or a more sensitive one is present (for CI).",
)
@click.option(
    "--people",
    "people_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also list the fields and data classes each person key exposes (keyed hashes) in this "
    ".csv/.json/.jsonl file, and print the most common field sets (docs/vendors.md).",
)
@click.option(
    "--allow-incomplete",
    is_flag=True,
    help=f"Exit 0 (not {EXIT_INCOMPLETE}) when a source could not be read whole "
    "(the reports still say incomplete).",
)
@click.option(
    "--allow-special-files",
    is_flag=True,
    help="Also read paths that are not regular files (FIFOs, devices); refused by default, "
    "since they may never end.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no terminal summary.")
def command(
    files: tuple[Path, ...],
    fmt: str,
    vendor: str | None,
    json_out: str | None,
    report_path: Path | None,
    fail_on: str | None,
    people_path: Path | None,
    allow_incomplete: bool,
    allow_special_files: bool,
    quiet: bool,
) -> None:
    """Scan leaked FILES: every value checked, data classes present and absent with evidence.

    \b
    FILES may be CSV/TSV, JSON, JSONL, Parquet, .xlsx or Avro, also inside .gz/.bz2/.xz/.zip.
    Leaked values are never printed: findings show a masked preview and a keyed hash.
    Exit status: 0 after a complete scan whatever it found; 3 with --fail-on when a class
    of that tier (or more sensitive) is present; 4 when a source could not be read whole
    (unreadable, truncated, skipped records: the scan is incomplete) unless --allow-incomplete;
    1-2 on errors. With both, 3 wins.

    \b
    Examples:
      breachscope scan leak.csv
      breachscope scan export.zip --json scan.json --report scan.md --fail-on critical
    """
    for f in files:
        if not f.exists():
            raise InputError(f"{f}: no such file", "check the path; pass the leaked file(s) to scan")
    progress: Progress = NullProgress() if quiet else RichProgress()
    if people_path is not None:  # the exposures stage is loaded only when --people asks for it
        from breachscope.exposures.people import check_export_path

        check_export_path(people_path)
    digests = {f: FileDigest(f) for f in files}  # before the scan stage loads (see the top)
    from breachscope.scan import scan_files

    key = new_key()
    limits = Limits(allow_special_files=allow_special_files)
    report = scan_files(
        list(files), format=fmt, vendor=vendor, progress=progress, key=key, limits=limits, digests=digests
    )
    people = None
    if people_path is not None:
        from breachscope.exposures.people import people_for_scan

        people = people_for_scan(
            list(files), report.to_dict(), key=key, format=fmt, vendor=vendor, out=people_path
        )
    if json_out is not None:
        write_json(json_out, report.to_dict())
    if report_path is not None:
        _write(report_path, report.to_markdown())
    if not quiet:
        from rich.console import Console

        console = Console(highlight=False, stderr=to_stdout(json_out))
        print_summary(report, console)
        if people is not None:
            console.print(people_table(people))
        json_file = None if to_stdout(json_out) else json_out
        for label, p in (("JSON", json_file), ("Markdown", report_path), ("Per-person", people_path)):
            if p is not None:
                click.echo(f"{label} report: {p}", err=to_stdout(json_out))
    if fail_on is not None:
        limit = Tier(fail_on).rank
        found = sorted(
            c.id for c in DATA_CLASSES if c.id in report.present_classes() and c.tier.rank <= limit
        )
        if found:
            click.echo(f"--fail-on {fail_on}: present: {', '.join(found)}", err=True)
            raise SystemExit(EXIT_FOUND)
    if not report.complete:
        click.echo(
            f"incomplete scan: {report.unread.words()}"
            + ("" if allow_incomplete else f" (exit {EXIT_INCOMPLETE}; --allow-incomplete to accept)"),
            err=True,
        )
        if not allow_incomplete:
            raise SystemExit(EXIT_INCOMPLETE)


def people_table(summary: PeopleSummary, limit: int = 10) -> Table:
    """The most common field sets as a rich table (field names are column paths, not values)."""
    from rich.table import Table

    table = Table(
        title=f"Fields exposed per person: {summary.people:,} people, "
        f"{summary.distinct_combinations:,} distinct field sets",
        title_justify="left",
    )
    for col in ("people", "data classes", "fields"):
        table.add_column(col, justify="right" if col == "people" else "left")
    for combo in summary.combinations[:limit]:
        fields = ", ".join(_s(f, 40) for f in combo.fields[:8])
        if len(combo.fields) > 8:
            fields += f" (+{len(combo.fields) - 8})"
        table.add_row(f"{combo.people:,}", _s(", ".join(combo.classes), 200), fields or "(none)")
    return table
