"""Small SVG bar charts drawn server-side (no script, no inline style: CSS classes colour the bars).

Every bar carries its number as text too, so the chart reads without colour and with images off;
the figures behind each chart are also in a table on the same page.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    kind: str = ""  # CSS class: present | absent | not_checked | sent | queued | failed ...
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int


ROW = 22


def hbar(title: str, items: list[tuple[str, int, str]], *, width: int = 520, label_width: int = 170) -> Chart:
    """A horizontal bar chart of ``(label, value, css kind)``; bars scaled to the largest value."""
    top = max((v for _, v, _ in items), default=0) or 1
    room = width - label_width - 70
    bars = tuple(
        Bar(
            label,
            value,
            kind,
            x=label_width,
            y=i * ROW + 4,
            width=max(1.0, room * value / top) if value else 0,
        )
        for i, (label, value, kind) in enumerate(items)
    )
    return Chart(title, bars, width, max(ROW, len(items) * ROW + 8), label_width)
