"""The legal facts of the rule files, pinned against the reference (notification-law.md).

One row per fact: a deadline and the event its clock runs from, a headcount threshold, the date a
regime took effect or ended, the weak points that must carry an UNCONFIRMED flag. A wrong edit to a
rule file fails here with the rule named.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from breachscope import taxonomy
from breachscope.rules import schema as s
from breachscope.rules.engine import assess
from breachscope.rules.facts import Facts
from breachscope.rules.schema import RuleSet

ALL = frozenset(dc.id for dc in taxonomy.DATA_CLASSES)
NOW = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)


def rule(rules: RuleSet, rule_id: str) -> s.Rule:
    return rules.rule(rule_id)[1]


def conditions(c: s.Condition) -> list[s.Condition]:
    if isinstance(c, s.AnyOf | s.AllOf):
        return [c, *(x for item in c.items for x in conditions(item))]
    return [c]


def headcounts(r: s.Rule) -> set[tuple[int, str]]:
    return {(c.min_affected, c.scope) for c in conditions(r.trigger) if isinstance(c, s.Headcount)}


def all_text(r: s.Rule) -> str:
    words = [r.confidence_reason, r.notes, r.deadline.words, *(e.words for e in r.exemptions)]
    words += [c.words for c in r.content]
    for c in conditions(r.trigger):
        words.append(c.words)
        if isinstance(c, s.Risk):
            words.extend(c.factors)
    return " ".join(words)


# rule id, amount, unit, clock event (None = no fixed outer bound)
DEADLINES = [
    ("eu-sa", 72, "hours", "awareness"),
    ("uk-sa", 72, "hours", "awareness"),
    ("id-subjects", 72, "hours", "awareness"),
    ("id-agency", 72, "hours", "awareness"),
    ("sg-pdpc", 3, "days", "after_assessment"),
    ("my-commissioner", 72, "hours", "occurrence_or_informed"),
    ("ph-npc", 72, "hours", "awareness"),
    ("ph-subjects", 72, "hours", "awareness"),
    ("ph-npc-report", 5, "days", "discovery"),
    ("th-pdpc", 72, "hours", "awareness"),
    ("vn-a05-decree13", 72, "hours", "occurrence"),
    ("in-certin", 6, "hours", "awareness"),
    ("in-dpdp-board", 72, "hours", "awareness"),
    ("jp-ppc-final", 30, "days", "awareness"),
    ("kr-individuals", 72, "hours", "awareness"),
    ("kr-pipc", 72, "hours", "awareness"),
    ("cn-cac-major", 4, "hours", "awareness"),
    ("br-anpd", 3, "business_days", "awareness"),
    ("br-subjects", 3, "business_days", "awareness"),
    ("us-ca-residents", 30, "days", "discovery"),
    ("us-ny-residents", 30, "days", "discovery"),
    ("us-tx-individuals", 60, "days", "determination"),
    ("us-tx-ag", 30, "days", "determination"),
    ("us-fl-individuals", 30, "days", "determination"),
    ("us-fl-dla", 30, "days", "determination"),
    ("us-fl-third-party", 10, "days", "determination"),
    ("us-wa-residents", 30, "days", "discovery"),
    ("us-wa-ag", 30, "days", "discovery"),
    ("us-hipaa-individuals", 60, "days", "discovery"),
    ("us-hipaa-media", 60, "days", "discovery"),
    ("us-hipaa-ba", 60, "days", "discovery"),
    # no fixed bound in the law: the clock event still matters
    ("eu-individuals", None, None, "awareness"),
    ("eu-processor", None, None, "awareness"),
    ("sg-intermediary", None, None, "awareness"),
    ("sg-individuals", None, None, "after_assessment"),  # s 26D(2): with or after the PDPC notice
    ("au-oaic", None, None, "after_assessment"),
    ("ca-opc", None, None, "determination"),
    ("qc-cai", None, None, "awareness"),
    ("za-regulator", None, None, "discovery"),
    ("za-operator", None, None, "discovery"),
    ("cn-authorities", None, None, "awareness"),
    ("us-ca-residents-pre2026", None, None, "discovery"),
    ("us-il-residents", None, None, "discovery"),
    ("us-ma-residents", None, None, "discovery"),
]


@pytest.mark.parametrize(("rule_id", "amount", "unit", "clock"), DEADLINES, ids=[d[0] for d in DEADLINES])
def test_deadline_and_clock(
    rules: RuleSet, rule_id: str, amount: int | None, unit: str | None, clock: str
) -> None:
    d = rule(rules, rule_id).deadline
    assert d.clock == clock
    if amount is None:
        assert d.bound is None
    else:
        assert d.bound == s.Period(amount, unit)  # type: ignore[arg-type]


# rule id -> every headcount threshold in its trigger: (minimum count, scope)
HEADCOUNTS = [
    ("sg-pdpc", {(500, "incident")}),  # >= 500 (Reg 4)
    ("my-commissioner", {(1001, "incident")}),  # > 1,000
    ("jp-ppc-preliminary", {(1001, "incident")}),  # > 1,000 (item 4)
    ("kr-pipc", {(1000, "incident")}),  # >= 1,000
    ("cn-cac-major", {(1_000_000, "incident")}),
    ("us-tx-ag", {(250, "jurisdiction")}),  # >= 250 Texans
    ("us-tx-cra", {(10001, "incident")}),  # > 10,000
    ("us-fl-dla", {(500, "jurisdiction")}),  # >= 500 Floridians
    ("us-fl-cra", {(1001, "jurisdiction")}),  # > 1,000
    ("us-ca-ag", {(501, "jurisdiction")}),  # > 500
    ("us-ca-ag-pre2026", {(501, "jurisdiction")}),
    ("us-il-ag", {(501, "jurisdiction")}),
    ("us-wa-ag", {(501, "jurisdiction")}),
    ("us-ny-cra", {(5001, "jurisdiction")}),  # > 5,000
    ("us-hipaa-hhs", {(500, "jurisdiction")}),  # >= 500
    ("us-hipaa-media", {(501, "subdivision")}),  # > 500 residents of one State
    ("sg-individuals", set()),  # scale alone never requires individual notice
    ("my-individuals", set()),
]


@pytest.mark.parametrize(("rule_id", "expected"), HEADCOUNTS, ids=[h[0] for h in HEADCOUNTS])
def test_headcount_thresholds(rules: RuleSet, rule_id: str, expected: set[tuple[int, str]]) -> None:
    assert headcounts(rule(rules, rule_id)) == expected


# rule id, effective from, until
IN_FORCE = [
    ("my-commissioner", date(2025, 6, 1), None),
    ("br-anpd", date(2024, 4, 26), None),
    ("vn-a05-decree13", date(2023, 7, 1), date(2025, 12, 31)),
    ("vn-processor-decree13", date(2023, 7, 1), date(2025, 12, 31)),
    ("vn-law91-authority", date(2026, 1, 1), None),
    ("kr-individuals", date(2026, 9, 11), None),
    ("kr-individuals-pre2026", date(2023, 9, 15), date(2026, 9, 10)),
    ("kr-pipc-pre2026", date(2023, 9, 15), date(2026, 9, 10)),
    ("cn-cac-major", date(2025, 11, 1), None),
    ("us-ca-residents", date(2026, 1, 1), None),
    ("us-ca-residents-pre2026", date(2020, 1, 1), date(2025, 12, 31)),
    ("us-ca-ag", date(2026, 1, 1), None),
    ("us-ca-ag-pre2026", date(2020, 1, 1), date(2025, 12, 31)),
    ("us-ny-residents", date(2024, 12, 21), None),
    ("in-dpdp-board", date(2027, 5, 13), None),
    ("id-agency", date(2024, 10, 17), None),
]


@pytest.mark.parametrize(("rule_id", "start", "until"), IN_FORCE, ids=[x[0] for x in IN_FORCE])
def test_effective_dates(rules: RuleSet, rule_id: str, start: date, until: date | None) -> None:
    r = rule(rules, rule_id)
    assert (r.effective_from, r.until) == (start, until)


#: A superseded duty with no successor rule (the new regime's processor duty is unconfirmed).
NO_SUCCESSOR = {"vn-processor-decree13"}


def test_every_superseded_rule_hands_over_without_a_gap(rules: RuleSet) -> None:
    for j in rules.jurisdictions:
        for r in j.rules:
            if r.until is None or r.id in NO_SUCCESSOR:
                continue
            nxt = r.until + timedelta(days=1)
            assert any(o.recipient == r.recipient and o.effective_from == nxt for o in j.rules), r.id


def test_no_proposal_is_encoded(rules: RuleSet) -> None:
    """EU Digital Omnibus (96 h) and Japan's 2026 amendment are proposals / not in force."""
    everything = [(j, r) for j in rules.jurisdictions for r in j.rules]
    assert not any(r.deadline.bound == s.Period(96, "hours") for _, r in everything)
    assert all(r.effective_from < date(2026, 1, 1) for j, r in everything if j.code == "JP")
    # Only enacted law with a deferred start may lie in the future: India's DPDP Rule 7.
    future = {r.id for _, r in everything if r.effective_from > date(2026, 10, 31)}
    assert future == {"in-dpdp-individuals", "in-dpdp-board"}


