"""Internal identifiers: UUIDs, OpenAI-style org/user ids, vendor distinct ids by column hint."""

from __future__ import annotations

from breachscope.detectors.base import Detector

UUID = Detector(
    name="uuid",
    version=1,
    data_class="internal_id",
    pattern=r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    family="uuid",
    anchor=r"[0-9a-fA-F]-[0-9a-fA-F]{4}-[0-9a-fA-F]",
    description="UUIDs (device ids, anonymous ids, account ids).",
)

PREFIXED_ID = Detector(
    name="prefixed_id",
    version=1,
    data_class="internal_id",
    pattern=r"(?:^|[^\w-])(?:org|user|proj|acct|cus|usr|team|ws)[-_][A-Za-z0-9]{12,}\b",
    family="prefixed_id",
    anchor=r"(?:org|user|proj|acct|cus|usr|team|ws)[-_][A-Za-z0-9]{4}",
    description="Prefixed account/org ids such as org-xxxxxxxx or user-xxxxxxxx.",
)

DISTINCT_ID = Detector(
    name="distinct_id",
    version=1,
    data_class="internal_id",
    pattern=r"^\s*[\w.:$@|+=/-]+\s*$",
    column_hints=(
        r"distinct_?id",
        r"device_?id",
        r"anon(?:ymous)?_?id",
        r"user_?id",
        r"org(?:anization)?_?id",
        r"account_?id",
        r"customer_?id",
        r"member_?id",
        r"session_?id",
        r"^id$",
        r"_id$",
        r"_uuid$",
        r"^uuid$",
    ),
    requires_hint=True,
    weak=True,
    description="Any identifier-shaped value in a column named like an id.",
)

DETECTORS: tuple[Detector, ...] = (UUID, PREFIXED_ID, DISTINCT_ID)
