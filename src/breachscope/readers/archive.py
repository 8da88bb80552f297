"""Compression and archives: which tables a path holds, and how to open each one as a stream.

A path yields one :class:`Input` per table: a plain file, a ``.gz``/``.bz2``/``.xz`` file, or
each member of a ``.zip`` (members may themselves be compressed, e.g. ``*.json.gz``). Nothing
is ever extracted: members are streamed. Member names with absolute paths or ``..`` are
reported (``unsafe_member``) but still scanned in memory, since nothing is written anyway.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shutil
import stat
import struct
import tempfile
import weakref
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from breachscope.errors import InputError
from breachscope.files import open_private
from breachscope.readers.base import BytesCallback, ReadIssue
from breachscope.readers.sniff import compression_of, format_from_name, strip_compression_ext
from breachscope.readers.stream import CountingFile, GuardedStream, Limits, MiB, Tally

HEAD_BYTES = 1 << 20
_DECOMPRESS = ("gzip", "bz2", "xz")


def _decompress(kind: str, f: IO[bytes]) -> IO[bytes]:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=f, mode="rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(f, mode="rb")
    return lzma.LZMAFile(f, mode="rb")


@dataclass
class Input:
    """One table's bytes: a file, optionally a zip member, then decompression layers."""

    name: str  # display name, e.g. "leak.zip!data/a.csv"
    inner_name: str  # name without archive prefix or compression suffixes (for format sniffing)
    path: Path
    size_bytes: int
    limits: Limits
    member: str | None = None
    info: zipfile.ZipInfo | None = None  # the member's central-directory entry
    layers: tuple[str, ...] = ()
    issues: list[ReadIssue] = field(default_factory=list)
    skip: bool = False  # set when the member cannot be read at all (its issues say why)
    archive: tuple[Tally, int] | None = None  # the archive's inflated-bytes tally and budget
    #: a special file's spool (see :func:`_spool_special`); kept alive by every Input reading it
    spool: _Spool | None = field(default=None, repr=False, compare=False)

    @property
    def compression(self) -> str | None:
        kinds = (("zip",) if self.member is not None else ()) + self.layers
        return "+".join(kinds) or None

    def open(
        self,
        on_bytes: BytesCallback | None = None,
        errors: list[str] | None = None,
        buffer_size: int = HEAD_BYTES,
    ) -> IO[bytes]:
        """A fresh stream of the decompressed content; disk bytes go to ``on_bytes``.

        With ``errors``, a corrupt or truncated compressed stream ends the stream cleanly (so
        everything before the damage is read) and its message is appended to ``errors``.
        """
        counting = CountingFile(open(self.path, "rb"), None)  # closed with the stream
        stream: IO[bytes] = counting  # type: ignore[assignment]
        compressed = bool(self.layers)
        try:
            if self.info is not None:
                compressed = compressed or self.info.compress_type != zipfile.ZIP_STORED
                stream = open_member(counting, self.info)  # type: ignore[arg-type]
                counting.total = 0
            counting._on_bytes = on_bytes
            for layer in self.layers:
                stream = _decompress(layer, stream)
        except Exception:
            counting.close()
            raise
        if not compressed and self.member is None:
            return stream
        # a stored member is counted too: overlapping entries can repeat one member's bytes
        guarded = GuardedStream(
            stream, lambda: counting.total, self.name, self.limits, errors, archive=self.archive
        )
        return io.BufferedReader(guarded, buffer_size=max(4096, buffer_size))

    def head(self, n: int = HEAD_BYTES) -> bytes:
        with self.open(buffer_size=n) as stream:
            return stream.read(n)

    @contextmanager
    def seekable(self, on_bytes: BytesCallback | None) -> Iterator[IO[bytes] | Path]:
        """A seekable view for formats that need one (parquet, xlsx).

        A plain file is used in place; an archived one is spooled to memory, or past
        ``limits.spool_in_memory_bytes`` to a private temporary directory deleted afterwards.
        """
        if self.member is None and not self.layers:
            if on_bytes is not None:
                on_bytes(self.size_bytes)
            yield self.path
            return
        with self.open(on_bytes) as stream:
            buf = io.BytesIO()
            copied = _copy(stream, buf, self.limits.spool_in_memory_bytes)
            if copied <= self.limits.spool_in_memory_bytes:
                buf.seek(0)
                yield buf
                return
            with tempfile.TemporaryDirectory(prefix="breachscope-") as tmp:
                spool = Path(tmp) / "member"
                with open(spool, "wb") as out:
                    out.write(buf.getbuffer())
                    del buf
                    shutil.copyfileobj(stream, out, 1 << 20)
                yield spool


