#!/usr/bin/env bash
# The main job end to end on generated data. Called by `make demo`; output lands in demo-out/.
set -euo pipefail
BIN="${BIN:-.venv/bin}"
OUT=demo-out
rm -rf "$OUT"; mkdir -p "$OUT"
export BREACHSCOPE_DB="sqlite:///$OUT/breachscope.db"

echo "== 1. generate a Mixpanel-style leak of 20,000 people, with planted needles =="
"$BIN/breachscope" synth --rows 20000 --out "$OUT/leak" --seed 7 --needles

echo "== 2. scan it: which data classes are present, and proof of the absent ones =="
"$BIN/breachscope" scan "$OUT/leak/people.csv" --json "$OUT/scan.json" --report "$OUT/scan.md"

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

echo "== 4. scope: match the leak to the account directory; orgs, admins, users, jurisdictions =="
"$BIN/breachscope" scope --incident 1 --directory "$OUT/leak/directory.csv" \
  --json "$OUT/scope.json" --csv-dir "$OUT/scope" --author demo
"$BIN/breachscope" case show 1

echo "== 5. assess: which laws require notifying whom by when; which actions are (and are NOT) needed =="
# --now pins "today" to the demo incident's timeline (Nov 2025), so deadlines read as they did then.
"$BIN/breachscope" assess --incident 1 --malicious yes --now 2025-11-27T12:00:00+00:00 \
  --json "$OUT/assessment.json" --markdown "$OUT/assessment.md"