# Every weak point the reference lists (section 4 and the UNCONFIRMED notes) is flagged on the rule
# it touches: confidence unconfirmed, or the word UNCONFIRMED on the very condition/exemption/content.
WEAK_POINTS = [
    ("id-subjects", "start"),  # clock start of 3 x 24 h
    ("id-agency", "start"),
    ("vn-law91-authority", "article"),
    ("vn-law91-subjects", "article"),
    ("vn-a05-decree13", "content"),
    ("my-individuals", "7 days"),
    ("my-commissioner", "content list"),
    ("ph-processor", "timing"),
    ("th-processor", "s 40(2)"),
    ("th-pdpc", "15 days"),
    ("kr-consignee", "deadline"),
    ("cn-entrusted", "notice duty"),
    ("br-operator", "deadline"),
    ("qc-service-provider", "wording"),
    ("jp-ppc-preliminary", "encryption"),
    ("jp-ppc-final", "encryption"),
    ("jp-individuals", "encryption"),
    ("sg-pdpc", "encrypted data still counts toward the 500"),
    ("sg-pdpc", "card number alone"),
    ("sg-individuals", "card number alone"),
    ("us-ca-residents", "security code"),
    ("us-ma-residents", "18 months"),
    ("us-ny-residents", "figures"),
    ("in-dpdp-board", "approximate"),
    ("id-gr71-report", "serious system failure"),
]


