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
