"""The duty engine, table-driven per jurisdiction: the model case and contrasting cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from breachscope import taxonomy
from breachscope.rules.engine import assess
from breachscope.rules.facts import Assessment, Facts, RiskDecision
from breachscope.rules.schema import RuleSet

ALL = frozenset(dc.id for dc in taxonomy.DATA_CLASSES)
MODEL = frozenset({"person_name", "email", "coarse_location", "device", "internal_id"})

#: name -> (present classes, encrypted, key exposed)
CASES: dict[str, tuple[frozenset[str], bool, bool | None]] = {
    "model": (MODEL, False, None),
    "email_password": (frozenset({"email", "password"}), False, None),
    "name_govid": (frozenset({"person_name", "government_id"}), False, None),
    "name_card": (frozenset({"person_name", "payment_card"}), False, None),
    "name_card_cvv": (frozenset({"person_name", "payment_card", "card_security_code"}), False, None),
    "encrypted_key_safe": (frozenset({"person_name", "government_id"}), True, False),
    "encrypted_key_exposed": (frozenset({"person_name", "government_id"}), True, True),
}
ORDER = list(CASES)

# Dates after every 2024-2026 change (KR Sep 2026, VN Law 91, CA SB 446), before India's Rule 7.
DETECTED = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)
TOLD = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
AWARE = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)

# rule id, jurisdiction code with 10 affected people, expected verdicts in CASES order:
# R = required, N = not required, A = assessment required (risk decision needed).
TABLE = [
    ("eu-sa", "DE", "AAAAAAA"),
    ("eu-individuals", "FR", "AAAAANA"),
    ("uk-individuals", "GB", "AAAAANA"),
    ("id-subjects", "ID", "RRRRRRR"),
    ("id-agency", "ID", "RRRRRRR"),
    ("sg-pdpc", "SG", "ARAARAA"),
    ("sg-individuals", "SG", "ARAARNA"),
    ("my-commissioner", "MY", "ARRRRRR"),
    ("my-individuals", "MY", "ARRRRRR"),
    ("ph-subjects", "PH", "NAAAAAA"),
    ("th-pdpc", "TH", "AAAAAAA"),
    ("vn-law91-authority", "VN", "RRRRRRR"),
    ("in-certin", "IN", "RRRRRRR"),
    ("jp-individuals", "JP", "ARARRAA"),
    ("kr-individuals", "KR", "RRRRRRR"),
    ("kr-pipc", "KR", "AARAARR"),
    ("cn-individuals", "CN", "RRRRRRR"),
    ("au-individuals", "AU", "AAAAAAA"),
    ("nz-individuals", "NZ", "AAAAAAA"),
    ("ca-individuals", "CA", "AAAAAAA"),
    ("qc-persons", "CA-QC", "AAAAAAA"),
    ("br-subjects", "BR", "AAAAAAA"),
    ("za-subjects", "ZA", "RRRRRRR"),
    ("us-ca-residents", "US-CA", "NRRARNR"),
    # issue 11: NY card number without a code counts only if usable without more (899-aa(1)(b)(i)(4))
    ("us-ny-residents", "US-NY", "NRRARNR"),
    ("us-tx-individuals", "US-TX", "NNRNRNR"),
    # issue 11: FL/WA required unless a no-harm determination is recorded (501.171(4)(c), RCW
    # 19.255.010(1)); MA: a vendor breach is acquisition by an unauthorised person (93H s 3(b))
    ("us-fl-individuals", "US-FL", "NRRNRNR"),
    ("us-ma-residents", "US-MA", "NNRRRNR"),
    ("us-il-residents", "US-IL", "NRRRRNR"),
    ("us-wa-residents", "US-WA", "NRRNRNR"),
    ("us-hipaa-individuals", "US-CA", "NNNNNNN"),
]
LETTER = {"R": "required", "N": "not_required", "A": "assessment_required"}


def facts(present: frozenset[str], affected: dict[str, int], **kw: object) -> Facts:
    base = Facts(
        present=present,
        absent=ALL - present,
        values_checked=50_000,
        affected=affected,
        vendor_detected_at=DETECTED,
        vendor_notified_us_at=TOLD,
        dataset_received_at=TOLD + timedelta(hours=2),
        aware_at=AWARE,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def run(rules: RuleSet, f: Facts, now: datetime = NOW) -> Assessment:
    return assess(f, rules, now=now)


def test_table_covers_all_26_jurisdictions(rules: RuleSet) -> None:
    assert {rules.rule(rid)[0].code for rid, _, _ in TABLE} == {j.code for j in rules.jurisdictions}


@pytest.mark.parametrize("case", ORDER)
@pytest.mark.parametrize(("rule_id", "code", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_verdict_per_jurisdiction(rules: RuleSet, rule_id: str, code: str, expected: str, case: str) -> None:
    present, encrypted, key_exposed = CASES[case]
    a = run(rules, facts(present, {code: 10}, encrypted=encrypted, key_exposed=key_exposed))
    duty = a.duty(rule_id)
    assert duty.verdict == LETTER[expected[ORDER.index(case)]], duty.reasons
    assert duty.citation and duty.statute and duty.confidence in ("confirmed", "unconfirmed")
    assert duty.reasons, "every verdict says why"
    if duty.verdict == "assessment_required":
        assert duty.factors_for or duty.factors_against
        assert duty.decision is None


def test_model_case_factors_say_low_harm(rules: RuleSet) -> None:
    duty = run(rules, facts(MODEL, {"DE": 10})).duty("eu-sa")
    against = " ".join(duty.factors_against)
    assert "only contact and technical data" in against and "no credentials" in against
    assert "scan confirmed absent over 50,000 values" in against
    assert any("phishing" in x for x in duty.factors_for)


def test_credentials_are_a_factor_for(rules: RuleSet) -> None:
    duty = run(rules, facts(frozenset({"email", "password"}), {"DE": 10})).duty("eu-sa")
    assert any("account takeover" in x for x in duty.factors_for)


def test_gdpr_clock_runs_from_the_vendor_telling_us(rules: RuleSet) -> None:
    duty = run(rules, facts(MODEL, {"DE": 10})).duty("eu-sa")
    assert duty.clock_started == TOLD  # earlier than our own aware_at: the processor informed us
    assert duty.due is not None and duty.due.astimezone(UTC) == TOLD + timedelta(hours=72)
    assert duty.due.tzinfo == ZoneInfo("Europe/Brussels")


def test_overdue_is_flagged(rules: RuleSet) -> None:
    later = TOLD + timedelta(hours=73)
    a = run(rules, facts(MODEL, {"ID": 10}), now=later)
    assert a.duty("id-subjects").overdue and a.duty("id-agency").overdue
    assert not run(rules, facts(MODEL, {"ID": 10})).duty("id-subjects").overdue


def test_duties_are_sorted_by_due_time(rules: RuleSet) -> None:
    a = run(rules, facts(MODEL, {"ID": 10, "DE": 5, "IN": 3, "US-CA": 2, "BR": 1}))
    dues = [d.due for d in a.duties if d.due is not None and d.verdict != "not_required"]
    assert dues == sorted(dues) and a.duties[0].id == "in-certin"  # 6 hours comes first
    assert a.duties[-1].verdict == "not_required"


@pytest.mark.parametrize(("verdict", "expected"), [("not_required", None), ("required", "required")])
def test_a_recorded_decision_settles_a_risk_duty(rules: RuleSet, verdict: str, expected: str | None) -> None:
    decision = RiskDecision("eu-sa", verdict, "Dana (DPO)", "contact data only; phishing risk judged", NOW)  # type: ignore[arg-type]
    duty = run(rules, facts(MODEL, {"DE": 10}, decisions=(decision,))).duty("eu-sa")
    assert duty.verdict == verdict and duty.decision == decision
    assert any("Dana (DPO)" in r for r in duty.reasons)
    assert (duty.due is not None) == (expected == "required")


def test_a_decision_never_overrides_a_data_trigger(rules: RuleSet) -> None:
    decision = RiskDecision("sg-individuals", "not_required", "x", "y", NOW)
    f = facts(frozenset({"email", "password"}), {"SG": 10}, decisions=(decision,))
    duty = run(rules, f).duty("sg-individuals")
    assert duty.verdict == "required" and duty.decision is None
    assert any("does not apply: the facts decide" in r for r in duty.reasons)


def test_deemed_harm_clock_runs_from_the_recorded_conclusion(rules: RuleSet) -> None:
    concluded = datetime(2026, 10, 24, 3, 0, tzinfo=UTC)
    decision = RiskDecision("sg-pdpc", "required", "x", "deemed significant harm", concluded)
    duty = run(rules, facts(frozenset({"email", "password"}), {"SG": 10}, decisions=(decision,))).duty(
        "sg-pdpc"
    )
    assert duty.verdict == "required" and duty.due_kind == "notice"
    assert duty.due == datetime(2026, 10, 27, 23, 59, 59, tzinfo=ZoneInfo("Asia/Singapore"))


def test_singapore_clock_runs_from_the_assessment(rules: RuleSet) -> None:
    f = facts(MODEL, {"SG": 10})
    pending = run(rules, f).duty("sg-pdpc")
    assert pending.due_kind == "assessment"
    assert pending.due == datetime(2026, 11, 22, 0, 0, tzinfo=ZoneInfo("Asia/Singapore"))  # 30 days from TOLD
    concluded = datetime(2026, 10, 30, 10, 0, tzinfo=UTC)
    decided = replace(f, decisions=(RiskDecision("sg-pdpc", "required", "x", "significant harm", concluded),))
    duty = run(rules, decided).duty("sg-pdpc")
    assert duty.due_kind == "notice"
    assert duty.due == datetime(2026, 11, 2, 23, 59, 59, tzinfo=ZoneInfo("Asia/Singapore"))


@pytest.mark.parametrize(
    ("affected", "rule_id", "expected"),
    [
        ({"SG": 499}, "sg-pdpc", "assessment_required"),
        ({"SG": 500}, "sg-pdpc", "required"),  # significant scale: >= 500
        ({"MY": 1000}, "my-commissioner", "assessment_required"),
        ({"MY": 1001}, "my-commissioner", "required"),  # more than 1,000
        ({"US-TX": 249}, "us-tx-ag", "not_required"),
        ({"US-TX": 250}, "us-tx-ag", "required"),
        ({"US-CA": 500}, "us-ca-ag", "not_required"),
        ({"US-CA": 501}, "us-ca-ag", "required"),
        ({"US-NY": 5001}, "us-ny-cra", "required"),
        ({"CN": 999_999}, "cn-cac-major", "not_required"),
        ({"CN": 1_000_000}, "cn-cac-major", "required"),
    ],
)
def test_headcount_thresholds(rules: RuleSet, affected: dict[str, int], rule_id: str, expected: str) -> None:
    present = frozenset({"person_name", "government_id"}) if rule_id.startswith("us-") else MODEL
    assert run(rules, facts(present, affected)).duty(rule_id).verdict == expected


def test_subdivisions_are_not_counted_twice(rules: RuleSet) -> None:
    f = facts(frozenset({"person_name", "government_id"}), {"US": 1000, "US-CA": 600, "DE": 5, "ZZ": 3})
    a = run(rules, f)
    assert a.duty("us-ca-residents").affected == 600
    assert a.duty("us-hipaa-individuals").affected == 1000
    assert f.total_affected == 1008


@pytest.mark.parametrize(
    ("malicious", "expected"), [(True, "required"), (False, "not_required"), (None, "assessment_required")]
)
def test_japan_wrongful_act_trigger(rules: RuleSet, malicious: bool | None, expected: str) -> None:
    assert (
        run(rules, facts(MODEL, {"JP": 10}, malicious=malicious)).duty("jp-individuals").verdict == expected
    )


@pytest.mark.parametrize(
    ("when", "applies", "skipped"),
    [
        (datetime(2025, 11, 9, tzinfo=UTC), "vn-a05-decree13", "vn-law91-authority"),
        (datetime(2026, 1, 5, tzinfo=UTC), "vn-law91-authority", "vn-a05-decree13"),
    ],
)
def test_vietnam_switches_regime_on_1_january_2026(
    rules: RuleSet, when: datetime, applies: str, skipped: str
) -> None:
    f = facts(MODEL, {"VN": 10}, vendor_detected_at=when, vendor_notified_us_at=when, aware_at=when)
    a = run(rules, f, now=when + timedelta(days=1))
    assert a.duty(applies).verdict == "required"
    assert skipped in {s.rule_id for s in a.skipped}
    if applies == "vn-a05-decree13":  # 72 h from occurrence (vendor detection, the earliest known date)
        assert a.duty(applies).due == when + timedelta(hours=72)


def test_india_dpdp_rule_7_not_yet_in_force(rules: RuleSet) -> None:
    a = run(rules, facts(MODEL, {"IN": 10}))
    assert {"in-dpdp-individuals", "in-dpdp-board"} <= {s.rule_id for s in a.skipped}
    assert a.duty("in-certin").due == TOLD + timedelta(hours=6)


def test_california_before_sb446_has_no_fixed_bound(rules: RuleSet) -> None:
    early = datetime(2025, 11, 9, tzinfo=UTC)
    f = facts(
        frozenset({"email", "password"}), {"US-CA": 10}, vendor_detected_at=early, vendor_notified_us_at=early
    )
    duty = run(rules, f, now=early).duty("us-ca-residents-pre2026")
    assert duty.verdict == "required" and duty.due is None
    after = run(rules, facts(frozenset({"email", "password"}), {"US-CA": 10})).duty("us-ca-residents")
    # 30 calendar days on the California calendar: 09:00 PDT -> 09:00 PST (US DST ended on 1 Nov)
    assert after.due == datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def test_vendor_duties_are_reported_with_whether_the_vendor_was_on_time(rules: RuleSet) -> None:
    f = facts(frozenset({"email", "password"}), {"US-FL": 10, "DE": 10})
    a = run(rules, f)
    vendor = {d.id: d for d in a.vendor_duties}
    assert {"us-fl-third-party", "eu-processor"} <= set(vendor)
    assert "us-fl-third-party" not in {d.id for d in a.duties}
    assert any("on time" in r for r in vendor["us-fl-third-party"].reasons)  # told 2 days after detection
    late = replace(f, vendor_notified_us_at=DETECTED + timedelta(days=11))
    assert any(
        "LATE" in r for r in {d.id: d for d in run(rules, late).vendor_duties}["us-fl-third-party"].reasons
    )


def test_processor_role_gets_the_processor_duties(rules: RuleSet) -> None:
    a = run(rules, facts(MODEL, {"DE": 10, "ZA": 3}, role="processor"))
    assert {d.id for d in a.duties} == {"eu-processor", "za-operator"}
    assert all(d.recipient == "controller" for d in a.duties)
    assert "eu-sa" in {s.rule_id for s in a.skipped}


def test_required_content_is_listed_for_the_notice(rules: RuleSet) -> None:
    duty = run(rules, facts(MODEL, {"ID": 10})).duty("id-subjects")
    assert [c.id for c in duty.content] == [
        "data_classes",
        "time_of_breach",
        "how_discovered",
        "handling_and_recovery",
    ]
    assert all(c.words for c in duty.content)


def test_unconfirmed_rules_carry_their_reason(rules: RuleSet) -> None:
    duty = run(rules, facts(MODEL, {"ID": 10})).duty("id-subjects")
    assert duty.confidence == "unconfirmed" and "3 x 24" in duty.confidence_reason


def test_assessment_round_trips_through_json(rules: RuleSet) -> None:
    decision = RiskDecision("eu-sa", "required", "a", "b", NOW)
    a = run(rules, facts(MODEL, {"DE": 10, "US-CA": 3, "SG": 2}, decisions=(decision,), malicious=True))
    assert Assessment.from_dict(a.to_dict()) == a


def test_the_engine_is_pure(rules: RuleSet) -> None:
    f = facts(MODEL, {"DE": 10, "ID": 4})
    assert run(rules, f) == run(rules, f)


def test_naive_datetimes_are_refused(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        facts(MODEL, {"DE": 1}, aware_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        assess(facts(MODEL, {"DE": 1}), rules, now=datetime(2026, 1, 1))


def test_duties_for_a_recipient_and_their_content(rules: RuleSet) -> None:
    a = run(rules, facts(MODEL, {"ID": 10, "DE": 5, "US-CA": 3}))
    assert [d.id for d in a.duties_for("individuals", include_pending=False)] == ["id-subjects"]
    assert "eu-individuals" in [d.id for d in a.duties_for("individuals")]
    assert [c.id for c in a.required_content("individuals")][:2] == ["data_classes", "time_of_breach"]


@pytest.mark.parametrize(
    ("by_code", "confirmed", "elsewhere"),
    [
        # the bank account number is on an Indonesian's record only: for the Germans it is not
        # exposed, but the scan did not confirm it absent
        ({"DE": {"email"}, "ID": {"email", "bank_account"}}, "password", "bank_account"),
        # no per-jurisdiction classes: every absent class is the scan's
        ({}, "password", None),
    ],
)  # fmt: skip
def test_absent_here_is_not_confirmed_absent_by_the_scan(
    rules: RuleSet, by_code: dict[str, set[str]], confirmed: str, elsewhere: str | None
) -> None:
    present = frozenset({"email", "bank_account"}) if by_code else frozenset({"email"})
    f = replace(
        facts(present, {"DE": 10, "ID": 5}, records_checked=20_000, files_checked=1),
        classes_by_code={k: frozenset(v) for k, v in by_code.items()},
    )
    against = run(rules, f).duty("eu-sa").factors_against
    confirmed_line = next(x for x in against if x.startswith("scan confirmed absent"))
    assert confirmed_line.startswith("scan confirmed absent in all 20,000 records: ")
    assert confirmed in confirmed_line
    assert ("bank_account" in confirmed_line) == (elsewhere is None)
    here = [x for x in against if "only in the records of people located elsewhere" in x]
    assert [x.rsplit(": ", 1)[1] for x in here] == ([elsewhere] if elsewhere else [])
