"""``vendors remove NAME``: offboarding a vendor as tasks, with the deletion request letter.

The checklist becomes tasks on an incident (``source: inventory``, ``source_ref
offboard:<vendor>:<step>``; a re-run updates them, never their status):

1. **remove the SDK/script** where the evidence shows it loads (HAR: script URLs and the pages
   loading them; the collection hosts and the pages calling them);
2. **revoke keys and tokens** seen in the evidence (masked; the full value is in the vendor's
   console and in our own configuration);
3. **send the data-deletion request** (letters in English and Indonesian, citing the recorded
   deletion clause and, where the vendor is recorded as a GDPR processor, Art. 28(3)(g));
4. **collect evidence of deletion** (written confirmation incl. backups and sub-processors);
5. **verify the flows stopped** (a new HAR capture of the same pages shows no call to it);
6. **update the records** (sub-processor list, privacy notice, records of processing).

The vendor's status becomes ``removed`` (``removed_at`` set). Every sentence of a letter is
backed by a recorded fact: a clause nobody recorded is not cited, GDPR is cited only when the
vendor is recorded as a GDPR processor, and the classes named are those of its flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.inventory import IncidentVendor, Vendor
from breachscope.case.tasks import add_task
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError
from breachscope.files import write_private
from breachscope.inventory.registry import classes_sent, evidence, flows, get_vendor, vendor_key
from breachscope.notify.catalogue import load_catalogue

LANGUAGES: tuple[str, ...] = ("en", "id")
REPLY_DAYS = 30
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # plain-text letters; every value is a recorded fact, shown as text
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
)
_AND = {"en": "and", "id": "dan"}


def _join(words: list[str], language: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {_AND[language]} " + words[-1]


@dataclass
class Offboarding:
    vendor: str
    incident_id: int
    tasks: list[dict[str, Any]]
    letters: dict[str, str]
    written: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _incident_for(s: Session, vendor: Vendor, incident_id: int | None) -> int:
    if incident_id is not None:
        return incident_id
    link = s.scalar(
        select(IncidentVendor)
        .where(IncidentVendor.vendor_id == vendor.id)
        .order_by(IncidentVendor.linked_at.desc())
    )
    if link is None:
        raise InputError(
            f"the offboarding tasks need an incident: {vendor.name} is linked to none",
            f"give --incident N, or link one first: breachscope vendors link {vendor.name!r} --incident N",
        )
    return link.incident_id


def _where(s: Session, vendor: Vendor) -> tuple[list[str], list[str], dict[str, set[str]]]:
    """(script lines, collection lines, keys) from the vendor's HAR evidence."""
    scripts: list[str] = []
    calls: list[str] = []
    keys: dict[str, set[str]] = {}
    for e in evidence(s, vendor.id):
        summary = e.summary or {}
        for sc in summary.get("scripts") or []:
            pages = ", ".join(sc.get("pages") or []) or "page unknown"
            scripts.append(f"{sc.get('url')} loaded on {pages} (evidence #{e.id}, {e.file_name})")
        if summary.get("hosts"):
            pages = ", ".join(summary.get("pages") or []) or "pages unknown"
            calls.append(f"calls to {', '.join(summary['hosts'])} from {pages} (evidence #{e.id})")
        for path, masked in (summary.get("keys") or {}).items():
            keys.setdefault(str(path), set()).update(str(m) for m in masked)
    return scripts, calls, keys


def letter(
    vendor: Vendor,
    language: str,
    *,
    company: str,
    requester: str | None,
    class_ids: list[str],
    keys: list[str],
    clock: Clock,
) -> str:
    """The deletion request in ``language`` (``en`` or ``id``), from recorded facts only."""
    cat = load_catalogue(language)
    today = clock.now().date()
    contact = next((c for c in vendor.contacts if c.get("name")), None)
    return _ENV.get_template(f"deletion_request.{language}.txt.j2").render(
        company=company,
        vendor=vendor.name,
        contact_name=contact["name"] if contact else None,
        end_date=today.isoformat(),
        clause=vendor.deletion_clause or None,
        gdpr=vendor.gdpr is True,
        classes=_join([cat.name(c) for c in cat.sort(class_ids)], language),
        subprocessors=vendor.subprocessors,
        keys=keys,
        reply_by=(today + timedelta(days=REPLY_DAYS)).isoformat(),
        requester=requester,
    )


