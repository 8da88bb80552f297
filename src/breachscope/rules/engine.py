"""The pure duty engine: facts + rules -> duties (who must be told, by when, why).

Triggers are evaluated with three values: yes, no, and unknown. A risk threshold is always
unknown to the engine, so a risk-based duty is never silently decided: it comes out as
``assessment_required`` with factors for and against, until a recorded
:class:`~breachscope.rules.facts.RiskDecision` settles it. A duty whose data-class, headcount or
no-threshold trigger is met is ``required`` whatever the risk answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from breachscope import taxonomy
from breachscope.rules import actions as actions_mod
from breachscope.rules import clocks
from breachscope.rules import schema as s
from breachscope.rules.actions import lower_name
from breachscope.rules.facts import Assessment, ContentRequirement, Duty, Facts, Skipped, Verdict
from breachscope.rules.loader import depends_on
from breachscope.rules.risk import factors

Tri = bool | None
_ALL_CLASSES = frozenset(dc.id for dc in taxonomy.DATA_CLASSES)


def _names(ids: frozenset[str]) -> str:
    return ", ".join(lower_name(i) for i in sorted(ids))


class _Eval:
    def __init__(
        self,
        facts: Facts,
        affected: int,
        largest_subdivision: int = 0,
        *,
        rule_id: str = "",
        done: Mapping[str, Duty] | None = None,
    ) -> None:
        self.facts, self.affected, self.largest_subdivision = facts, affected, largest_subdivision
        self.rule_id, self.done = rule_id, done or {}
        self.risk_factors: list[str] = []
        #: words of the determination that would settle an "unless determined" duty
        self.unless = ""

    def run(self, c: s.Condition) -> tuple[Tri, list[str]]:
        f = self.facts
        if isinstance(c, s.Always):
            if not f.present:
                return False, ["no personal data class was found in the dataset"]
            return True, [
                c.words or f"no threshold in this law: any exposed personal data counts ({_names(f.present)})"
            ]
        if isinstance(c, s.Classes):
            hits = [k for k in c.combos if all(any(cid in f.present for cid in g) for g in k.groups)]
            if hits:
                return True, [f"{c.words or 'covered data exposed'}: {' ; '.join(k.text() for k in hits)}"]
            # A class the scan did not check (neither present nor absent) may be there: never "no".
            unchecked = _ALL_CLASSES - f.present - f.absent
            seen = f.present | unchecked
            maybe = [k for k in c.combos if all(any(cid in seen for cid in g) for g in k.groups)]
            if maybe:
                missing = sorted({cid for k in maybe for g in k.groups for cid in g if cid in unchecked})
                return None, [
                    f"{c.words or 'covered data combinations'}: cannot say - the scan did not check "
                    f"{', '.join(missing)} (re-scan, or record a decision)"
                ]
            return False, [f"{c.words or 'covered data combinations'} not exposed (looked for: "
                           + " ; ".join(k.text() for k in c.combos) + ")"]  # fmt: skip
        if isinstance(c, s.Headcount):
            n, where = {
                "jurisdiction": (self.affected, "in this jurisdiction"),
                "incident": (f.total_affected, "in the whole incident"),
                "subdivision": (self.largest_subdivision, "in the most affected single state/province"),
            }[c.scope]
            verdict = n >= c.min_affected
            sign = ">=" if verdict else "<"
            return verdict, [
                f"{n:,} people affected {where} {sign} {c.min_affected:,}"
                + f" ({c.words or 'headcount threshold'})"
            ]
        if isinstance(c, s.Malicious):
            label = c.words or "breach caused by an unauthorised outsider"
            if f.malicious is None and f.cause == "insider":
                return None, [f"{label}: the cause is recorded as an insider - decide whether this applies"]
            if f.malicious is None:
                return None, [f"{label}: not recorded for this incident (needs an answer)"]
            return f.malicious, [f"{label}: {'yes' if f.malicious else 'no'}"]
        if isinstance(c, s.Acquired):
            label = c.words or "acquired or used by an unauthorised person"
            value, why = f.unauthorised_acquisition()
            if value is None:
                return None, [f"{label}: {why} (record the cause: needs an answer)"]
            return value, [f"{label}: yes - {why}"]
        if isinstance(c, s.DutyIs):
            other = self.done.get(c.rule)
            label = c.words or f"only when {c.rule} is required"
            if other is None:
                return False, [f"{label}: {c.rule} does not apply to this incident"]
            if other.verdict == "assessment_required":
                return None, [f"{label}: {c.rule} still needs a decision"]
            word = "is required" if other.verdict == "required" else "is NOT required"
            return other.verdict == "required", [f"{label}: {c.rule} {word}"]
        if isinstance(c, s.Determined):
            other = self.done.get(c.rule)
            label = c.words or f"a determination recorded for {c.rule}"
            if other is not None and other.verdict == "not_required" and other.decision is not None:
                d = other.decision
                return True, [f"{label}: recorded by {d.by} on {d.at.date().isoformat()} ({d.why})"]
            return False, [f"{label}: none recorded"]
        if isinstance(c, s.UnlessDetermined):
            self.unless = c.determination
            recorded = f.decision_for(self.rule_id)
            if recorded is not None and recorded.verdict == "not_required":
                return False, [
                    f"{c.words or c.determination}: determination recorded by {recorded.by} on "
                    f"{recorded.at.date().isoformat()} ({recorded.why})"
                ]
            return True, [
                f"required unless you record {c.determination}"
                + (f" - {c.words}" if c.words else "")
                + f" (--decide {self.rule_id} --verdict not_required --by ... --why ...)"
            ]
        if isinstance(c, s.Sector):
            hit = c.sector in f.sectors
            return hit, [
                f"{c.words or 'sector ' + c.sector}: {'applies' if hit else 'does not apply to this company'}"
            ]
        if isinstance(c, s.Risk):
            self.risk_factors.extend(c.factors)
            return None, [
                f"risk threshold ({c.level}): {c.words or c.level} - needs a documented risk assessment"
            ]
        results = [self.run(x) for x in c.items]
        values = [v for v, _ in results]
        if isinstance(c, s.AnyOf):
            if True in values:
                return True, [r for v, rs in results if v is True for r in rs]
            if None in values:
                return None, [r for _, rs in results for r in rs]
            return False, [r for _, rs in results for r in rs]
        if False in values:
            return False, [r for v, rs in results if v is False for r in rs]
        if all(v is True for v in values):
            return True, [r for _, rs in results for r in rs]
        return None, [r for _, rs in results for r in rs]


def _earliest(*values: datetime | None) -> datetime | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def clock_start(event: str, facts: Facts) -> tuple[datetime | None, str]:
    """When the clock for ``event`` started, and in words why that date."""
    if facts.role == "processor":
        aware = _earliest(facts.vendor_detected_at, facts.aware_at)
        aware_words = "when you (the processor) detected the breach"
    elif facts.vendor_breach:
        aware = _earliest(facts.vendor_notified_us_at, facts.aware_at, facts.dataset_received_at)
        aware_words = "when the vendor told you (a controller is aware once its processor informs it)"
    else:
        aware = _earliest(facts.aware_at, facts.dataset_received_at)
        aware_words = "when you became aware"
    if event == "occurrence_or_informed":
        if facts.vendor_breach and facts.role == "controller":
            return aware, aware_words
        event = "occurrence"
    if event == "occurrence":
        if facts.occurred_at:
            return facts.occurred_at, "when the breach occurred"
        start = _earliest(facts.vendor_detected_at, aware)
        return start, "occurrence date unknown: counted from the earliest known date (vendor detection)"
    if event in ("awareness", "discovery"):
        return aware, aware_words
    if event == "after_duty":
        return None, "runs from when the other duty is performed"
    if event == "determination":
        if facts.aware_at:
            return facts.aware_at, "when you determined the breach occurred (recorded awareness date)"
        return aware, "determination date not recorded: counted from " + aware_words
    return None, "runs from the end of the risk assessment"


def _event_date(facts: Facts, tz: ZoneInfo, now: datetime) -> date:
    start = facts.occurred_at or _earliest(
        facts.vendor_detected_at, facts.aware_at, facts.vendor_notified_us_at
    )
    return (start or now).astimezone(tz).date()


def _performed(
    j: s.Jurisdiction, r: s.Rule, facts: Facts, done: Mapping[str, Duty]
) -> tuple[datetime | None, str]:
    """When the duty an ``after_duty`` clock waits for was performed (or decided), and in words."""
    other = done.get(r.deadline.after)
    if r.deadline.after_event == "decided":
        if other is not None and other.decision is not None:
            return other.decision.at, f"when the determination for {r.deadline.after} was recorded"
        return None, f"not recorded yet ({r.deadline.after})"
    if other is not None and other.recipient == "individuals":
        sent = [at for code, at in facts.individuals_notified_at.items() if j.covers(code)]
        if sent:
            return min(
                sent
            ), f"when the first notice to affected people in {j.name} was sent ({r.deadline.after})"
        return None, "not sent yet"
    return None, f"not performed yet ({r.deadline.after})"


def _duty(
    j: s.Jurisdiction,
    r: s.Rule,
    facts: Facts,
    affected: int,
    now: datetime,
    done: Mapping[str, Duty] | None = None,
) -> Duty:
    tz = ZoneInfo(j.timezone)
    done = done or {}
    ev = _Eval(facts, affected, j.largest_subdivision(facts.affected), rule_id=r.id, done=done)
    value, reasons = ev.run(r.trigger)
    if value is not False:
        for e in r.exemptions:
            if e.kind != "encrypted_key_safe":
                continue
            if facts.encrypted and facts.key_exposed is False:
                value = False
                reasons.append(
                    f"exempt: {e.words} ({e.citation or r.citation}) - data encrypted, key not exposed"
                )
            elif facts.encrypted and facts.key_exposed is None:
                reasons.append(f"data encrypted but key exposure unknown: exemption ({e.words}) not applied")
            elif facts.encrypted:
                reasons.append(
                    f"data encrypted but the key was exposed: exemption ({e.words}) does not apply"
                )
        if facts.encrypted and not any(e.kind == "encrypted_key_safe" for e in r.exemptions):
            reasons.append("data was encrypted, but this law has no encryption exemption")
    verdict: Verdict
    recorded = facts.decision_for(r.id)
    decision = None
    if value is None and recorded is not None:
        decision = recorded
        verdict = recorded.verdict
        reasons.append(f"settled by {recorded.by} on {recorded.at.date().isoformat()}: {recorded.why}")
    elif value is None:
        verdict = "assessment_required"
    else:
        verdict = "required" if value else "not_required"
        if recorded is not None and recorded.verdict != verdict:
            reasons.append(
                f"a recorded decision ({recorded.verdict}, by {recorded.by}) does not apply:"
                " the facts decide this duty"
            )
        elif recorded is not None:
            decision = recorded
    if verdict == "required":
        # A judgment exemption is never applied automatically, but a decided duty must not hide it.
        reasons.extend(f"possible exemption (your judgment, not applied): {e.words}"
                       + (f" ({e.citation})" if e.citation else "")
                       for e in r.exemptions if e.kind == "judgment")  # fmt: skip
    pro, con = factors(facts, affected=affected)
    pro.extend(f"consider: {x}" for x in ev.risk_factors)
    con.extend(f"possible exemption: {e.words}" + (f" ({e.citation})" if e.citation else "")
               for e in r.exemptions if e.kind == "judgment")  # fmt: skip
    if facts.encrypted and facts.key_exposed is False:
        con.extend(f"{e.words} ({e.citation or r.citation}) - data encrypted, key not exposed"
                   for e in r.exemptions if e.kind == "encrypted_factor")  # fmt: skip
    bound = r.deadline.bound
    for alt in r.deadline.instead:
        hit, why = _Eval(facts, affected, rule_id=r.id, done=done).run(alt.when)
        if hit:
            bound = alt.bound
            reasons.append(f"deadline: {alt.words} ({'; '.join(why)})")
            break
        if hit is None and verdict != "not_required":
            reasons.append(
                f"deadline: {alt.words} - cannot say yet ({'; '.join(why)}); the shorter bound is shown"
            )
    due: datetime | None = None
    due_kind: str = "notice"
    started, started_words = clock_start(r.deadline.clock, facts)
    if r.deadline.clock == "after_duty":
        started, started_words = _performed(j, r, facts, done)
    if r.deadline.clock == "after_assessment":
        if decision is not None and verdict == "required":
            started, started_words = decision.at, "when the risk assessment concluded (recorded decision)"
        elif r.assessment_within is not None and verdict != "not_required":
            aware, _ = clock_start("awareness", facts)
            if aware is not None:
                due, due_kind = clocks.add_period(aware, r.assessment_within, tz), "assessment"
                reasons.append(
                    f"assessment must finish within {clocks.describe(r.assessment_within)} of awareness"
                )
            if verdict == "required" and decision is None:
                reasons.append(
                    f"the notice clock starts when the assessment concludes: record that conclusion"
                    f" (--decide {r.id} --verdict required) to start it"
                )
            started = None
    if verdict != "not_required" and due is None:
        if started is not None and bound is not None:
            due = clocks.add_period(started, bound, tz, end_of_day=r.deadline.end_of_day)
            basis = " (outer bound from regulator guidance)" if r.deadline.bound_basis == "guidance" else ""
            reasons.append(f"clock: {clocks.describe(bound)} from {started_words}{basis}")
        elif bound is None:
            reasons.append(f"no fixed outer bound: {r.deadline.words}")
        else:
            reasons.append(f"clock not started yet ({started_words})")
    overdue_at_awareness = False
    aware, _ = clock_start("awareness", facts)
    if (
        due is not None
        and due_kind == "notice"
        and aware is not None
        and due < aware
        and verdict != "not_required"
    ):
        overdue_at_awareness = True
        lag = aware - due
        reasons.append(
            f"OVERDUE AT AWARENESS: the deadline ({due.isoformat()}) had passed {lag.days}d "
            f"{lag.seconds // 3600}h before you learned of the breach ({aware.isoformat()}); "
            + (r.deadline.late or "notify at once and give the reasons for the delay")
        )
    return Duty(
        id=r.id,
        jurisdiction=j.code,
        jurisdiction_name=j.name,
        affected=affected,
        recipient=r.recipient,
        recipient_name=r.recipient_name,
        title=r.title,
        titles=dict(r.titles),
        verdict=verdict,
        due=due,
        due_kind="assessment" if due_kind == "assessment" else "notice",
        deadline_words=r.deadline.words,
        clock=r.deadline.clock,
        clock_started=started,
        overdue=due is not None and due < now and verdict != "not_required",
        reasons=tuple(reasons),
        factors_for=tuple(pro) if verdict == "assessment_required" else (),
        factors_against=tuple(con) if verdict == "assessment_required" else (),
        statute=r.statute,
        citation=r.citation,
        confidence=r.confidence,
        confidence_reason=r.confidence_reason,
        sources=r.sources,
        content=tuple(ContentRequirement(c.id, c.words) for c in r.content),
        decision=decision,
        duty_of=r.duty_of,
        unless=ev.unless if verdict == "required" else "",
        retention=r.retention,
        overdue_at_awareness=overdue_at_awareness,
        local={k: dict(v) for k, v in r.local.items()},
        timezone=j.timezone,
    )


def _vendor_duty(j: s.Jurisdiction, r: s.Rule, facts: Facts, affected: int, now: datetime) -> Duty:
    """The vendor's own duty to tell us; checks whether it did so on time when dates allow."""
    # The vendor's clocks run from its own detection, not from our awareness.
    vendor_view = replace(facts, role="processor", aware_at=None, dataset_received_at=None)
    duty = _duty(j, r, vendor_view, affected, now)
    told = facts.vendor_notified_us_at
    extra = []
    if told is not None and duty.due is not None:
        extra.append(f"the vendor told you {'on time' if told <= duty.due else 'LATE'} ({told.isoformat()})")
    elif told is not None and facts.vendor_detected_at is not None and duty.verdict != "not_required":
        lag = told - facts.vendor_detected_at
        extra.append(
            f"the vendor told you {lag.days}d {lag.seconds // 3600}h after detecting the breach"
            " - judge whether that was without undue delay"
        )
    return Duty(**{**duty.__dict__, "overdue": False, "reasons": duty.reasons + tuple(extra)})


