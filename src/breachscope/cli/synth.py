"""``breachscope synth``: generate a synthetic Mixpanel-style leak and its account directory."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from breachscope.progress import RichProgress
from breachscope.synth import FORMATS, WRITERS, generate


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (comma-separated)")
    return chosen


def _vendor(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value not in WRITERS:
        known = ", ".join(sorted(WRITERS)) or "none registered yet"
        raise click.BadParameter(f"unknown vendor {value!r}; choose from: {known}")
    return value


@click.command("synth")
@click.option(
    "--rows", type=click.IntRange(min=1), required=True, help="Number of leaked people-profile rows."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output directory (created).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed; same seed, same bytes.")
@click.option(
    "--needles",
    is_flag=True,
    help="Plant API keys, cards, NIKs, SSNs, IBANs, passwords, phones and chat text, with truth.json.",
)
@click.option(
    "--formats",
    default=",".join(FORMATS),
    show_default=True,
    callback=_formats,
    help="Comma-separated people-file formats to write.",
)
@click.option(
    "--vendor",
    default=None,
    callback=_vendor,
    help="Also write the leak in this vendor's export layout (one of synth.vendors.WRITERS).",
)
def command(
    rows: int, out: Path, seed: int, needles: bool, formats: tuple[str, ...], vendor: str | None
) -> None:
    """Generate a deterministic synthetic Mixpanel-style leak (people.csv/.jsonl/.parquet), the
    matching company account directory (directory.csv/.parquet) and, with --needles, planted
    sensitive values plus truth.json. All names and emails are fictional (example domains)."""
    with RichProgress() as bar:
        bar.start("generating people rows", total=rows)
        result = generate(
            rows, out, seed=seed, needles=needles, formats=formats, vendor=vendor, on_rows=bar.advance
        )
    table = Table(title=f"synthetic leak in {result.out} (seed {result.seed})")
    table.add_column("file")
    table.add_column("what")
    for fmt, path in result.people.items():
        table.add_row(path.name, f"{result.rows:,} leaked people rows ({fmt})")
    for path in result.directory.values():
        table.add_row(path.name, f"{result.accounts:,} accounts in {result.orgs:,} orgs")
    if result.truth is not None:
        table.add_row(result.truth.name, f"{len(result.needles)} planted needles (ground truth)")
    for path in result.vendor_files:
        table.add_row(path.name, f"vendor layout: {vendor}")
    Console().print(table)