def offboard(
    s: Session,
    name: str,
    *,
    incident_id: int | None = None,
    company: str,
    requester: str | None = None,
    letters_dir: Path | None = None,
    author: str,
    clock: Clock | None = None,
) -> Offboarding:
    """Offboard vendor ``name``: tasks on the incident, letters (written to ``letters_dir``),
    status ``removed`` (see the module doc)."""
    clock = clock or SystemClock()
    vendor = get_vendor(s, name)
    inc = _incident_for(s, vendor, incident_id)
    vf = flows(s, vendor.id)
    sent = list(classes_sent(vf))
    scripts, calls, keys = _where(s, vendor)
    key_lines = [f"{path}: {', '.join(sorted(m))}" for path, m in sorted(keys.items())]
    masked = sorted({m for ms in keys.values() for m in ms})
    letters = {
        lang: letter(
            vendor, lang, company=company, requester=requester, class_ids=sent, keys=masked, clock=clock
        )
        for lang in LANGUAGES
    }
    contacts = (
        ", ".join(" ".join(v for v in c.values() if v) for c in vendor.contacts) or "no contact recorded"
    )
    clause = (
        f"deletion clause: {vendor.deletion_clause}"
        if vendor.deletion_clause
        else "the contract has no deletion clause (recorded)"
        if vendor.deletion_clause == ""
        else "deletion clause not recorded: check the contract"
    )
    gdpr = (
        "GDPR Art. 28(3)(g) cited (the vendor is recorded as a GDPR processor)"
        if vendor.gdpr
        else "GDPR not cited (recorded as not applying)"
        if vendor.gdpr is False
        else "GDPR not cited: whether it applies is not recorded (vendors edit --gdpr)"
    )
    subs = vendor.subprocessors
    steps = [
        (
            "sdk",
            f"Remove the {vendor.name} SDK and scripts",
            "\n".join(scripts + calls)
            or f"Where {vendor.name} loads is not known from evidence: capture a HAR of the main pages "
            "(breachscope vendors evidence) or search the code and tag manager for its hosts.",
        ),
        (
            "keys",
            f"Revoke {vendor.name} keys and tokens",
            (
                "Seen in evidence (masked):\n" + "\n".join(key_lines) + "\n"
                if key_lines
                else "No key seen in evidence.\n"
            )
            + "Delete or rotate them in the vendor's console; remove them from our configuration, "
            "tag manager and CI secrets.",
        ),
        (
            "deletion-request",
            f"Send the data-deletion request to {vendor.name}",
            f"{clause}; {gdpr}. Contacts: {contacts}. Letters: English and Indonesian"
            + (f" in {letters_dir}" if letters_dir else " (vendors remove --letters DIR)")
            + f"; reply asked within {REPLY_DAYS} days.",
        ),
        (
            "deletion-evidence",
            f"Collect evidence of deletion from {vendor.name}",
            "A written confirmation of what was deleted and when, including backups"
            + (
                f" and sub-processors ({', '.join(subs)})"
                if subs
                else " and sub-processors (not recorded)"
                if subs is None
                else ""
            )
            + ", and of anything kept by law with its legal basis. Attach it to the incident.",
        ),
        (
            "verify",
            f"Verify no data flows to {vendor.name} any more",
            "Capture a HAR of the same pages after removal and run: breachscope vendors evidence FILE "
            f"(it must show no call to {vendor.name}).",
        ),
        (
            "records",
            f"Update the records that name {vendor.name}",
            "Sub-processor list, privacy notice, records of processing activities, DPA register.",
        ),
    ]
    tasks = []
    for step, title, detail in steps:
        change = add_task(
            s,
            inc,
            title,
            actor=author,
            kind="vendor-offboarding",
            source="inventory",
            source_ref=f"offboard:{vendor_key(vendor.name)}:{step}",
            detail=detail,
            clock=clock,
        )
        tasks.append({"step": step, "task": change.task.id, "change": change.change, "title": title})
    now = clock.now()
    if vendor.status != "removed":
        vendor.status = "removed"
        vendor.removed_at = now
        vendor.updated_at = now
        vendor.updated_by = author
    api.add_timeline_event(
        s,
        inc,
        f"vendor {vendor.name} removed: {len(tasks)} offboarding tasks (SDK, keys, deletion request, "
        "evidence of deletion, verification, records)",
        author=author,
        kind="vendor",
        clock=clock,
    )
    written = []
    if letters_dir is not None:
        stem = vendor_key(vendor.name).replace(" ", "-").replace("/", "-")
        for lang, text in letters.items():
            path = letters_dir / f"deletion-request-{stem}.{lang}.txt"
            write_private(path, text)
            written.append(str(path))
    s.flush()
    return Offboarding(vendor.name, inc, tasks, letters, written)