@pytest.mark.parametrize(("rule_id", "topic"), WEAK_POINTS, ids=[f"{r}-{t}" for r, t in WEAK_POINTS])
def test_weak_points_are_flagged(rules: RuleSet, rule_id: str, topic: str) -> None:
    r = rule(rules, rule_id)
    text = all_text(r)
    assert topic.lower() in text.lower(), f"{rule_id}: the weak point ({topic}) is not described"
    assert r.confidence == "unconfirmed" or "unconfirmed" in text.lower()


# --- behaviour of the corrected rules -------------------------------------------------------------


def facts(present: set[str], affected: dict[str, int], **kw: object) -> Facts:
    told = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    base = Facts(
        present=frozenset(present),
        absent=ALL - frozenset(present),
        values_checked=10_000,
        affected=affected,
        vendor_detected_at=datetime(2026, 10, 20, 8, 0, tzinfo=UTC),
        vendor_notified_us_at=told,
        aware_at=told,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


CORRECTED = [
    # Massachusetts s 3(b): acquired by an unauthorised person -> notice without a risk test
    ("us-ma-residents", {"person_name", "payment_card"}, {"US-MA": 5}, {"malicious": True}, "required"),
    (
        "us-ma-residents",
        {"person_name", "payment_card"},
        {"US-MA": 5},
        {"malicious": False, "vendor_breach": False},  # own breach, cause not recorded
        "assessment_required",
    ),
    ("us-ma-regulators", {"person_name", "government_id"}, {"US-MA": 5}, {"malicious": True}, "required"),
    ("us-ma-residents", {"person_name", "email"}, {"US-MA": 5}, {"malicious": True}, "not_required"),
    # California: card number without a code is an open question, never silently "not required"
    ("us-ca-residents", {"person_name", "payment_card"}, {"US-CA": 5}, {}, "assessment_required"),
    ("us-ca-residents", {"person_name", "payment_card", "card_security_code"}, {"US-CA": 5}, {}, "required"),
    ("us-ca-residents", {"person_name", "email"}, {"US-CA": 5}, {}, "not_required"),
    ("us-ca-ag", {"person_name", "government_id"}, {"US-CA": 501}, {}, "required"),
    ("us-ca-ag", {"person_name", "government_id"}, {"US-CA": 500}, {}, "not_required"),
    # Florida individuals / Washington: required unless a no-harm determination is recorded (issue 11)
    ("us-fl-individuals", {"email", "password"}, {"US-FL": 5}, {}, "required"),
    ("us-fl-dla", {"email", "password"}, {"US-FL": 500}, {}, "required"),
    ("us-wa-residents", {"person_name", "date_of_birth"}, {"US-WA": 5}, {}, "required"),
    ("us-wa-ag", {"person_name", "date_of_birth"}, {"US-WA": 501}, {}, "required"),
    ("us-wa-ag", {"person_name", "date_of_birth"}, {"US-WA": 500}, {}, "not_required"),
    # Singapore: card number alone is not asserted as deemed harm; card + code is (Reg 3(b))
    ("sg-individuals", {"person_name", "payment_card"}, {"SG": 5}, {}, "assessment_required"),
    ("sg-individuals", {"payment_card", "card_security_code"}, {"SG": 5}, {}, "required"),
    ("sg-pdpc", {"email"}, {"SG": 499}, {}, "assessment_required"),
    ("sg-pdpc", {"email"}, {"SG": 500}, {}, "required"),
    # Indonesia GR 71/2019: a third party caused it -> the "serious system failure" question is asked
    ("id-gr71-report", {"email"}, {"ID": 5}, {"malicious": True}, "assessment_required"),
    ("id-gr71-report", {"email"}, {"ID": 5}, {"malicious": False}, "not_required"),
    # Philippines: date of birth reveals age, sensitive personal information
    ("ph-subjects", {"person_name", "date_of_birth"}, {"PH": 5}, {"malicious": True}, "assessment_required"),
    ("ph-subjects", {"person_name", "email"}, {"PH": 5}, {"malicious": True}, "not_required"),
    # HIPAA media notice: more than 500 residents of one State, not of the whole country
    (
        "us-hipaa-media",
        {"person_name"},
        {"US-CA": 501, "US-NY": 10},
        {"sectors": frozenset({"hipaa"})},
        "required",
    ),
    (
        "us-hipaa-media",
        {"person_name"},
        {"US-CA": 400, "US-NY": 400},
        {"sectors": frozenset({"hipaa"})},
        "not_required",
    ),  # fmt: skip
    (
        "us-hipaa-hhs",
        {"person_name"},
        {"US-CA": 400, "US-NY": 400},
        {"sectors": frozenset({"hipaa"})},
        "required",
    ),
    ("us-hipaa-media", {"person_name"}, {"US-CA": 900}, {}, "not_required"),
]


@pytest.mark.parametrize(("rule_id", "present", "affected", "kw", "verdict"), CORRECTED)
def test_corrected_rules(
    rules: RuleSet,
    rule_id: str,
    present: set[str],
    affected: dict[str, int],
    kw: dict[str, object],
    verdict: str,
) -> None:
    duty = assess(facts(present, affected, **kw), rules, now=NOW).duty(rule_id)
    assert duty.verdict == verdict, duty.reasons


@pytest.mark.parametrize(
    ("rule_id", "code", "present", "shown"),
    [
        ("cn-individuals", "CN", {"email"}, "measures taken can effectively avoid harm"),
        ("sg-pdpc", "SG", {"payment_card", "card_security_code"}, "500-individual scale prong"),
        ("jp-individuals", "JP", {"email", "password"}, "high-level encryption"),
        ("us-hipaa-individuals", "US-TX", {"person_name"}, "4-factor risk assessment"),
    ],
)
def test_a_required_duty_still_shows_its_judgment_exemptions(
    rules: RuleSet, rule_id: str, code: str, present: set[str], shown: str
) -> None:
    duty = assess(facts(present, {code: 5}, sectors=frozenset({"hipaa"})), rules, now=NOW).duty(rule_id)
    assert duty.verdict == "required"
    assert any("possible exemption" in r and shown in r for r in duty.reasons), duty.reasons


@pytest.mark.parametrize(
    ("detected", "rule_id"),
    [
        # 31 Dec 2025 23:30 in Hanoi (UTC+7): Decree 13 still governs
        (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), "vn-a05-decree13"),
        # 1 Jan 2026 00:30 in Hanoi, still 31 Dec in UTC: Law 91/2025 governs
        (datetime(2025, 12, 31, 17, 30, tzinfo=UTC), "vn-law91-authority"),
    ],
)
def test_the_regime_is_chosen_on_the_local_incident_date(
    rules: RuleSet, detected: datetime, rule_id: str
) -> None:
    f = facts(
        {"email"}, {"VN": 5}, vendor_detected_at=detected, vendor_notified_us_at=detected, aware_at=detected
    )
    a = assess(f, rules, now=detected + timedelta(hours=1))
    vn = {d.id for d in a.duties if d.jurisdiction == "VN" and d.recipient == "authority"}
    assert vn == {rule_id}


