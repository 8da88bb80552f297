"""Excel .xlsx: each worksheet is its own source (``book.xlsx[Sheet1]``), read with openpyxl's
read-only (streaming) mode. The first row is the header; every cell becomes a string (integral
numbers without ``.0``, so a 16-digit number stored as a number still reads as 16 digits;
dates in ISO 8601). Formulas are read as their cached values; formula cells without one are
counted and reported (``formula_not_cached``), since their values were never examined.

Budgets (:class:`~breachscope.readers.Limits`) are checked before openpyxl sees the workbook
or while rows stream: the shared-strings table is counted in its XML first (openpyxl holds it
whole in memory), the declared ``dimension`` is ignored (it pads every row to its width), empty
rows are skipped, and columns and cells per sheet are bounded.

Rows come from openpyxl's own sheet parser, but each ``<row>`` is taken as it stands in the file
(:func:`_sheet_rows`): openpyxl's row iterator silently dropped a row numbered lower than one
before it (and every row after a far-numbered one), a repeated row number, and the cells of a row
written after a cell of a lower column. A cell whose value does not parse as its declared type
(a number that is not one, a boolean, a date, a shared-string index past the table, a bad cell
reference) no longer stops the sheet's read: its raw text is kept as its value and reported
(``bad_value``); so is a number in a date format that is no date (openpyxl made it ``#VALUE!``).
The sheet's parts that hold no values (widths, merged cells, margins, formats) are not parsed.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

import pyarrow as pa

from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.stream import BudgetError, Limits, MiB
from breachscope.readers.table import ReadContext, Reader, unique_names
from breachscope.repair import free_name

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_SHARED_ITEM = re.compile(rb"<" + _P + rb"si[\s/>]")
_FORMULA = re.compile(rb"<" + _P + rb"f[\s/>]")
#: a formula followed by a non-empty value (openpyxl writes ``<v />`` for "not computed")
_FORMULA_VALUE = re.compile(
    rb"(?:</" + _P + rb"f>|<" + _P + rb"f\b[^>]*/>)\s*<" + _P + rb"v(?:\s[^>]*[^/])?>[^<]"
)
_CELL_END = re.compile(rb"</" + _P + rb"c>")


def cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _count(stream: IO[bytes], patterns: tuple[re.Pattern[bytes], ...], stop: int | None = None) -> list[int]:
    """Matches of each pattern in an XML stream, read in 1 MiB pieces cut after a cell's end
    (so nothing a pattern needs straddles two pieces); stops early once the first passes ``stop``."""
    counts = [0] * len(patterns)
    rest = b""
    while True:
        data = stream.read(MiB)
        text = rest + data
        if data:
            cut = max((m.end() for m in _CELL_END.finditer(text, max(0, len(text) - 4 * MiB))), default=0)
            if cut == 0:
                cut = max(0, len(text) - 4096)
            text, rest = text[:cut], text[cut:]
        for i, pattern in enumerate(patterns):
            counts[i] += len(pattern.findall(text))
        if not data or (stop is not None and counts[0] > stop):
            return counts


def _check_strings(where: IO[bytes] | Path, limits: Limits) -> None:
    """Refuses a workbook whose shared-strings table is past the budget (before openpyxl loads it)."""
    with zipfile.ZipFile(where) as archive:
        for info in archive.infolist():
            if info.filename.lower().endswith("sharedstrings.xml"):
                with archive.open(info) as xml:
                    (n,) = _count(xml, (_SHARED_ITEM,), stop=limits.max_shared_strings)
                if n > limits.max_shared_strings:
                    raise BudgetError(
                        "too_many_strings",
                        f"the workbook's shared-strings table holds more than {limits.max_shared_strings:,} "
                        "entries (Limits.max_shared_strings); the workbook was not read",
                        "save the sheets as CSV and scan those",
                    )
    if isinstance(where, io.BytesIO):
        where.seek(0)


@contextmanager
def _workbook(inp: Input, limits: Limits) -> Iterator[Any]:
    from openpyxl import load_workbook

    with inp.seekable(None) as where:
        _check_strings(where, limits)
        try:
            wb = load_workbook(where, read_only=True, data_only=True)
        except Exception:
            # openpyxl reads each sheet's declared dimension on opening: one it refuses
            # (ref="garbage") made the whole workbook unreadable. The dimension is ignored
            # anyway (rows are read as they come): a copy without them is opened instead.
            copy = _without_dimensions(where, limits)
            if copy is None:
                raise
            wb = load_workbook(copy, read_only=True, data_only=True)
        try:
            yield wb
        finally:
            wb.close()


_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*>")


def _without_dimensions(where: IO[bytes] | Path, limits: Limits) -> io.BytesIO | None:
    """A copy of the workbook whose worksheets declare no ``<dimension>`` (None: none did).
    Each worksheet is copied in 1 MiB pieces; only its first piece can hold the dimension.
    The copy inflates every member: past the ratio guard (the workbook's compressed size x
    ``Limits.max_ratio``, at least ``ratio_after_bytes``) it stops with a ``bomb`` :class:`BudgetError`."""
    if isinstance(where, io.BytesIO):
        where.seek(0)
    out = io.BytesIO()
    dropped = False
    inflated = 0
    with zipfile.ZipFile(where) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        budget = max(
            limits.ratio_after_bytes, sum(i.compress_size for i in src.infolist()) * limits.max_ratio
        )
        for info in src.infolist():
            sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            copied = zipfile.ZipInfo(info.filename, info.date_time)
            copied.compress_type = zipfile.ZIP_DEFLATED
            with src.open(info) as r, dst.open(copied, "w") as w:
                first = True
                while piece := r.read(MiB):
                    inflated += len(piece)
                    if inflated > budget:
                        raise BudgetError(
                            "bomb",
                            f"the workbook inflates past {int(budget):,} bytes (Limits.max_ratio) while its "
                            "sheets' dimensions were being set aside; the workbook was not read",
                        )
                    if first and sheet:
                        piece, n = _DIMENSION.subn(b"", piece, count=1)
                        dropped = dropped or n > 0
                    first = False
                    w.write(piece)
    if isinstance(where, io.BytesIO):
        where.seek(0)
    if not dropped:
        return None
    out.seek(0)
    return out


def sheet_names(inp: Input) -> list[str]:
    """The workbook's sheets as the labels its sources are named by (``book.xlsx[label]``): the
    sheet's name, ``name#2`` ... for a name repeated (BudgetError if its shared strings are past
    the budget)."""
    with _workbook(inp, inp.limits) as wb:
        return _labels([ws.title for ws in wb.worksheets])  # chartsheets hold no cells


def _labels(titles: list[str]) -> list[str]:
    """Each title, or ``title#2``, ``title#3`` ... when an earlier sheet has it. In linear work:
    searched from #2 in the list of labels so far, a workbook of 3,000 sheets of one name was
    still being read after 14 minutes of CPU (each source computes the labels again)."""
    out: list[str] = []
    taken: set[str] = set()
    last: dict[str, int] = {}  # how far each title's search went
    for title in titles:
        label = free_name(title, taken, last, sep="#")
        taken.add(label)
        out.append(label)
    return out


def _sheet(wb: Any, inp: Input, src: Source) -> Any:
    """The worksheet ``src`` stands for, found by its whole name: parsing the name back (the text
    after its last ``[``) read the first sheet instead of one named ``vip[1]``, and one sheet of
    two with the same name twice."""
    sheets = wb.worksheets  # as sheet_names: worksheets only (sheetnames has chartsheets too)
    names = [f"{inp.name}[{label}]" for label in _labels([ws.title for ws in sheets])]
    return sheets[names.index(src.name)] if src.name in names else sheets[0]


def _unread_formulas(wb: Any, ws: Any, ctx: ReadContext) -> None:
    """Counts formula cells without a cached value in the sheet's XML and reports them."""
    # openpyxl keeps the sheet's archive path private; without it the check cannot run.
    archive, path = getattr(wb, "_archive", None), getattr(ws, "_worksheet_path", None)
    if archive is None or path is None:
        return
    with archive.open(path) as xml:
        formulas, cached = _count(xml, (_FORMULA, _FORMULA_VALUE))
    if formulas > cached:
        ctx.log.add(
            "formula_not_cached",
            f"{formulas - cached:,} formula cell(s) have no cached value (the workbook was saved by a "
            "program that does not compute formulas); their values were not examined",
        )


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    lim = ctx.limits
    try:
        with _workbook(inp, lim) as wb:
            ws = _sheet(wb, inp, src)
            _unread_formulas(wb, ws, ctx)
            yield from _rows(_sheet_rows(wb, ws, ctx), ctx, lim)
    finally:
        if ctx.on_bytes is not None:
            ctx.on_bytes(src.size_bytes or 0)


class _BadCell(Protocol):
    def __call__(self, line: int, message: str) -> None: ...


def _tolerant_parser(on_bad: _BadCell) -> Any:
    """openpyxl's worksheet parser, except that one cell or row it cannot parse is reported and
    kept (its raw text) instead of raising, which ended the read of the whole sheet."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.utils.datetime import from_excel
    from openpyxl.worksheet import _reader as sheet_xml
    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    # the sheet's parts besides its rows (widths, merged cells, margins, conditional formats ...):
    # openpyxl parses each into objects, and one it refuses ended the sheet's read, rows and all
    parts = frozenset(
        getattr(sheet_xml, name)
        for name in dir(sheet_xml)
        if name.endswith("_TAG")
        and name not in ("ROW_TAG", "CELL_TAG", "VALUE_TAG", "FORMULA_TAG", "DATA_TAG")
    )

    class Tolerant(WorkSheetParser):  # type: ignore[misc]
        row_counter: int
        col_counter: int

        def parse(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
            """The rows only: the other parts of the sheet are skipped, never parsed."""
            for _, element in iterparse(self.source):
                if element.tag == sheet_xml.ROW_TAG:
                    row = self.parse_row(element)
                    element.clear()
                    yield row
                elif element.tag in parts:
                    element.clear()

        def parse_row(self, row: Any) -> Any:
            number = row.get("r")
            if number is not None and not number.isdigit() and not _integral(number):
                on_bad(self.row_counter + 1, "a row's number is not a number; counted from the row before")
                del row.attrib["r"]
            return super().parse_row(row)

        def parse_cell(self, element: Any) -> Any:
            dated = False
            try:
                style = element.get("s")
                if style and self.date_formats and element.get("t", "n") == "n" and style.isdigit():
                    dated = int(style) in self.date_formats
                    raw = element.findtext(VALUE_TAG, None) if dated else None
                    if raw:  # openpyxl turns a date number out of range into "#VALUE!"
                        from_excel(float(raw), self.epoch, timedelta=int(style) in self.timedelta_formats)
                return super().parse_cell(element)
            except Exception as exc:  # hostile cells: one never ends the sheet's read
                coordinate = element.get("r") or ""
                try:
                    row, column = coordinate_to_tuple(coordinate)
                except Exception:
                    row, column = self.row_counter, self.col_counter + 1
                self.col_counter = column
                kind = element.get("t", "n")  # named only if it is one of Excel's (never row content)
                what = (
                    "a date number out of range" if dated else f"of type {kind if kind in _TYPES else '?'!r}"
                )
                on_bad(
                    row,
                    f"a cell's reference or value does not parse ({what}: {type(exc).__name__}); "
                    "its raw text is kept and scanned",
                )
                raw = element.findtext(VALUE_TAG, None)
                return {"row": row, "column": column, "value": raw, "data_type": "s", "style_id": 0}

    return Tolerant


_TYPES = frozenset({"n", "s", "b", "d", "e", "str", "inlineStr"})  # Excel's cell types (``t``)


def _integral(text: str) -> bool:
    try:
        return float(text).is_integer()
    except ValueError:
        return False


def _sheet_rows(wb: Any, ws: Any, ctx: ReadContext) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, values by column) for each ``<row>`` of the sheet, in file order.

    A cell repeating a column of its row goes to the first column after the row's last cell
    (reported); rows keep their file order whatever their numbers say. Without the openpyxl
    internals this needs (they are private), openpyxl's own row iterator is used.
    """
    archive, path = getattr(wb, "_archive", None), getattr(ws, "_worksheet_path", None)
    strings = getattr(ws, "_shared_strings", None)
    formats = getattr(wb, "_date_formats", None), getattr(wb, "_timedelta_formats", None)
    if archive is None or path is None or strings is None or None in formats:
        ws.reset_dimensions()  # a declared A1:XFD1048576 would pad every row to 16,384 cells
        yield from enumerate(ws.iter_rows(values_only=True), start=1)
        return

    def on_bad(line: int, message: str) -> None:
        ctx.log.add("bad_value", message, line=line)

    parser = _tolerant_parser(on_bad)(
        archive.open(path),
        strings,
        data_only=True,
        epoch=wb.epoch,
        date_formats=formats[0],
        timedelta_formats=formats[1],
    )
    try:
        for number, cells in parser.parse():
            if all(cell["column"] == i for i, cell in enumerate(cells, start=1)):  # the usual row
                yield number, tuple(cell["value"] for cell in cells)
                continue
            values: dict[int, Any] = {}
            last = 0  # the row's highest column so far (max(values) per repeat was quadratic)
            for cell in cells:
                column = cell["column"]
                if column in values:
                    column = last + 1
                    on_bad(
                        number, "two cells of a row name the same column; the second is kept after the row"
                    )
                values[column] = cell["value"]
                last = max(last, column)
            yield number, tuple(values.get(c) for c in range(1, last + 1))
    finally:
        parser.source.close()


def _rows(
    rows: Iterator[tuple[int, tuple[Any, ...]]], ctx: ReadContext, lim: Limits
) -> Iterator[pa.RecordBatch]:
    first = next(rows, None)
    if first is None:
        ctx.log.add("empty", "the worksheet holds no rows")
        return
    number, header = first
    if number > 1:  # no row 1: no header (as openpyxl's iterator gave an empty first row)
        rows = itertools.chain([first], rows)
        header = ()
    cells = list(header)
    while cells and cell_text(cells[-1]) is None:
        cells.pop()  # read-only mode pads rows to the sheet's widest row
    cut = len(cells) > lim.max_columns
    if cut:
        _too_wide(ctx, len(cells), lim.max_columns, line=1)
        cells = cells[: lim.max_columns]
    names = unique_names([cell_text(v) or "" for v in cells])
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in names]
    read = 0  # cells read, counting each row at the table's width
    wide_reported, yielded = cut, False
    for line, row in rows:
        if not any(v is not None for v in row):
            continue  # an empty row is no record (a far row leaves a million of them)
        if len(row) > width and any(v is not None for v in row[width:]):
            if width >= lim.max_columns:
                if not wide_reported:
                    _too_wide(ctx, len(row), lim.max_columns, line=line)
                    wide_reported = True
            else:
                ctx.log.add(
                    "extra_cells",  # read and scanned: not a skipped record (ragged_row made it one)
                    f"row has {len(row)} cells, header {width}; extra cells kept in extra_* columns",
                    line=line,
                )
                for extra in range(width, min(len(row), lim.max_columns)):
                    names.append(f"extra_{extra + 1}")
                    columns.append([None] * len(columns[0]))
                width = len(names)
        read += width
        if read > lim.max_cells:
            if columns[0]:
                yield _batch(names, columns)
            raise BudgetError(
                "too_many_cells",
                f"the worksheet passed {lim.max_cells:,} cells (Limits.max_cells) at row {line}; "
                "reading stopped, the rest of the sheet was not read",
            )
        for i in range(width):
            columns[i].append(cell_text(row[i]) if i < len(row) else None)
        if len(columns[0]) >= ctx.batch_rows:
            yield _batch(names, columns)
            columns = [[] for _ in names]
            yielded = True
    if columns[0] or not yielded:  # a sheet without records still tells its columns
        yield _batch(names, columns)


def _too_wide(ctx: ReadContext, cells: int, limit: int, line: int) -> None:
    ctx.log.add(
        "too_many_columns",
        f"row has {cells:,} cells; only the first {limit:,} columns were read (Limits.max_columns), "
        "the values of the others were not examined",
        line=line,
    )


def _batch(names: list[str], columns: list[list[str | None]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(c, type=pa.string()) for c in columns], names=list(names))


READER = Reader(formats=("xlsx",), extensions=(".xlsx", ".xlsm"), batches=_batches, needs_seek=True)