def _sort_key(d: Duty) -> tuple[int, float, str]:
    rank = {"required": 0, "assessment_required": 1, "not_required": 2}[d.verdict]
    return (0 if d.due is not None and d.verdict != "not_required" else 1 + rank,
            d.due.timestamp() if d.due else 0.0, d.id)  # fmt: skip


def for_jurisdiction(facts: Facts, j: s.Jurisdiction) -> Facts:
    """The facts as one jurisdiction's rules see them: the classes of the people located there.

    A class that no located person carries (only in unlocated rows, or in no person's row) still
    counts everywhere; a class carried only by people elsewhere counts as absent here.
    """
    if not facts.classes_by_code:
        return facts
    carried: set[str] = set()
    here: set[str] = set()
    for code, classes in facts.classes_by_code.items():
        if code == "ZZ":
            continue
        carried |= classes
        if j.covers(code):
            here |= classes
    present = (here & facts.present) | (facts.present - carried)
    absent = (facts.absent | (facts.present - present)) - present
    return replace(facts, present=frozenset(present), absent=frozenset(absent))


def _dependency_order(rules: tuple[s.Rule, ...]) -> list[s.Rule]:
    """The rules of one file, each after the duties it depends on (file order otherwise)."""
    out: list[s.Rule] = []
    placed: set[str] = set()
    pending = list(rules)
    while pending:
        ready = [r for r in pending if depends_on(r) <= placed] or pending[:1]  # a cycle: file order
        for r in ready:
            out.append(r)
            placed.add(r.id)
            pending.remove(r)
    return out