#: A zip local file header (APPNOTE.TXT 4.3.7), the same layout as ``zipfile.structFileHeader``.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def open_member(fp: IO[bytes], info: zipfile.ZipInfo) -> IO[bytes]:
    """A stream of one member, from its central-directory entry, without re-reading the
    directory (``ZipFile.open`` on a fresh ``ZipFile`` would parse all entries per member,
    which is quadratic for archives of thousands of files)."""
    if info.flag_bits & 0x1:
        raise InputError(f"{info.filename}: member is encrypted")
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("truncated local file header")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    fp.seek(fields[10] + fields[11], io.SEEK_CUR)  # file name and extra field
    return zipfile.ZipExtFile(fp, "r", info, None, True)  # type: ignore[return-value]


def _copy(src: IO[bytes], dst: io.BytesIO, limit: int) -> int:
    total = 0
    while total <= limit:
        data = src.read(1 << 20)
        if not data:
            break
        dst.write(data)
        total += len(data)
    return total


def unsafe_name(name: str) -> bool:
    """Absolute paths, drive letters and ``..`` components (zip-slip)."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return True
    return ".." in PurePosixPath(norm).parts


def list_inputs(path: Path, limits: Limits) -> list[Input]:
    """Every table in ``path``. Raises InputError if the path cannot be opened at all."""
    name = path.name
    spool: _Spool | None = None
    notes: list[ReadIssue] = []
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            if not limits.allow_special_files:
                raise InputError(
                    f"{path} is not a regular file (a FIFO, device or socket): not read",
                    "copy the data into a file and scan that, or pass --allow-special-files",
                )
            spool, note = _spool_special(path, limits)
            path = spool.path
            st = path.stat()
            notes += [note] if note is not None else []
        size = st.st_size
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", "check the path and permissions"
        ) from exc
    outer = compression_of(name, head)
    if outer == "zip" and not _is_workbook(path):
        inputs = _zip_inputs(path, size, limits, name)
    else:
        base = Input(name, name, path, size, limits)
        inputs = [base] if outer is None or outer == "zip" else [_with_layers(base, (outer,))]
    for inp in inputs:
        inp.spool = spool
    if notes:
        inputs[0].issues[:0] = notes
    return inputs


class _Spool:
    """A private 0700 folder holding one 0600 copy of a special file, deleted with the last
    :class:`Input` that reads it (or at exit)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="breachscope-spool-"))  # 0700
        self.path = self.folder / "input"
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)

    def delete(self) -> None:
        self._cleanup()


#: A spool never leaves less than this share of the temporary folder's free space (nor 1 GiB).
_SPOOL_FREE_SHARE = 0.5


def _spool_special(path: Path, limits: Limits) -> tuple[_Spool, ReadIssue | None]:
    """Read a FIFO or device once into a private temporary file (format sniffing needs to read
    the start twice, which a stream cannot give). Bounded by what is left of the run's
    inflated-bytes budget (``Limits.max_run_bytes``, which the spooled bytes count against) and
    by the temporary folder's free space; a cut spool is read as far as it goes and reported."""
    spool = _Spool()
    try:
        free = shutil.disk_usage(spool.folder).free
        room = max(0, int(free * _SPOOL_FREE_SHARE) - 1024 * MiB)
        budget = max(0, limits.max_run_bytes - limits.run.total)
        cap = min(budget, room)
        copied = 0
        cut = False
        with open(path, "rb", buffering=0) as src, open_private(spool.path, "xb", parents=False) as out:
            while True:
                data = src.read(min(1 << 20, cap - copied + 1))
                if not data:
                    break
                if copied + len(data) > cap:
                    out.write(data[: cap - copied])
                    copied = cap
                    cut = True
                    break
                out.write(data)
                copied += len(data)
        limits.run.total += copied
    except BaseException:
        spool.delete()
        raise
    if not cut:
        return spool, None
    why = (
        f"the run's inflated-bytes budget of {limits.max_run_bytes // MiB} MiB (Limits.max_run_bytes)"
        if cap == budget
        else f"the free space of the temporary folder {spool.folder.parent}"
    )
    note = ReadIssue(
        path.name,
        "special_file_budget",
        f"{path} is not a regular file; its first {copied:,} bytes were read, the rest was not "
        f"(reading stopped at {why}); the size of the rest is unknown",
    )
    return spool, note


