"""Identifiers: UUIDs, prefixed account ids, person/device ids by column hint, hashed identifiers.

Which ids identify a *person* is decided by the column, not the value: a UUID is a person's
internal identifier in ``user_id``, ``anonymous_id``, ``device_id``/IDFA/IDFV/advertising id,
``session_id``, ``account_id``, ``org_id`` or ``group_id``, and nothing personal in ``event_id``,
``message_id``, ``insert_id``, ``log_id``, ``row_id``, ``app_id``/``bundle_id``/``client_id``
or ``campaign_id``/``ad_id`` (record and object ids: :data:`RECORD_ID_COLUMNS`). The scan
plan keeps every id-shaped detector off record-id columns; the values are still checked by
every other detector (an email in a ``message_id`` column is still an email).

Hashed identifiers: a column whose values are hex or base64 digests (an email or a name the
vendor or pipeline hashed, as in Fivetran's test seeds) holds ``hashed_id``, whatever its
name or the vendor schema says; where a schema said ``email``, the report lists the
disagreement and the values win.
"""

from __future__ import annotations

import re

from breachscope.detectors.base import Detector

#: Normalised column names of record and object ids: never a person's identifier.
RECORD_ID_COLUMNS = (
    r"(?:^|_)(?:event|message|msg|log|row|insert|record|request|trace|span|batch|bundle_sequence"
    r"|transaction|txn|order_line|part|item|line|article|collection|section|help_center|tag|team"
    r"|segment|cohort|funnel|annotation|dashboard|insight|experiment|flag|feature_flag|project"
    r"|workspace|stream|source|destination|connection|sync|job|file|app|bundle|client|campaign|canvas"
    r"|ad|adset|ad_group|adgroup|creative|keyword|product|sku|variant|plan|price|invoice|board"
    r"|channel|template|conversation|ticket|rating|sla|event_type|bot|integration|library|lib|schema"
    r"|version|build|release|page|screen|view|property|dimension|metric|parent|author_type)"
    r"_?(?:id|ids|uuid|key)$",
    r"^_?(?:fivetran|airbyte|sdc|rudder|stitch|dlt|meltano|hevo)_",
    r"(?:^|_)insert_?id$",
    r"(?:^|_)(?:message|msg)_?id$",
)

UUID = Detector(
    name="uuid",
    version=2,
    data_class="internal_id",
    pattern=r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    family="uuid",
    anchor=r"[0-9a-fA-F]-[0-9a-fA-F]{4}-[0-9a-fA-F]",
    anti_hints=RECORD_ID_COLUMNS,
    min_share=0.5,
    description="UUIDs (device ids, anonymous ids, account ids); not in record-id columns.",
)

PREFIXED_ID = Detector(
    name="prefixed_id",
    version=2,
    data_class="internal_id",
    pattern=r"(?:^|[^\w-])(?P<token>(?:org|user|proj|acct|cus|usr|team|ws)[-_][A-Za-z0-9]{12,})\b",
    family="prefixed_id",
    anchor=r"(?:org|user|proj|acct|cus|usr|team|ws)[-_][A-Za-z0-9]{4}",
    anti_hints=RECORD_ID_COLUMNS,
    description="Prefixed account/org ids such as org-xxxxxxxx or user-xxxxxxxx.",
)

#: Column names of a person's (or their account's, device's, session's, group's) identifier.
PERSON_ID_HINTS = (
    r"distinct_?id",
    r"device_?id",
    r"anon(?:ymous)?_?id",
    r"user_?id",
    r"(?:^|_)uid$",
    r"org(?:anization|anisation)?_?id",
    r"account_?id",
    r"customer_?id",
    r"contact_?id",
    r"member_?id",
    r"person_?id",
    r"profile_?id",
    r"visitor_?id",
    r"lead_?id",
    r"admin_?id",
    r"assignee_?id",
    r"owner_?id",
    r"author_?id",
    r"session_?id",
    r"group_?id",
    r"company_?id",
    r"external_?id",
    r"amplitude_?id",
    r"pseudo_?id",
    r"idfa$",
    r"idfv$",
    r"(?:^|_)ifa$",
    r"advertis(?:ing|er)_?id",
    r"gaid$",
    r"adid$",
    r"(?:^|_)(?:created_by|updated_by|deleted_by|modified_by|creator|performed_by|user|author|owner"
    r"|assignee|admin|contact|person|customer|member|visitor|teammate)_(?:id|uuid)$",
    # people acting on a ticket, a chat or an order (Zendesk requester/submitter, chat actor)
    r"(?:^|_)(?:requester|submitter|actor|sender|reporter|reviewer|agent|updater|editor|commenter"
    r"|follower|collaborator|approver|buyer|seller|payer|participant|invitee|inviter|recipient_user)_?id$",
    r"^id$",
)

DISTINCT_ID = Detector(
    name="distinct_id",
    version=2,
    data_class="internal_id",
    pattern=r"^\s*[\w.:$@|+=/-]+\s*$",
    column_hints=PERSON_ID_HINTS,
    requires_hint=True,
    # not weak: an email or a phone number used as the person's id is both that and an id
    weak=False,
    anti_hints=RECORD_ID_COLUMNS,
    description="Any identifier-shaped value in a column named like a person, account, device, "
    "session or group id.",
)

_HEX_DIGEST = r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}"
_B64_DIGEST = r"[A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{27}=|[A-Za-z0-9+/]{43}=|[A-Za-z0-9+/]{86}=="
_UPPER, _LOWER, _DIGIT = re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"\d")


def looks_hashed(value: str) -> bool:
    """A digest, not a word: hex with letters and digits, base64 with two character kinds."""
    v = value.strip()
    if v.endswith("="):
        return sum(bool(rx.search(v)) for rx in (_UPPER, _LOWER, _DIGIT)) >= 2
    return bool(_DIGIT.search(v)) and bool(re.search(r"[a-fA-F]", v)) and len(set(v.lower())) > 4


HASHED_ID = Detector(
    name="hashed_id",
    version=1,
    data_class="hashed_id",
    pattern=r"^\s*(?:" + _HEX_DIGEST + "|" + _B64_DIGEST + r")\s*$",
    validate=looks_hashed,
    column_hints=(r"email", r"mail", r"name", r"phone", r"hash", r"digest", r"sha\d*", r"md5"),
    family="hashed",
    anchor=r"^\s*[0-9A-Za-z+/]{22}",
    excludes=("password_hash", "password_digest", "secret_by_column"),
    anti_hints=RECORD_ID_COLUMNS
    + (r"(?:^|_)(?:id|ids|uuid|token|key|secret|signature|etag|checksum|nonce|salt)$", r"passw"),
    min_share=0.5,
    description="Hex (md5/sha1/sha256/sha512) or base64 digests standing for an identifier.",
)

DETECTORS: tuple[Detector, ...] = (UUID, PREFIXED_ID, DISTINCT_ID, HASHED_ID)
