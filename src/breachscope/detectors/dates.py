"""Dates: dates of birth (by column hint, and in any text after "born", "DOB", "tanggal lahir"
...) and timestamps (ISO-8601 dates/times, epoch numbers)."""

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

_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MON = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
#: English and Indonesian month names and abbreviations, any case.
_MONTH_NAME = (
    r"(?i:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|januari|februari|maret|mei|juni|juli|agustus|oktober|desember"
    r"|jan|feb|mar|apr|jun|jul|aug|agu|agt|sep|sept|oct|okt|nov|dec|des)"
)
_DATE_WRITTEN = (
    _YEAR + r"[-/.]" + _MON + r"[-/.]" + _DAY
    + r"|" + _DAY + r"[-/.]" + _MON + r"[-/.]" + _YEAR
    + r"|" + _DAY + r"\s+" + _MONTH_NAME + r"\.?,?\s+" + _YEAR
    + r"|" + _MONTH_NAME + r"\.?\s+" + _DAY + r"(?:st|nd|rd|th)?,?\s+" + _YEAR
)  # fmt: skip
_DOB_WORD = (
    r"(?i:\bborn\b|\bd\.?o\.?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|tanggal\s+lahir"
    r"|tgl\.?\s*lahir|\blahir\b)"
)

DOB_TEXT = Detector(
    name="date_of_birth_text",
    version=1,
    data_class="date_of_birth",
    # "born", "DOB", "date of birth", "birthday", "tanggal lahir", "tgl lahir", "lahir", then at
    # most a place ("Jakarta, ") and a date written as digits or with a month name (en/id).
    pattern=(
        _DOB_WORD + r"(?:\s+(?i:on|in|pada|tanggal|tgl\.?|di))?[\s\"':=]*"
        r"(?:[A-Z][A-Za-z]+(?:\s+[A-Z][A-Za-z]+){0,2}(?:\s*,\s*|\s+(?i:on|pada|tanggal)\s+))?"
        r"(?:" + _DATE_WRITTEN + r")"
    ),
    family="dob_text",
    anchor=r"(?i:born|d\.?o\.?b|birth|lahir)",
    description=(
        'A date right after "born", "DOB", "date of birth", "birthday", "tanggal lahir" or "lahir" '
        "(digits or month names in English or Indonesian), in any column."
    ),
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
    excludes=("date_of_birth", "date_of_birth_text"),
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

DETECTORS: tuple[Detector, ...] = (DOB, DOB_TEXT, TIMESTAMP, EPOCH)
