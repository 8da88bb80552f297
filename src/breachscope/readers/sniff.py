"""Guessing what a file is: compression and table format from name and content, text encoding,
and the CSV delimiter. Every function looks only at a short head sample."""

from __future__ import annotations

import codecs
import csv
import io
import json

COMPRESSION_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # empty zip
)
COMPRESSION_EXT = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
FORMAT_EXT = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".ldjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".avro": "avro",
}
DELIMITERS = (",", "\t", ";", "|")


def compression_of(name: str, head: bytes) -> str | None:
    """The outer compression layer, by magic bytes (names can lie), else None."""
    for magic, kind in COMPRESSION_MAGIC:
        if head.startswith(magic):
            if kind == "zip" and is_xlsx(head):
                return None
            return kind
    return None


def strip_compression_ext(name: str) -> str:
    lower = name.lower()
    for ext in COMPRESSION_EXT:
        if lower.endswith(ext) and ext != ".zip":
            return name[: -len(ext)]
    return name


def format_from_name(name: str) -> str | None:
    lower = strip_compression_ext(name).lower()
    for ext, fmt in FORMAT_EXT.items():
        if lower.endswith(ext):
            return fmt
    return None


def is_xlsx(head: bytes) -> bool:
    """An OOXML workbook is a zip whose first members are ``[Content_Types].xml`` / ``xl/``."""
    return head.startswith(b"PK\x03\x04") and (b"[Content_Types].xml" in head[:2048] or b"xl/" in head[:4096])


def format_from_content(head: bytes) -> str | None:
    """Table format from the first bytes of the (decompressed) content, or None if unsure."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"Obj\x01"):
        return "avro"  # an Avro object container file
    if is_xlsx(head) or head.startswith(b"PK\x03\x04"):
        return "xlsx"  # a zip that reaches a reader is a workbook (archives are opened before)
    wide = _wide_encoding(head)
    if wide is not None:  # UTF-16/32 text: sniff its UTF-8 form
        head = head.decode(wide, errors="replace").encode("utf-8")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return None
    if text[:1] == b"[":
        return "json"
    if text[:1] == b"{":
        lines = [ln.strip() for ln in text.split(b"\n") if ln.strip()]
        if len(lines) >= 2 and lines[0].endswith(b"}") and lines[1].startswith(b"{"):
            try:
                json.loads(lines[0])
                return "jsonl"
            except RecursionError:
                return "jsonl"  # a first line too deep to decode; the reader reports it
            except ValueError:
                pass
        return "json"
    if looks_binary(head):
        return None
    return "tsv" if sniff_delimiter(head.decode("latin-1")) == "\t" else "csv"


#: Byte-order marks of the wide encodings; UTF-32's first, since UTF-32-LE's starts like UTF-16-LE's.
WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _wide_encoding(head: bytes) -> str | None:
    for bom, encoding in WIDE_BOMS:
        if head.startswith(bom):
            return encoding
    return None


def looks_binary(head: bytes) -> bool:
    """True if the sample is unlikely to be text in any 8-bit or UTF-8/16/32 encoding."""
    if not head or head.startswith(codecs.BOM_UTF8) or _wide_encoding(head) is not None:
        return False
    sample = head[:65536]
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    return controls > len(sample) * 0.05


def detect_encoding(head: bytes) -> str:
    """BOM, then strict UTF-8, then charset-normalizer on the sample; UTF-8 if all else fails."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"  # Utf8Stream drops the BOM
    wide = _wide_encoding(head)
    if wide is not None:
        return wide
    if head.isascii():
        return "utf-8"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the sample's end
            return "utf-8"
        # A few stray bytes in mostly-UTF-8 text: keep UTF-8 and report them.
        if _mostly_utf8(head):
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(head[:262144]).best()
    if best is None or best.encoding is None:
        return "cp1252"
    enc = str(best.encoding)
    if enc in _WESTERN_LIKE and _decodes(head, "cp1252"):
        return "cp1252"  # Excel's default; single-byte guesses on short samples are unreliable
    return enc


_WESTERN_LIKE = frozenset(
    {
        "ascii",
        "latin_1",
        "iso8859_1",
        "iso8859_2",
        "iso8859_15",
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "mac_roman",
        "mac_latin2",
        "cp850",
        "cp437",
        "iso8859_9",
        "iso8859_13",
    }
)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _mostly_utf8(head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - bad
    # cp1252 text almost never forms valid multi-byte UTF-8 sequences by accident.
    return multibyte > 0 and bad <= multibyte * 10


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, tab, semicolon, pipe) giving the most consistent field counts."""
    lines = text.splitlines()
    if len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sample
    lines = lines[:50]
    best, best_score = ",", -1.0
    for delim in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim)]
        except csv.Error:
            continue
        counts = [c for c in counts if c > 0]
        if not counts or max(counts) < 2:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        score = consistency * 10 + min(mode, 50) / 50
        if mode >= 2 and score > best_score:
            best, best_score = delim, score
    return best