def assess(facts: Facts, rules: s.RuleSet, *, now: datetime) -> Assessment:
    """Evaluate every rule of every jurisdiction with affected people. Pure: same input, same output."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    duties: list[Duty] = []
    vendor_duties: list[Duty] = []
    skipped: list[Skipped] = []
    for j in rules.jurisdictions:
        affected = j.affected(facts.affected)
        if affected <= 0:
            continue
        day = _event_date(facts, ZoneInfo(j.timezone), now)
        jf = for_jurisdiction(facts, j)
        done: dict[str, Duty] = {}
        for r in _dependency_order(j.rules):
            if day < r.effective_from or (r.until is not None and day > r.until):
                when = f"in force {r.effective_from}" + (f" to {r.until}" if r.until else "")
                skipped.append(Skipped(r.id, j.code, f"not in force on the incident date {day} ({when})"))
            elif r.duty_of == facts.role:
                done[r.id] = _duty(j, r, jf, affected, now, done)
                duties.append(done[r.id])
            elif r.duty_of == "processor" and facts.vendor_breach:
                vendor_duties.append(_vendor_duty(j, r, jf, affected, now))
            else:
                skipped.append(Skipped(r.id, j.code, f"a duty of the {r.duty_of}, not of you ({facts.role})"))
    recommended, not_needed, undetermined = actions_mod.recommend(facts, rules.actions)
    return Assessment(
        rule_set_version=rules.version,
        assessed_at=now,
        facts=facts,
        duties=tuple(sorted(duties, key=_sort_key)),
        actions=recommended,
        not_needed=not_needed,
        undetermined=undetermined,
        skipped=tuple(skipped),
        vendor_duties=tuple(sorted(vendor_duties, key=_sort_key)),
    )