def _is_workbook(path: Path) -> bool:
    """An .xlsx file is a zip too; it is read as one workbook, not as members."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _with_layers(inp: Input, layers: tuple[str, ...]) -> Input:
    """Adds decompression layers while the decompressed content starts with another magic."""
    inner = strip_compression_ext(inp.inner_name)
    candidate = Input(
        inp.name,
        inner,
        inp.path,
        inp.size_bytes,
        inp.limits,
        inp.member,
        inp.info,
        layers,
        inp.issues,
        archive=inp.archive,
    )
    try:
        head = candidate.head(16)
    except (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, InputError) as exc:
        candidate.issues.append(ReadIssue(inp.name, "corrupt_compression", f"cannot decompress: {exc}"))
        candidate.skip = True
        return candidate
    nested = compression_of(inner, head)
    if nested is not None and nested in _DECOMPRESS and len(layers) < 3:
        return _with_layers(candidate, (*layers, nested))
    return candidate


def _zip_inputs(path: Path, size: int, limits: Limits, shown: str | None = None) -> list[Input]:
    shown = shown or path.name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"{shown}: not a readable zip archive ({exc})", "check the download, or unzip it yourself"
        ) from exc
    cap = limits.max_archive_bytes
    if cap is None:
        cap = max(limits.ratio_after_bytes, int(size * limits.max_ratio))
    tally = (Tally(), cap)
    files = [i for i in infos if not i.is_dir()]
    notes: list[ReadIssue] = []
    overlapping = _overlapping(files)
    if overlapping:
        notes.append(
            ReadIssue(
                shown,
                "overlapping_members",
                f"{len(overlapping)} of {len(files)} zip entries point into the bytes of another member "
                "(a zip-bomb technique); they were not read",
                bytes_unread=_declared([i for i in files if id(i) in overlapping]),
            )
        )
        files = [i for i in files if id(i) not in overlapping]
    if len(files) > limits.max_members:
        notes.append(
            ReadIssue(
                shown,
                "too_many_members",
                f"the archive holds {len(files)} members; only the first {limits.max_members} were read "
                "(Limits.max_members)",
                bytes_unread=_declared(files[limits.max_members :]),
            )
        )
        files = files[: limits.max_members]
    out: list[Input] = []
    if notes:
        out.append(Input(shown, shown, path, 0, limits, issues=notes, skip=True))
    for info in files:
        out.append(_member(path, info, limits, tally, shown))
    if not out:
        raise InputError(f"{shown}: the zip archive holds no files", None)
    return out


def _declared(infos: list[zipfile.ZipInfo]) -> int:
    """The uncompressed sizes the zip directory declares for these members (what a skipped
    member would have inflated to, as far as the archive says; 0 makes the scan say "unknown")."""
    return sum(max(0, i.file_size) for i in infos)


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[int]:
    """Entries whose local header starts inside an earlier member's bytes (ids of the ZipInfos).

    A member spans at least its 30-byte local header, its name and its compressed data; an entry
    that starts before the previous one ends shares bytes with it, the trick of overlapping-entry
    zip bombs (one 60 MiB member listed 65,000 times)."""
    out: set[int] = set()
    end = -1
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            out.add(id(info))
            continue
        end = info.header_offset + _LOCAL_HEADER.size + len(info.orig_filename.encode()) + info.compress_size
    return out


def _member(
    path: Path, info: zipfile.ZipInfo, limits: Limits, tally: tuple[Tally, int], shown: str | None = None
) -> Input:
    name = f"{shown or path.name}!{info.filename}"
    inp = Input(
        name, info.filename, path, info.compress_size, limits, member=info.filename, info=info, archive=tally
    )
    if unsafe_name(info.filename):
        inp.issues.append(
            ReadIssue(
                name,
                "unsafe_member",
                "member path is absolute or contains '..' (zip-slip); it was read in memory only, "
                "never extracted",
            )
        )
    if info.flag_bits & 0x1:
        inp.issues.append(
            ReadIssue(
                name,
                "encrypted_member",
                f"member is encrypted; not read ({info.file_size:,} bytes declared)",
                bytes_unread=info.file_size,
            )
        )
        inp.skip = True
        return inp
    if info.compress_size and info.file_size / info.compress_size > limits.max_ratio * 5:
        inp.issues.append(
            ReadIssue(
                name,
                "suspicious_ratio",
                f"declared size {info.file_size} bytes from {info.compress_size} compressed; "
                "the ratio guard stops reading if that holds",
            )
        )
    try:
        head = inp.head(16)
    except Exception as exc:  # a broken member must not hide the others
        inp.issues.append(
            ReadIssue(name, "corrupt_member", f"cannot open member: {exc}", bytes_unread=info.file_size)
        )
        inp.skip = True
        return inp
    nested = compression_of(info.filename, head)
    if nested is not None and nested in _DECOMPRESS:
        inp = _with_layers(inp, (nested,))
    elif nested == "zip" and format_from_name(info.filename) != "xlsx":
        inp.issues.append(
            ReadIssue(
                name,
                "nested_archive",
                "zip inside zip is not opened; unzip it first",
                bytes_unread=info.file_size,
            )
        )
        inp.skip = True
    return inp
