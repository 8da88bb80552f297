"""Templates of the console: one Jinja2 environment, autoescape on for every template.

Leaked values are never marked safe. Filters turn them into text a person can read without being
fooled: :func:`shown` writes control, zero-width and bidi characters (a right-to-left override
that flips ``gnp.exe`` into ``exe.png``) as visible ``\\u202e`` escapes. No filter makes a link:
a URL from the leak stays text (templates only link to our own routes).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: C0/C1 controls, zero-width and bidi controls, BOM, line/paragraph separators (as inert.py).
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)
_LONG = 300


def shown(value: object, limit: int | None = _LONG) -> str:
    """Leaked text as a person should see it: invisible/bidi characters as ``\\uXXXX``, bounded."""
    if value is None:
        return ""
    text = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(value: datetime | None, tz: str | None = None) -> str:
    """``2025-11-30 09:00 WIB`` in the given IANA zone (UTC by default); ``unknown`` when unset."""
    if value is None:
        return "unknown"
    return value.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def num(value: int | float | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(shown=shown, when=when, iso=iso, num=num)
    return env


_ENV = make_environment()


def render(name: str, context: dict[str, Any]) -> str:
    return _ENV.get_template(name).render(**context)