@pytest.mark.parametrize(
    ("absent", "verdict"),
    [
        (ALL - {"person_name", "email"}, "not_required"),  # everything checked: decided
        (ALL - {"person_name", "email", "government_id"}, "assessment_required"),  # ID numbers not checked
    ],
)
def test_a_class_the_scan_did_not_check_is_never_read_as_absent(
    rules: RuleSet, absent: frozenset[str], verdict: str
) -> None:
    f = replace(facts({"person_name", "email"}, {"US-TX": 5}), absent=absent)
    duty = assess(f, rules, now=NOW).duty("us-tx-individuals")
    assert duty.verdict == verdict, duty.reasons
    if verdict == "assessment_required":
        assert any("did not check government_id" in r for r in duty.reasons)


def test_a_required_after_assessment_duty_says_how_to_start_its_clock(rules: RuleSet) -> None:
    duty = assess(facts({"email"}, {"SG": 600}), rules, now=NOW).duty("sg-pdpc")
    assert duty.verdict == "required" and duty.due_kind == "assessment"
    assert any("--decide sg-pdpc --verdict required" in r for r in duty.reasons)


def test_the_vendor_delay_is_stated_when_the_law_has_no_fixed_bound(rules: RuleSet) -> None:
    a = assess(facts({"email"}, {"DE": 5}), rules, now=NOW)
    vendor = next(d for d in a.vendor_duties if d.id == "eu-processor")
    assert any("the vendor told you 2d 8h after detecting the breach" in r for r in vendor.reasons), (
        vendor.reasons
    )


