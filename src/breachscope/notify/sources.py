"""Adapters from the case to :class:`NoticeContext`: scope recipients + the latest assessment.

The only place notify reads other stages' shapes: :func:`breachscope.scope.recipients.recipients`
(who, in which language, which of their fields leaked) and the stored assessment
(:mod:`breachscope.rules.store`: actions, actions not needed, duties with required content, and
which classes the scan proved absent). Without an assessment, notices still go out, with no
action list and no "not included" section (nothing is claimed that was not proven).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from breachscope import taxonomy
from breachscope.case import api
from breachscope.case.facts import incident_facts
from breachscope.notify.context import ActionItem, DutyInfo, IncidentInfo, Kind, NoticeContext, OrgInfo
from breachscope.notify.echo import echo_location
from breachscope.rules import store
from breachscope.rules.engine import for_jurisdiction
from breachscope.rules.facts import Action, Duty, Facts, NotNeeded
from breachscope.rules.loader import load_rules
from breachscope.scope.recipients import Recipient, recipients

#: Duty recipients that get a draft (individuals get the personal notices themselves).
REGULATOR_RECIPIENTS = frozenset({"authority", "attorney_general", "credit_agencies", "other_regulator"})
#: Only these tiers are listed as "not included": the ones people worry about.
ABSENT_TIERS = (taxonomy.Tier.CRITICAL, taxonomy.Tier.HIGH)
#: Jurisdiction (ISO 3166-1) -> language of regulator drafts; default English.
REGULATOR_LANGUAGE = {"ID": "id"}


@dataclass(frozen=True)
class CaseNotices:
    """What the case says, ready to turn into contexts."""

    incident: IncidentInfo
    recipients: tuple[Recipient, ...]
    actions: tuple[Action, ...]
    not_needed: tuple[ActionItem, ...]
    absent: tuple[str, ...]
    duties: tuple[Duty, ...]
    has_assessment: bool
    checked_records: int = 0
    checked_files: int = 0
    checked_complete: bool = True
    #: Records in the attached datasets (a record is a row, not a person); ``None`` if unknown.
    records: int | None = None
    #: Duty id -> the classes present in the records of that jurisdiction's people, as assess
    #: measured them (rules.engine.for_jurisdiction); a duty not here: the incident's classes.
    duty_classes: dict[str, frozenset[str]] = field(default_factory=dict)


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value is not None else ""


def _location(r: Recipient) -> str:
    """The leaked location, only the parts that validate as a city/region/country (see echo)."""
    return echo_location(r.city_display, r.region_display, r.country_display)


def load_case(session: Session, incident_id: int) -> CaseNotices:
    inc = api.get_incident(session, incident_id)
    known = incident_facts(session, incident_id)
    info = IncidentInfo(
        id=inc.id,
        name=inc.name,
        vendor=inc.vendor or "",
        detected_on=_date(inc.vendor_detected_at),
        aware_on=_date(inc.aware_at),
        description=inc.description or "",
        occurred_on=_date(inc.occurred_at),
        notified_on=_date(inc.vendor_notified_us_at),
        cause=known.get("cause"),
        our_systems_affected=known.get("our-systems-affected"),
        vendor_relationship=known.get("vendor-relationship"),
        working_with_vendor=known.get("working-with-vendor"),
        breached_party=known.get("breached-party"),
        measures=known.known("measures"),
        support_phone=known.known("support-phone"),
        help_page=known.known("help-page"),
    )
    stored = store.latest_assessment(session, incident_id)
    actions: tuple[Action, ...] = ()
    not_needed: tuple[ActionItem, ...] = ()
    absent: tuple[str, ...] = ()
    duties: tuple[Duty, ...] = ()
    if stored is not None:
        a = stored.assessment
        actions = tuple(x for x in a.actions if x.audience == "recipients")
        not_needed = recipient_not_needed(a.not_needed)
        absent = tuple(
            dc.id for dc in taxonomy.DATA_CLASSES if dc.id in a.facts.absent and dc.tier in ABSENT_TIERS
        )
        duties = tuple(
            d
            for d in a.duties
            if d.recipient in REGULATOR_RECIPIENTS and d.verdict in ("required", "assessment_required")
        )
    checked = (0, 0, True)
    if stored is not None:
        f = stored.assessment.facts
        checked = (f.records_checked, f.files_checked, f.absence_complete)
    rows = [d.records for d in api.list_datasets(session, incident_id)]
    records = sum(rows) if rows and all(n > 0 for n in rows) else None
    classes = duty_classes(stored.assessment.facts, duties) if stored is not None else {}
    return CaseNotices(
        info,
        tuple(recipients(session, incident_id)),
        actions,
        not_needed,
        absent,
        duties,
        stored is not None,
        *checked,
        records,
        classes,
    )


def duty_classes(facts: Facts, duties: Sequence[Duty]) -> dict[str, frozenset[str]]:
    """Each duty's jurisdiction sees the classes of its own people (the measurement assess used)."""
    if not duties or not facts.classes_by_code:
        return {}
    rules = load_rules()
    out: dict[str, frozenset[str]] = {}
    for d in duties:
        try:
            j, _ = rules.rule(str(d.id))
        except KeyError:
            continue
        out[str(d.id)] = for_jurisdiction(facts, j).present
    return out


