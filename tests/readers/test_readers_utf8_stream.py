"""``Utf8Stream``: valid UTF-8 passes through byte for byte whatever the block and read sizes
(multi-byte characters cut at a block's end included), a BOM is dropped once, bad bytes become
U+FFFD and are reported with their line."""

from __future__ import annotations

import io

import pytest

from breachscope.readers.stream import Utf8Stream

TEXT = "name,city\nZoë Ængström,Zürich\n李小龙,香港\nplain,ascii\n😀 emoji,∞\n"


def _read_all(data: bytes, block: int, size: int, bad: list[tuple[int, int]] | None = None) -> bytes:
    def on_bad(line: int, count: int) -> None:
        (bad if bad is not None else []).append((line, count))

    stream = Utf8Stream(io.BytesIO(data), "utf-8", on_bad, block=block)
    out = b""
    while piece := stream.read(size):
        out += piece
    return out


@pytest.mark.parametrize("block", [1, 2, 3, 5, 7, 64, 4096])
@pytest.mark.parametrize("size", [1, 3, 4, 10, 100, -1])
@pytest.mark.parametrize("bom", [False, True])
def test_valid_utf8_passes_through_unchanged(block: int, size: int, bom: bool) -> None:
    data = TEXT.encode()
    assert _read_all((b"\xef\xbb\xbf" if bom else b"") + data, block, size) == data


@pytest.mark.parametrize("block", [1, 3, 4096])
def test_bad_bytes_are_replaced_and_reported(block: int) -> None:
    bad: list[tuple[int, int]] = []
    out = _read_all(b"a,b\nok,\xff\xfe\nZo\xc3\xab,x\n", block, 5, bad)
    assert out.decode() == "a,b\nok,\ufffd\ufffd\nZoë,x\n"
    assert sum(n for line, n in bad if line == 2) == 2
    assert all(line == 2 for line, _ in bad)