@pytest.mark.parametrize(
    ("vendor_breach", "due"),
    [
        (True, datetime(2026, 10, 25, 16, 0, tzinfo=UTC)),  # 72 h from when the vendor told you
        (False, datetime(2026, 10, 23, 8, 0, tzinfo=UTC)),  # own breach: 72 h from occurrence
    ],
)
def test_malaysia_counts_from_occurrence_or_from_being_informed(
    rules: RuleSet, vendor_breach: bool, due: datetime
) -> None:
    f = facts({"email"}, {"MY": 2000}, vendor_breach=vendor_breach)
    f = replace(f, occurred_at=datetime(2026, 10, 20, 8, 0, tzinfo=UTC))
    duty = assess(f, rules, now=NOW).duty("my-commissioner")
    assert duty.verdict == "required" and duty.due == due


@pytest.mark.parametrize(
    ("by_code", "tx_verdict", "ca_verdict"),
    [
        # one Californian's ID number: California's rules see it, Texas's do not
        ({"US": {"person_name", "government_id"}, "US-CA": {"person_name", "government_id"},
          "US-TX": {"person_name"}}, "not_required", "required"),
        # the ID number is only on a person with no known location: it counts everywhere
        ({"US": {"person_name"}, "US-CA": {"person_name"}, "US-TX": {"person_name"},
          "ZZ": {"person_name", "government_id"}}, "required", "required"),
        # no per-jurisdiction classes: every jurisdiction sees the incident's classes
        ({}, "required", "required"),
    ],
)  # fmt: skip
def test_each_jurisdiction_sees_the_classes_of_its_own_people(
    rules: RuleSet, by_code: dict[str, set[str]], tx_verdict: str, ca_verdict: str
) -> None:
    f = facts({"person_name", "government_id"}, {"US": 10, "US-CA": 5, "US-TX": 5})
    f = replace(f, classes_by_code={k: frozenset(v) for k, v in by_code.items()})
    a = assess(f, rules, now=NOW)
    assert (a.duty("us-tx-individuals").verdict, a.duty("us-ca-residents").verdict) == (
        tx_verdict,
        ca_verdict,
    )
    assert Facts.from_dict(f.to_dict()) == f
