"""Byte streams under every reader: counting disk bytes, guarding decompression, fixing text.

Layers, innermost first: :class:`CountingFile` (reports bytes read from disk to ``on_bytes``),
the decompressor (gzip/bz2/xz/zip member), :class:`GuardedStream` (stops decompression bombs),
and for text formats :class:`Utf8Stream` (BOM, transcoding to UTF-8, invalid bytes replaced and
recorded with line numbers). Nothing here writes to disk.
"""

from __future__ import annotations

import codecs
import io
import lzma
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from breachscope.errors import InputError
from breachscope.readers.base import BytesCallback

MiB = 1 << 20


class Tally:
    """Inflated bytes counted across streams: one per archive, one per run (see :class:`Limits`)."""

    def __init__(self) -> None:
        self.total = 0


@dataclass(frozen=True)
class Limits:
    """Every reader budget, in one place (docs/readers.md, "Budgets"). A budget that is hit
    becomes a read issue of its own kind, and the content it left unread is reported as such.

    Ratio = decompressed bytes / compressed bytes read.
    """

    max_ratio: float = 200.0
    ratio_after_bytes: int = 64 * MiB  # the ratio is only checked past this many output bytes
    max_member_bytes: int | None = None  # hard cap on one decompressed member, None = no cap
    spool_in_memory_bytes: int = 256 * MiB  # parquet/xlsx inside archives: memory, else temp dir
    #: inflated bytes of all members of one archive; None: the ratio guard over the whole archive
    #: (archive size x max_ratio, at least ratio_after_bytes)
    max_archive_bytes: int | None = None
    max_run_bytes: int = 1 << 40  # inflated bytes of every compressed stream of one run (1 TiB)
    max_special_file_bytes: int = 1024 * MiB  # bytes copied from an allowed FIFO or device
    max_members: int = 10_000  # zip members read per archive
    max_columns: int = 16_384  # columns read per table (CSV header, xlsx row, flattened JSON)
    max_depth: int = 64  # nesting depth of one JSON/Avro record
    max_line_bytes: int = 64 * MiB  # one CSV row or JSON line
    max_sheets: int = 256  # worksheets read per workbook
    max_cells: int = 20_000_000  # cells per worksheet (rows x columns of the header's width)
    max_shared_strings: int = 1_000_000  # entries of a workbook's shared-strings table
    max_items_slack: int = 65_536  # Avro: records or items a block may declare past its byte size
    allow_special_files: bool = False  # read FIFOs, devices, sockets (never by default)
    #: bytes inflated so far in this run (shared by every source opened with these limits)
    run: Tally = field(default_factory=Tally, compare=False, repr=False)


class BombError(InputError):
    """A decompressed stream exceeded the ratio guard."""


