"""Dates: dates of birth (by column hint) and timestamps (ISO-8601 dates/times, epoch numbers)."""

from __future__ import annotations

from breachscope.detectors.base import Detector

_DATE = (
    r"(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d{2}"
    r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])/(?:19|20)?\d{2}"
)

DOB = Detector(
    name="date_of_birth",
    version=1,
    data_class="date_of_birth",
    pattern=r"^\s*(?:" + _DATE + r"|(?:19|20)\d{6})(?:[T ]00:00(?::00)?(?:\.0+)?Z?)?\s*$",
    column_hints=(r"birth", r"^dob$", r"_dob$", r"^dob_", r"born", r"lahir", r"^bday$"),
    requires_hint=True,
    description="Dates in a column named like a date of birth.",
)

TIMESTAMP = Detector(
    name="timestamp",
    version=2,
    data_class="timestamp",
    # a date standing on its own: not part of an identifier (``google-ad-x-2023-08-24``,
    # ``txn_2023-08-24``, ``2023-08-24-promo``); ``2023-08-24T10:00`` is still a timestamp
    pattern=r"(?:^|[^\w-])(?P<token>" + _DATE + r")(?:$|[^\w-]|T\d)",
    family="date",
    anchor=r"\d{2}[-/.]\d{1,2}[-/.]\d{2}",
    excludes=("date_of_birth",),
    column_hints=(r"_at$", r"time", r"date", r"created", r"seen", r"updated", r"^ts$", r"_ts$"),
    description="Calendar dates and ISO-8601 timestamps.",
)

EPOCH = Detector(
    name="epoch_timestamp",
    version=1,
    data_class="timestamp",
    pattern=r"^\s*1\d{9}(?:\d{3})?(?:\.\d+)?\s*$",
    column_hints=TIMESTAMP.column_hints + (r"^time$",),
    requires_hint=True,
    weak=True,
    description="Unix epoch seconds or milliseconds in a time-named column.",
)

DETECTORS: tuple[Detector, ...] = (DOB, TIMESTAMP, EPOCH)
