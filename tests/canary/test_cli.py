"""``breachscope canary issue|check`` through the command line (thin shells: output and exit codes)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from tests.canary.conftest import DOMAIN, LEAK_HEADER, leak_rows

Run = Callable[..., tuple[int, str]]


def test_issue_then_check(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "mp.csv"
    code, text = run("canary", "issue", "--vendor", "Mixpanel", "--count", "3", "--domain", DOMAIN,
                     "--honeytoken", "--out", str(out))  # fmt: skip
    assert code == 0, text
    assert "3 canaries for Mixpanel" in text and "(0600)" in text
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "$distinct_id",
        "$email",
        "$first_name",
        "$last_name",
        "$name",
        "user_id",
        "api_key",
    ]
    leak = tmp_path / "leak.csv"
    with leak.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LEAK_HEADER)
        w.writerows(leak_rows(5))
    code, text = run("canary", "check", str(leak))
    assert code == 0 and "no canary found" in text
    with leak.open("a", newline="") as fh:
        csv.writer(fh).writerow([rows[0]["$distinct_id"], rows[0]["$email"], "", "", "", rows[0]["api_key"]])
    code, text = run("canary", "check", str(leak), "--json", "-")
    assert code == 3
    doc = json.loads(text)
    assert doc["verdict"] == "vendor"
    assert {f["field"] for f in doc["found"]} == {"distinct_id", "email", "honeytoken"}
    code, text = run("canary", "list", "--json", "-")
    assert code == 0
    [batch] = json.loads(text)
    assert (batch["vendor"], batch["count"], batch["honeytoken"]) == ("Mixpanel", 3, True)
    assert batch["found_by_checks"] == 0  # checks without --incident are not recorded
    assert rows[0]["$email"] not in text


def test_json_export_per_layout(run: Run, tmp_path: Path) -> None:
    for vendor, key in (("Segment", "batch"), ("Amplitude", None), ("PostHog", "batch"), ("Mixpanel", None)):
        out = tmp_path / f"{vendor}.json"
        code, text = run("canary", "issue", "--vendor", vendor, "--count", "2", "--domain", DOMAIN,
                         "--format", "json", "--out", str(out))  # fmt: skip
        assert code == 0, text
        doc = json.loads(out.read_text())
        items = doc[key] if key else doc
        assert len(items) == 2


def test_issue_without_a_domain_says_what_to_do(run: Run, tmp_path: Path) -> None:
    code, text = run("canary", "issue", "--vendor", "Mixpanel", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and "--domain" in text