class BudgetError(InputError):
    """A reader budget (:class:`Limits`) stopped reading a source; ``kind`` is the issue kind."""

    def __init__(self, kind: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.kind = kind


class CountingFile(io.RawIOBase):
    """A read-only file wrapper that reports every byte read (the progress bar's unit)."""

    def __init__(self, raw: IO[bytes], on_bytes: BytesCallback | None) -> None:
        self._raw = raw
        self._on_bytes = on_bytes
        self.total = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def _count(self, n: int) -> None:
        if n:
            self.total += n
            if self._on_bytes is not None:
                self._on_bytes(n)

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(-1 if size is None else size)
        self._count(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._count(n)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class GuardedStream(io.RawIOBase):
    """Counts decompressed bytes and raises :class:`BombError` when the ratio guard trips."""

    def __init__(
        self,
        inner: IO[bytes],
        compressed: Callable[[], int],
        name: str,
        limits: Limits,
        errors: list[str] | None = None,
        archive: tuple[Tally, int] | None = None,
    ) -> None:
        self._inner = inner
        self._archive = archive  # (the archive's tally, its cap)
        self._errors = errors
        self._compressed = compressed
        self._name = name
        self._limits = limits
        self.total = 0

    def readable(self) -> bool:
        return True

    def _check(self, n: int) -> None:
        lim = self._limits
        lim.run.total += n
        if lim.run.total > lim.max_run_bytes:
            raise BombError(
                f"{self._name}: this run has inflated {lim.run.total // MiB} MiB, past the budget of "
                f"{lim.max_run_bytes // MiB} MiB (Limits.max_run_bytes); reading stopped",
                "decompress the archives yourself and scan the results",
            )
        if self._archive is not None:
            tally, cap = self._archive
            tally.total += n
            if tally.total > cap:
                raise BombError(
                    f"{self._name}: the archive's members have inflated {tally.total // MiB} MiB, past its "
                    f"budget of {cap // MiB} MiB (Limits.max_archive_bytes); reading stopped",
                    "if the archive is genuine, unzip it yourself and scan the files",
                )
        if lim.max_member_bytes is not None and self.total > lim.max_member_bytes:
            raise BombError(
                f"{self._name}: decompressed size passed the limit of {lim.max_member_bytes} bytes",
                "raise the limit only if you trust the archive",
            )
        if self.total > lim.ratio_after_bytes:
            ratio = self.total / max(1, self._compressed())
            if ratio > lim.max_ratio:
                raise BombError(
                    f"{self._name}: looks like a decompression bomb "
                    f"({self.total // MiB} MiB out of {self._compressed()} compressed bytes, "
                    f"ratio {ratio:.0f}:1 > {lim.max_ratio:.0f}:1); reading stopped",
                    "if the file is genuine, decompress it yourself and scan the result",
                )

    def read(self, size: int | None = -1) -> bytes:
        try:
            data = self._inner.read(-1 if size is None else size)
        except (EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as exc:
            if self._errors is None:
                raise
            self._errors.append(f"{type(exc).__name__}: {exc}")
            data = b""
        self.total += len(data)
        self._check(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


_BAD = re.compile("[\udc80-\udcff]+")

#: Called with (1-based line, count of bad byte sequences on that line) for invalid input.
BadTextCallback = Callable[[int, int], None]


class Utf8Stream(io.RawIOBase):
    """Text bytes in any encoding out as valid UTF-8; bad sequences become U+FFFD and are reported.

    ASCII and valid UTF-8 blocks pass through untouched (the fast path). A block that does not
    decode is decoded with replacement, and ``on_bad(line, count)`` is called per affected line.
    """

    def __init__(
        self, inner: IO[bytes], encoding: str, on_bad: BadTextCallback, block: int = 4 * MiB
    ) -> None:
        self._inner = inner
        self._encoding = codecs.lookup(encoding).name
        self._utf8 = self._encoding == "utf-8"
        self._decoder = codecs.getincrementaldecoder(self._encoding)(errors="strict")
        self._on_bad = on_bad
        self._block = block
        self._out = b""
        self._at = 0  # bytes of ``_out`` already handed out
        self._lines = 0  # newlines emitted so far
        self._eof = False
        self._first = True

    def readable(self) -> bool:
        return True

    def _decode(self, data: bytes, final: bool) -> bytes:
        if self._utf8 and data.isascii() and not self._decoder.getstate()[0]:
            self._first = False
            return data
        state = self._decoder.getstate()
        text: str | None
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError:
            text = None
        if text is not None and self._utf8:
            # valid UTF-8: hand on the bytes the decoder consumed as they are (re-encoding the
            # text would copy every byte again); a sequence cut at the block's end waits in
            # the decoder for the next block
            held = self._decoder.getstate()[0]
            out = state[0] + data
            out = out[: len(out) - len(held)] if held else out
            if self._first and out:
                self._first = False
                out = out.removeprefix(b"\xef\xbb\xbf")
            return out
        if text is None:
            self._decoder.setstate(state)
            self._decoder.errors = "surrogateescape"
            text = self._replace_bad(self._decoder.decode(data, final))
            self._decoder.errors = "strict"
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        return text.encode("utf-8")

    def _replace_bad(self, text: str) -> str:
        """Each undecodable byte (a lone surrogate after surrogateescape) becomes U+FFFD."""
        line, pos = self._lines + 1, 0
        bad_lines: dict[int, int] = {}
        for match in _BAD.finditer(text):
            line += text.count("\n", pos, match.start())
            pos = match.start()
            bad_lines[line] = bad_lines.get(line, 0) + len(match.group())
        for ln, count in bad_lines.items():
            self._on_bad(ln, count)
        return _BAD.sub(lambda m: "\ufffd" * len(m.group()), text)

    def read(self, size: int | None = -1) -> bytes:
        unbounded = size is None or size < 0
        want = self._block if unbounded else int(size)  # type: ignore[arg-type]
        if not unbounded and len(self._out) - self._at >= want:  # served from the decoded block
            start, self._at = self._at, self._at + want
            return self._out[start : self._at]
        rest = self._out[self._at :] if self._at else self._out
        pieces = [rest] if rest else []
        have = len(rest)
        while (unbounded or have < want) and not self._eof:
            data = self._inner.read(max(self._block, want - have))
            if not data:
                self._eof = True
                chunk = self._decode(b"", True)
            else:
                chunk = self._decode(data, False)
            self._lines += chunk.count(b"\n")
            if chunk:
                pieces.append(chunk)
                have += len(chunk)
        buf = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        if unbounded or len(buf) <= want:
            self._out, self._at = b"", 0
            return buf
        # the rest is kept whole and handed out from an offset (no copy of it per read)
        self._out, self._at = buf, want
        return buf[:want]

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


class ArrowFeed(io.RawIOBase):
    """What an arrow streaming reader reads from, so that it can be stopped cleanly.

    pyarrow's CSV streaming reader reads ahead on a background thread. When the consumer stops
    early (an error, a bomb, an abandoned generator), that thread may still be reading, and if it
    is still waiting for the GIL when the interpreter exits, the process hangs in arrow's thread
    pool shutdown. :meth:`stop` makes every further read return end-of-file at once, so the
    read-ahead finishes; the caller then drains the reader (see ``readers/delimited.py``).

    An exception from the layers below (a decompression bomb, a damaged archive) is never raised
    into arrow's thread: arrow would keep the Python exception, and through its traceback the
    reader itself, alive in C++ until exit, where releasing it deadlocks. The feed keeps it in
    :attr:`error`, answers end-of-file, and the caller re-raises it on its own thread
    (:meth:`take_error`). The error is kept without its traceback, and handed over rather than
    kept: its traceback holds the frames that hold the feed and the arrow reader, so a feed that
    kept it would keep the reader alive in a reference cycle until the interpreter's exit, where
    destroying it could abort the process ("terminate called without an active exception").
    """

    def __init__(self, inner: IO[bytes] | io.RawIOBase) -> None:
        self._inner = inner
        self._stopped = False
        self.error: Exception | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def read(self, size: int | None = -1) -> bytes:
        if self._stopped:
            return b""
        try:
            return self._inner.read(-1 if size is None else size) or b""
        except Exception as exc:  # kept for the consumer's thread; see the class docstring
            self.error = exc.with_traceback(None)
            self._stopped = True
            return b""

    def take_error(self) -> Exception:
        """The error that stopped the feed (:attr:`error`, which must be set), no longer kept by
        it. Raise it as ``raise feed.take_error()``: bound to a name in the raising frame, it
        would hold that frame through its own traceback (the cycle of the class docstring)."""
        error, self.error = self.error, None
        assert error is not None
        return error

    def stop(self) -> None:
        self._stopped = True

    def close(self) -> None:
        self._stopped = True
        self._inner.close()
        super().close()
