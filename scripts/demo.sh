#!/usr/bin/env bash
# The main job end to end on generated data. Called by `make demo`; output lands in demo-out/.
set -euo pipefail
BIN="${BIN:-.venv/bin}"
OUT=demo-out
rm -rf "$OUT"; mkdir -p "$OUT"
export BREACHSCOPE_DB="sqlite:///$OUT/breachscope.db"

echo "== 1. generate a Mixpanel-style leak of 20,000 people (the Nov 2025 model case) and its account directory =="
"$BIN/breachscope" synth --rows 20000 --out "$OUT/leak" --seed 7

echo "== 2. scan it: which data classes are present, and proof of the absent ones =="
"$BIN/breachscope" scan "$OUT/leak/people.csv" --json "$OUT/scan.json" --report "$OUT/scan.md"

echo "== 2a. the same leak with planted needles (keys, cards, NIKs, SSNs, passwords): every one is found =="
"$BIN/breachscope" synth --rows 20000 --out "$OUT/needles" --seed 7 --needles --formats csv
"$BIN/breachscope" scan "$OUT/needles/people.csv" --json "$OUT/scan-needles.json" --quiet
"$BIN/python" - "$OUT/needles/truth.json" "$OUT/scan-needles.json" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
needles = truth["needles"] if isinstance(truth, dict) else truth
classes = sorted({n["data_class"] for n in needles})
found = [c for c in classes if report["classes"][c]["status"] == "present"]
print(f"{len(needles)} needles planted in {len(classes)} data classes; classes the scan reports present: {len(found)} of {len(classes)}")
PY

echo "== 2b. the leak as a raw Mixpanel event export: vendor layout recognised, fields exposed per person =="
"$BIN/breachscope" synth --rows 20000 --out "$OUT/vendor" --seed 7 --formats jsonl --vendor mixpanel-events
"$BIN/breachscope" scan "$OUT/vendor/mixpanel/export.jsonl" --json "$OUT/scan-vendor.json" \
  --people "$OUT/people-fields.csv"

echo "== 3. open an incident case and attach the leak (scan stored, one exposure per leaked person) =="
"$BIN/breachscope" case new "Mixpanel analytics leak (demo)" --vendor Mixpanel \
  --vendor-detected-at 2025-11-09 --vendor-notified-us-at 2025-11-26T18:00-08:00 \
  --dataset-received-at 2025-11-27T09:00+07:00 --aware-at 2025-11-27T09:00+07:00 --author demo
"$BIN/breachscope" case attach 1 "$OUT/leak/people.csv" --author demo
"$BIN/breachscope" case log 1 "Vendor confirmed: profile fields only, no chat content or credentials" --author demo
# Incident facts are recorded (who, when), never assumed: assess decides from them and the notices
# state only what is recorded here (anything left unknown gets neutral wording).
"$BIN/breachscope" case facts 1 --by demo --set cause=outside-attacker --set our-systems-affected=no \
  --set vendor-relationship=stopped-sending --set working-with-vendor=yes --set encrypted=no \
  --set help-page="Settings > Security notices" --set support-phone="+62 21 5550 1000"

echo "== 4. scope: match the leak to the account directory; orgs, admins, users, jurisdictions =="
"$BIN/breachscope" scope --incident 1 --directory "$OUT/leak/directory.csv" \
  --json "$OUT/scope.json" --csv-dir "$OUT/scope" --author demo
"$BIN/breachscope" case show 1

echo "== 5. assess: which laws require notifying whom by when; which actions are (and are NOT) needed =="
# --now pins "today" to the demo incident's timeline (Nov 2025), so deadlines read as they did then.
"$BIN/breachscope" assess --incident 1 --now 2025-11-27T12:00:00+00:00 \
  --json "$OUT/assessment.json" --markdown "$OUT/assessment.md"

echo "== 6. notify: personal notices (en/id), org-admin notices and regulator drafts, as signed .eml (dry run) =="
"$BIN/breachscope" notify dkim-key --out "$OUT/keys" --selector demo2025 > /dev/null
cat > "$OUT/notify.toml" <<TOML
[notify]
company = "Example Corp"
official_domain = "example.com"
from = "Example Corp Security <security@example.com>"
reply_to = "privacy@example.com"
drafts_to = "legal@example.com"
support_phone = "+62 21 555 0100"
verification_key = "demo-only-verification-key"
workers = 2
[notify.dkim]
selector = "demo2025"
private_key_file = "keys/demo2025.pem"
TOML
# Every notice is rendered and queued; the dry run writes a sample of each audience as .eml
# (all regulator drafts, 100 admin and 300 user notices). Without --dry-run it would send them.
"$BIN/breachscope" notify --incident 1 --config "$OUT/notify.toml" --audience regulators --dry-run "$OUT/outbox"
"$BIN/breachscope" notify --incident 1 --config "$OUT/notify.toml" --audience admins --dry-run "$OUT/outbox" --limit 100
"$BIN/breachscope" notify --incident 1 --config "$OUT/notify.toml" --audience users --dry-run "$OUT/outbox" --limit 300
"$BIN/breachscope" notify status --incident 1

echo "== 7. vendors: what each vendor really receives, the audit, the leak vs what we sent, offboarding =="
# A browser session captured as HAR (a sample written for the tests): every collection call of
# Mixpanel, Segment, Amplitude, PostHog, GA4, Heap, Intercom, Customer.io and pixels decoded, and
# every value checked by the scan's detectors. Unregistered vendors are added for review.
"$BIN/breachscope" vendors add Mixpanel --service mixpanel --purpose analytics --breach-hours 96 \
  --breach-clause "DPA s. 7.2" --deletion-clause "DPA s. 11" --gdpr --subprocessor "Google Cloud" \
  --contact "Privacy team <privacy@mixpanel.example> (DPO)" --last-review 2024-02-01 --author demo > /dev/null
"$BIN/breachscope" vendors evidence tests/data/inventory/signup-session.har --author demo
"$BIN/breachscope" vendors audit --incident 1 --tasks --html "$OUT/vendor-audit.html" --json "$OUT/vendor-audit.json" --author demo > /dev/null
"$BIN/breachscope" vendors link Mixpanel --incident 1 --author demo
"$BIN/breachscope" vendors remove Mixpanel --incident 1 --company "Example Corp" --letters "$OUT/letters" --author demo

echo "== 8. the team server: a demo admin who may see the demo incident =="
DEMO_PW="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$DEMO_PW" | "$BIN/breachscope" users add admin@demo.example --role admin --password-stdin \
  --incident 1 | tee "$OUT/demo-admin.txt"
SECRET="$(sed -n 's/^  secret: //p' "$OUT/demo-admin.txt")"
printf 'password: %s\n' "$DEMO_PW" >> "$OUT/demo-admin.txt"
chmod 600 "$OUT/demo-admin.txt"
cat <<EOT

Serve the demo case to your browser (http://127.0.0.1:8000/) with:

  $BIN/breachscope serve --db sqlite:///$OUT/breachscope.db --config $OUT/notify.toml

Sign in as admin@demo.example with the password $DEMO_PW and the 6-digit code of an
authenticator app set up with the secret $SECRET, or print the current code with:

  $BIN/python -c "import pyotp; print(pyotp.TOTP('$SECRET').now())"

(all of it is kept in $OUT/demo-admin.txt, readable only by you)
EOT