def due_local(d: Duty) -> str:
    """The due time as a date and hour in the jurisdiction's time zone ("2025-11-28 07:00 WIB")."""
    if d.due is None:
        return ""
    due = d.due
    if d.timezone:
        try:
            due = due.astimezone(ZoneInfo(d.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return due.strftime("%Y-%m-%d %H:%M %Z")


def recipient_not_needed(items: Sequence[NotNeeded]) -> tuple[ActionItem, ...]:
    """The not-needed steps a recipient would have had to take (the company's own are not theirs),
    with what a notice needs to name the checked classes in the recipient's language."""
    return tuple(
        ActionItem(
            n.id,
            dict(n.text),
            template=dict(n.template),
            classes=n.checked,
            values=n.values_checked,
            records=n.records_checked,
            records_complete=n.absence_complete,
        )
        for n in items
        if n.audience == "recipients"
    )


def _actions_for(actions: Sequence[Action], classes: Sequence[str]) -> tuple[ActionItem, ...]:
    wanted = set(classes)
    return tuple(ActionItem(str(a.id), dict(a.text)) for a in actions if wanted & set(a.caused_by))


def _gets_user_notice(r: Recipient) -> bool:
    return (r.role == "user" or r.own_record_leaked) and bool(r.exposed_classes)


def gets_user_notice(r: Recipient) -> bool:
    """Whether the recipient gets a personal notice (own record leaked, some class exposed)."""
    return _gets_user_notice(r)


def with_users_told(
    case: CaseNotices, chosen: Sequence[NoticeContext], outbox_keys: set[str]
) -> list[NoticeContext]:
    """Admin contexts with ``org.users_told``: the org's people whose own notice is in this run
    (``chosen``) or queued/sent in the outbox (``outbox_keys``)."""
    told = outbox_keys | {c.recipient_key for c in chosen if c.kind == "user"}
    per_org: dict[str, int] = {}
    for r in case.recipients:
        if r.org_id and _gets_user_notice(r) and str(r.user_id) in told:
            per_org[str(r.org_id)] = per_org.get(str(r.org_id), 0) + 1
    return [
        replace(c, org=replace(c.org, users_told=per_org.get(c.org.id, 0)))
        if c.kind == "admin" and c.org is not None
        else c
        for c in chosen
    ]


def contexts(case: CaseNotices, kinds: Sequence[Kind]) -> Iterator[NoticeContext]:
    """Every notice of the requested kinds: users, org admins, regulator drafts."""
    for r in case.recipients:
        role, user_id = r.role, str(r.user_id)
        email, name, language = r.email or "", r.name or "", r.language or ""
        own = tuple(r.exposed_classes)
        if "user" in kinds and _gets_user_notice(r):
            yield NoticeContext(
                kind="user",
                recipient_key=user_id,
                exposed_classes=own,
                location=_location(r),
                actions=_actions_for(case.actions, own),
                not_needed=case.not_needed,
                email=email,
                name=name,
                language=language,
                incident=case.incident,
                absent_classes=case.absent,
                checked_records=case.checked_records,
                checked_files=case.checked_files,
                checked_complete=case.checked_complete,
                jurisdictions=r.jurisdictions,
            )
        if "admin" in kinds and role == "admin":
            org_classes = tuple(r.org_exposed_classes)
            org_id = str(r.org_id or "")
            yield NoticeContext(
                kind="admin",
                recipient_key=f"{user_id}@{org_id}",
                org=OrgInfo(
                    org_id,
                    r.org_name or org_id,
                    int(r.org_affected_users),
                    org_classes,
                ),
                actions=_actions_for(case.actions, org_classes),
                not_needed=case.not_needed,
                email=email,
                name=name,
                language=language,
                incident=case.incident,
                absent_classes=case.absent,
                checked_records=case.checked_records,
                checked_files=case.checked_files,
                checked_complete=case.checked_complete,
                jurisdictions=r.jurisdictions,
            )
    if "regulator" in kinds:
        everywhere = tuple(sorted({c for r in case.recipients for c in r.exposed_classes}))
        for d in case.duties:
            here = case.duty_classes.get(str(d.id))
            exposed = everywhere if here is None else tuple(sorted(here))
            jurisdiction = str(d.jurisdiction)
            language = REGULATOR_LANGUAGE.get(jurisdiction.split("-", 1)[0], "en")
            local = d.local.get(language, {})
            yield NoticeContext(
                kind="regulator",
                recipient_key=str(d.id),
                email="",
                name="",
                language=language,
                incident=case.incident,
                exposed_classes=exposed,
                absent_classes=case.absent,
                checked_records=case.checked_records,
                checked_files=case.checked_files,
                checked_complete=case.checked_complete,
                actions=_actions_for(case.actions, exposed),
                jurisdictions=(jurisdiction,),
                duty=DutyInfo(
                    id=str(d.id),
                    jurisdiction=jurisdiction,
                    recipient=str(local.get("recipient_name") or d.recipient_name),
                    citation=str(local.get("citation") or f"{d.statute}, {d.citation}"),
                    deadline=str(local.get("deadline") or d.deadline_words or ""),
                    required_content=tuple(c.id for c in d.content),
                    affected_people=int(d.affected),
                    language=language,
                    due=due_local(d),
                    records=case.records,
                ),
            )
