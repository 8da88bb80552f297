"""Intercom: contacts, admins, companies, conversations and conversation parts, teams and tags
(REST API objects, CSV and warehouse/connector exports).

Field facts: ``vendor-formats.md`` section 7 (Intercom), from the contacts model
https://developers.intercom.com/docs/references/2.3/rest-api/contacts/contacts-model and
https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/contacts, and
fivetran/dbt_intercom ``integration_tests/seeds/contact_history_data.csv`` @0e7d8235 (``location``
flattened to ``location_city``..., custom attributes to ``custom_<name>``).

``custom_attributes.*`` / ``custom_*`` are customer-defined: value-scanned, no schema class.

Admin, company, conversation and conversation-part tables: fivetran/dbt_intercom
``integration_tests/seeds/{admin_data,company_history_data,conversation_history_data,
conversation_part_history_data,team_data,tag_data}.csv`` @de507ec0 and the Airbyte
source-intercom stream schemas (admins, companies, conversations, conversation_parts, teams,
tags). A company's ``name`` and ``website`` are the company's, not a person's; a conversation's
``source_body``/``source_subject`` and a part's ``body`` are what people wrote (chat content).
"""

from __future__ import annotations

from breachscope.vendors.fields import (
    DEV,
    EMAIL,
    ID,
    LOC_C,
    NAME,
    PHONE,
    TS,
    URL,
    FieldMap,
    keys,
)
from breachscope.vendors.layout import TableLayout

VENDOR = "intercom"

DOC_REFS = (
    "https://developers.intercom.com/docs/references/2.3/rest-api/contacts/contacts-model",
    "https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/contacts",
    "fivetran/dbt_intercom:integration_tests/seeds/contact_history_data.csv@0e7d8235",
    "fivetran/dbt_intercom:integration_tests/seeds@de507ec0 (admin, company, conversation, part)",
    "https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/conversations",
)

CHAT = frozenset({"chat_content"})

FIELDS = FieldMap(
    {
        # workspace_id is the Intercom app (workspace) id: an app id, not a person's
        **keys("id external_id owner_id", ID),
        # vendor-formats.md lists email_domain as EMAIL; a bare domain is not an address, so
        # breachscope gives it no schema class (its values are still scanned).
        "email": EMAIL,
        "name": NAME,
        **keys("phone formatted_phone", PHONE),
        **keys(
            "location.country location.region location.city location_country location_region location_city",
            LOC_C,
        ),
        **keys("browser browser_version browser_language os language_override", DEV),
        # admins
        "job_title": frozenset(),
        # conversations and parts: who, and what people wrote
        **keys(
            "assignee_id admin_id author_id source_author_id author.id source.author.id "
            "assigned_to_id company_id teammate_id contact_id user_id",
            ID,
        ),
        **keys(
            "body source_body source_subject source.body source.subject conversation_rating_remark "
            "conversation_rating.remark",
            CHAT,
        ),
        **keys("source_url source.url first_contact_reply_url first_contact_reply.url", URL),
        **keys("source.author.email author.email", EMAIL),
        **keys("source.author.name author.name", NAME),
    },
    patterns=(
        (r"[a-z_]+_at", TS),
        (r"(android|ios)_[a-z_]+", DEV),
        (r"social_profiles(\.data)?(\.url)?", URL),
        (r"avatar(\.image_url)?", URL),  # a URL string, or {type, image_url} in API 2.x objects
    ),
)


def _keys(path: str) -> list[str]:
    if path.startswith(("custom_attributes.", "custom_")):
        return []
    return [path]


_THING_BOOKKEEPING = (
    r"^(type|state|priority|read|part_type|author_type|assignee_type|assigned_to_type"
    r"|source_type|source_delivered_as|source_author_type|first_contact_reply_type|sla_name"
    r"|sla_status|delivered_as|plan_name|plan_id|industry|size|monthly_spend|session_count"
    r"|user_count|website|name|app_id|away_mode_enabled|away_mode_reassign|has_inbox_seat"
    r"|team_priority_level|conversation_rating_value)$",
)

LAYOUTS = (
    TableLayout(
        VENDOR,
        "admins",
        "admins (teammates: id, email, name, job_title)",
        FIELDS,
        _keys,
        require=(r"^id$", r"^email$", r"^(job_title|away_mode_enabled|has_inbox_seat|team_ids)$"),
        support=(r"^name$", r"^job_title$", r"^away_mode_(enabled|reassign)$", r"^has_inbox_seat$"),
        source_hint=r"admin",
        person_keys=("id", "email"),
        doc_refs=DOC_REFS,
        bookkeeping=(r"^(type|away_mode_enabled|away_mode_reassign|has_inbox_seat|team_priority_level)$",),
    ),
    TableLayout(
        VENDOR,
        "companies",
        "companies (company_id, name, plan, monthly_spend, user_count)",
        FIELDS,
        _keys,
        require=(r"^company_id$", r"^(monthly_spend|user_count|session_count)$"),
        support=(r"^name$", r"^industry$", r"^website$", r"^plan(_name|_id|\.)", r"^size$"),
        source_hint=r"compan",
        person_keys=("company_id", "id"),
        doc_refs=DOC_REFS,
        bookkeeping=_THING_BOOKKEEPING,
    ),
    TableLayout(
        VENDOR,
        "conversations",
        "conversations (assignee, source author and body, state)",
        FIELDS,
        _keys,
        require=(r"^(source_body|source\.body|source_author_id|source\.author\.id)$", r"^(state|open)$"),
        support=(
            r"^assignee_(id|type)$",
            r"^waiting_since$",
            r"^snoozed_until$",
            r"^first_contact_reply",
            r"^conversation_rating",
            r"^source_(subject|delivered_as|type|url)$",
        ),
        min_support=2,
        source_hint=r"conversation",
        person_keys=("source_author_id", "source.author.id"),
        doc_refs=DOC_REFS,
        bookkeeping=_THING_BOOKKEEPING,
    ),
    TableLayout(
        VENDOR,
        "conversation_parts",
        "conversation parts (conversation_id, part_type, body, author)",
        FIELDS,
        _keys,
        require=(r"^conversation_id$", r"^part_type$", r"^(body|author_id|author\.id)$"),
        support=(
            r"^author_type$",
            r"^notified_at$",
            r"^assigned_to_(id|type)$",
            r"^conversation_updated_at$",
        ),
        source_hint=r"part",
        person_keys=("author_id", "author.id"),
        doc_refs=DOC_REFS,
        bookkeeping=_THING_BOOKKEEPING,
    ),
    TableLayout(
        VENDOR,
        "contacts",
        "contacts (API objects, CSV or warehouse export)",
        FIELDS,
        _keys,
        require=(r"^id$", r"^(email|external_id)$"),
        support=(
            r"^workspace_id$",
            r"^external_id$",
            r"^email_domain$",
            r"^formatted_phone$",
            r"^role$",
            r"^signed_up_at$",
            r"^last_seen_at$",
            r"^last_replied_at$",
            r"^unsubscribed_from_emails$",
            r"^(has_hard_bounced|marked_email_as_spam)$",
            r"^location[._](city|country|region)$",
            r"^(custom_attributes\.|custom_)",
        ),
        min_support=3,
        source_hint=r"contact",
        person_keys=("id", "external_id", "email"),
        doc_refs=DOC_REFS,
        bookkeeping=(
            r"^(type|role|location\.type|has_hard_bounced|marked_email_as_spam|unsubscribed_from_emails)$",
        ),
    ),
)
