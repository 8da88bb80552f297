"""Canary exports in the vendor's own import format: the only place a canary exists in plain text.

One layout per vendor family, each for CSV (the vendor's people/profile CSV import) and JSON
(the body of its identify/people API):

- mixpanel: JSON = Engage API ``$set`` updates (``$token``, ``$distinct_id``, ``$set``);
  CSV = people import columns ``$distinct_id``, ``$email``, ``$first_name``, ``$last_name``, ``$name``.
- segment: JSON = HTTP Tracking API ``/v1/batch`` of ``identify`` calls (``userId``,
  ``anonymousId``, ``traits``); CSV = ``userId``, ``anonymousId``, ``email``, ``firstName``, ``lastName``.
- amplitude: JSON = Identify API ``identification`` list (``user_id``, ``device_id``,
  ``user_properties.$set``); CSV = ``user_id``, ``device_id``, ``email``, ``first_name``, ``last_name``.
- posthog: JSON = ``/batch`` of ``$identify`` events (``distinct_id``, ``$set``); CSV =
  ``distinct_id``, ``email``, ``first_name``, ``last_name``.
- generic: JSON = a list of people objects; CSV = ``distinct_id``, ``user_id``, ``email``,
  ``first_name``, ``last_name``, ``name``.

Project tokens and API keys the vendor needs are left as ``<...>`` placeholders: breachscope
never holds them. The honeytoken goes into a custom ``api_key`` property. The file is written
0600 and never overwritten; CSV cells go through :func:`breachscope.inert.csv_cell`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from breachscope.canary.mint import Canary
from breachscope.errors import InputError
from breachscope.files import open_private
from breachscope.inert import csv_cell

LAYOUTS: tuple[str, ...] = ("mixpanel", "segment", "amplitude", "posthog", "generic")
FORMATS: tuple[str, ...] = ("csv", "json")


def layout_for(vendor: str, forced: str | None = None) -> str:
    """The export layout: ``forced`` if given, else the first known vendor family in the name."""
    if forced:
        if forced not in LAYOUTS:
            raise InputError(f"unknown canary layout {forced!r}", f"use one of: {', '.join(LAYOUTS)}")
        return forced
    low = vendor.casefold()
    return next((name for name in LAYOUTS[:-1] if name in low), "generic")


def _props(c: Canary, names: tuple[str, str, str, str]) -> dict[str, str]:
    email, first, last, full = names
    out = {email: c.email, first: c.first_name, last: c.last_name}
    if full:
        out[full] = c.name
    if c.honeytoken is not None:
        out["api_key"] = c.honeytoken
    return out


def _mixpanel_json(people: Sequence[Canary], at: datetime) -> Any:
    return [
        {
            "$token": "<MIXPANEL_PROJECT_TOKEN>",
            "$distinct_id": c.distinct_id,
            "$set": {**_props(c, ("$email", "$first_name", "$last_name", "$name")), "user_id": c.user_id},
        }
        for c in people
    ]


def _segment_json(people: Sequence[Canary], at: datetime) -> Any:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "batch": [
            {
                "type": "identify",
                "userId": c.user_id,
                "anonymousId": c.distinct_id,
                "traits": _props(c, ("email", "firstName", "lastName", "name")),
                "timestamp": stamp,
            }
            for c in people
        ]
    }


def _amplitude_json(people: Sequence[Canary], at: datetime) -> Any:
    return [
        {
            "user_id": c.user_id,
            "device_id": c.distinct_id,
            "user_properties": {"$set": _props(c, ("email", "first_name", "last_name", "name"))},
        }
        for c in people
    ]


def _posthog_json(people: Sequence[Canary], at: datetime) -> Any:
    return {
        "api_key": "<POSTHOG_PROJECT_API_KEY>",
        "batch": [
            {
                "event": "$identify",
                "distinct_id": c.distinct_id,
                "properties": {"$set": {**_props(c, ("email", "first_name", "last_name", "name"))}},
                "timestamp": at.isoformat(),
            }
            for c in people
        ],
    }


def _generic_json(people: Sequence[Canary], at: datetime) -> Any:
    return [
        {
            "distinct_id": c.distinct_id,
            "user_id": c.user_id,
            **_props(c, ("email", "first_name", "last_name", "name")),
        }
        for c in people
    ]


_JSON: dict[str, Callable[[Sequence[Canary], datetime], Any]] = {
    "mixpanel": _mixpanel_json,
    "segment": _segment_json,
    "amplitude": _amplitude_json,
    "posthog": _posthog_json,
    "generic": _generic_json,
}

#: layout -> ((column, getter), ...)
_CSV: dict[str, tuple[tuple[str, Callable[[Canary], str]], ...]] = {
    "mixpanel": (
        ("$distinct_id", lambda c: c.distinct_id),
        ("$email", lambda c: c.email),
        ("$first_name", lambda c: c.first_name),
        ("$last_name", lambda c: c.last_name),
        ("$name", lambda c: c.name),
        ("user_id", lambda c: c.user_id),
    ),
    "segment": (
        ("userId", lambda c: c.user_id),
        ("anonymousId", lambda c: c.distinct_id),
        ("email", lambda c: c.email),
        ("firstName", lambda c: c.first_name),
        ("lastName", lambda c: c.last_name),
    ),
    "amplitude": (
        ("user_id", lambda c: c.user_id),
        ("device_id", lambda c: c.distinct_id),
        ("email", lambda c: c.email),
        ("first_name", lambda c: c.first_name),
        ("last_name", lambda c: c.last_name),
    ),
    "posthog": (
        ("distinct_id", lambda c: c.distinct_id),
        ("email", lambda c: c.email),
        ("first_name", lambda c: c.first_name),
        ("last_name", lambda c: c.last_name),
    ),
    "generic": (
        ("distinct_id", lambda c: c.distinct_id),
        ("user_id", lambda c: c.user_id),
        ("email", lambda c: c.email),
        ("first_name", lambda c: c.first_name),
        ("last_name", lambda c: c.last_name),
        ("name", lambda c: c.name),
    ),
}


def render(people: Sequence[Canary], layout: str, fmt: str, at: datetime) -> str:
    """The export's text (CSV with a header row, or JSON)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown canary export format {fmt!r}", "use csv or json")
    if fmt == "json":
        return json.dumps(_JSON[layout](people, at), indent=2, ensure_ascii=False) + "\n"
    columns = _CSV[layout]
    token = any(c.honeytoken is not None for c in people)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([name for name, _ in columns] + (["api_key"] if token else []))
    for c in people:
        row = [csv_cell(get(c)) for _, get in columns]
        w.writerow(row + ([c.honeytoken or ""] if token else []))
    return buf.getvalue()


def write_export(path: Path, text: str) -> Path:
    """Write the export 0600; an existing file is never overwritten (it may hold earlier canaries)."""
    try:
        with open_private(path, "x", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except FileExistsError:
        raise InputError(
            f"{path} already exists", "give a new --out path (breachscope never overwrites an export)"
        ) from None
    return path
