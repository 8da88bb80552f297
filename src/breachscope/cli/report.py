"""``breachscope report``: the incident report (HTML/PDF) and the public incident page.

Thin shell: parse, call :func:`breachscope.report.write_report` (or
:func:`breachscope.report.public.write_public_page`), print what was written.
"""

from __future__ import annotations

from pathlib import Path

import click

from breachscope.case.db import case_database
from breachscope.cli.options import (
    author_option,
    config_option,
    db_option,
    incident_option,
    json_option,
    to_stdout,
    who,
    write_json,
)
from breachscope.errors import InputError
from breachscope.inert import terminal_text

_LANG = click.Choice(["en", "id"])


@click.group("report", invoke_without_command=True)
@db_option
@incident_option(required=False)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as HTML here.",
)
@click.option(
    "--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the report as PDF here."
)
@click.option(
    "--lang", "language", type=_LANG, default="en", show_default=True, help="Language of the report."
)
@json_option(help="Also write what was written as JSON to PATH ('-': standard output).")
@click.pass_context
def command(
    ctx: click.Context,
    db: str | None,
    incident_id: int | None,
    html_path: Path | None,
    pdf_path: Path | None,
    language: str,
    json_out: str | None,
) -> None:
    """Write the incident report for management, the board and regulators (HTML and/or PDF).

    \b
    A one-page summary first, then the timeline, data classes with evidence (present, absent
    with the evidence, not checked), who is affected per jurisdiction, duties with decisions and
    citations, notices, open tasks and the recorded facts. Everything is read from the case.
    Example:
      breachscope report --incident 1 --pdf report.pdf --lang id
    Subcommand: `breachscope report public` writes the public incident page.
    """
    if ctx.invoked_subcommand is not None:
        return
    if incident_id is None:
        raise InputError("which incident?", "pass --incident N (see: breachscope case list)")
    if html_path is None and pdf_path is None:
        raise InputError("nothing to write", "pass --html PATH and/or --pdf PATH")
    from breachscope.report import write_report

    with case_database(db) as engine:
        written = write_report(engine, incident_id, html_path=html_path, pdf_path=pdf_path, language=language)
    if json_out is not None:
        write_json(json_out, written.to_dict())
    if not to_stdout(json_out):
        for path in written.written:
            click.echo(f"Wrote {terminal_text(path, None)}")


@command.command("public")
@db_option
@incident_option()
@config_option(
    help="Notify settings (TOML) naming the company and its official domain.",
    envvar="BREACHSCOPE_NOTIFY_CONFIG",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the pages into.",
)
@json_option(help="Also write what was written as JSON to PATH ('-': standard output).")
def public(
    db: str | None, incident_id: int, config_path: Path | None, out_dir: Path, json_out: str | None
) -> None:
    """Write the public incident page (static HTML, English and Indonesian) for the company's own site.

    \b
    What happened, what was and was not included, what to do, how to recognise our messages
    and dated updates, from the recorded facts only. No script, no tracking, no third-party
    resources. Example:
      breachscope report public --incident 1 --config notify.toml --out site/incident
    """
    from breachscope.notify.config import load_config
    from breachscope.report.public import write_public_page

    config = load_config(config_path, check_key=False)
    with case_database(db) as engine:
        written = write_public_page(engine, incident_id, config, out_dir)
    if json_out is not None:
        write_json(json_out, written.to_dict())
    if not to_stdout(json_out):
        for path in written.written:
            click.echo(f"Wrote {terminal_text(path, None)}")


@command.command("update")
@db_option
@incident_option()
@click.option("--en", "text_en", required=True, help="The update in English (one line, no links).")
@click.option("--id", "text_id", required=True, help="The same update in Indonesian (one line, no links).")
@author_option
def update(db: str | None, incident_id: int, text_en: str, text_id: str, author: str | None) -> None:
    """Add a dated update to the public incident page, in English and Indonesian.

    \b
    It appears under "Updates" the next time the page is written. Example:
      breachscope report update --incident 1 --en "The vendor confirmed no other data was taken." \\
        --id "Vendor memastikan tidak ada data lain yang diambil."
    """
    from breachscope.case.db import session_scope
    from breachscope.report.store import add_update

    with case_database(db) as engine, session_scope(engine) as session:
        added = add_update(session, incident_id, en=text_en, id_=text_id, by=who(author))
    click.echo(f"Recorded the update of {added.at.date().isoformat()}; write the page again to publish it.")
