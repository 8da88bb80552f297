"""docs/vendors.md documents every layout, field map and synth writer the code has."""

from __future__ import annotations

from pathlib import Path

from breachscope.synth.vendors import WRITERS
from breachscope.vendors import LAYOUTS
from breachscope.vendors.catalog import BEGIN, END, markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "vendors.md"


def test_generated_reference_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = BEGIN + text.partition(BEGIN)[2].partition(END)[0] + END + "\n"
    assert block == markdown(), "run: python -m breachscope.vendors.catalog docs/vendors.md"


def test_every_layout_and_writer_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for layout in LAYOUTS:
        assert f"`{layout.vendor}/{layout.name}`" in text
    for name in WRITERS:
        assert f"`{name}`" in text
