#!/usr/bin/env bash
# Renders a `trainbench report` of SYNTHETIC results in headless Chromium and fails on any
# console error, uncaught exception, network fetch or blank chart; saves a screenshot.
# Usage: report_in_chromium.sh TRAINBENCH MAKE_FIXTURE ARTIFACT_DIR
# Exit 77 (CTest SKIP_RETURN_CODE) with the reason when Chromium or python3 is absent.
set -euo pipefail
trainbench=$1 make_fixture=$2 artifacts=$3
here=$(cd "$(dirname "$0")" && pwd)

browser=${TB_CHROMIUM:-}
if [[ -z $browser ]]; then
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$(command -v "$b"); break; fi
  done
fi
if [[ -z $browser ]]; then
  echo "SKIP: no Chromium found (apt-get install chromium, or scripts/install-deps.sh --with-browser)"
  exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: python3 is needed to drive Chromium over the DevTools protocol"
  exit 77
fi

mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$make_fixture" "$work"
# Priced, with electricity: the table shows PF-days as the CLI does (3637.6, not 3,638) and each
# rented run's rental + electricity, the total its winner line ranks on, in the CLI's words for
# money; runs lettered A, B, C as compare letters them; quotes without a stated currency said so.
"$trainbench" report "$work"/h100-synthetic.json "$work"/h200-synthetic.json "$work"/a100-synthetic.json \
  --gpu-hour-price A=2 --gpu-hour-price B=2.5 --electricity-price 0.1 \
  --title "trainbench report (SYNTHETIC test data)" -o "$artifacts/report.html"
python3 "$here/check_report.py" --browser "$browser" --html "$artifacts/report.html" \
  --screenshot "$artifacts/report.png" --user-data-dir "$work/profile" \
  --min-charts 6 --expect-text '\b3637\.6\b' \
  --expect-text '; rental \+ electricity [0-9][0-9.,]* (thousand |million |billion )?USD' \
  --expect-text 'C qkv\.fwd [^:;]+: 2 of 20' --expect-text 'A = NVIDIA H100' \
  --expect-text 'read in USD for A, B' --expect-text '\t[0-9.]+ \([0-9]+ per optimizer step\)\t'
# The same with --layout auto: the layout table (each SKU's fastest layout that fits, its scaling
# efficiency and memory per GPU read from estimate's `scaling` and `memory` objects) renders too,
# and the goodput table (`interruptions`) with --mtbf-gpu-hours; at the 500P site (PUE 1.3, 0.6 CNY
# per kWh), which the page names. A figure read from a key the data lacks would show "NaN%".
"$trainbench" report "$work"/h100-synthetic.json "$work"/h200-synthetic.json "$work"/a100-synthetic.json \
  --layout auto --days 30 --site 500p --mtbf-gpu-hours llama3 \
  --title "trainbench report, --layout auto (SYNTHETIC test data)" -o "$artifacts/report-layout.html"
grep -q 'layout (--layout auto' "$artifacts/report-layout.html" || { echo "FAIL: no layout table"; exit 1; }
python3 "$here/check_report.py" --browser "$browser" --html "$artifacts/report-layout.html" \
  --screenshot "$artifacts/report-layout.png" --user-data-dir "$work/profile-layout" \
  --expect-text 'Site 500p: PUE 1\.30 \(assumed\), electricity 0\.6 CNY per kWh \(assumed\)' --expect-text 'PUE 1\.30\)' \
  --expect-text '\t\d+\.\d%\t\d+\.\d%' --expect-text 'goodput \(--mtbf[^\n]*\n[^\n]*\t\d+\.\d%' \
  --reject-text '\bNaN\b|undefined'
# Provenance for every run; a partial run under its banner, without step or extrapolation; a
# health file's verdict and checks in its own section; the kernel that stopped short of its noise
# target named.
"$trainbench" report "$work"/a100-synthetic.json "$work"/partial-synthetic.json "$work"/health-synthetic.json \
  --title "trainbench report, partial and health (SYNTHETIC test data)" -o "$artifacts/report-provenance.html"
python3 "$here/check_report.py" --browser "$browser" --html "$artifacts/report-provenance.html" \
  --screenshot "$artifacts/report-provenance.png" --user-data-dir "$work/profile-provenance" \
  --expect-text 'PARTIAL: B [^\n]* interrupted after [0-9]+ of [0-9]+ kernels; no step/extrapolation' \
  --expect-text 'Provenance' --expect-text '2026-01-01T[0-9:]+Z\tsynthetic' \
  --expect-text 'health-synthetic\.json \([^\n]*\): verdict suspect' --expect-text 'gemm\tsuspect\t512\t700\tTFLOP/s' \
  --expect-text 'Not converged [^\n]*B: qkv\.fwd' --expect-text 'n/a: a partial run' \
  --reject-text '\bNaN\b|undefined'
# What the README's workflows leave in results/, one section per kind: a run, a health file, a
# real CPU sweep and gemm, and a one-rank comm file where trainbench was built with MPI.
quick=(--min-time 0 --max-time 0.05)
"$trainbench" sweep --device cpu --dtype fp32 --m-range 32:64:32 --n-range 48 --k-range 16,40 "${quick[@]}" \
  --out "$work/sweep.json" >/dev/null
"$trainbench" gemm -m 48 -n 40 -k 24 --device cpu --dtype fp32 "${quick[@]}" --out "$work/gemm.json" >/dev/null
kinds=("$work"/h100-synthetic.json "$work"/health-synthetic.json "$work/sweep.json" "$work/gemm.json")
comm_text=()
if "$trainbench" comm --backend mpi --op allreduce --sizes 4K,8K -n 1 "${quick[@]}" --out "$work/comm.json" >/dev/null 2>&1; then
  kinds+=("$work/comm.json")
  comm_text=(--expect-text 'Collectives \(comm\)' --expect-text '\n4096\t[0-9]+\t[a-z0-9]+\tallreduce')
fi
"$trainbench" report "${kinds[@]}" --title "trainbench report, every kind (SYNTHETIC run and health)" \
  -o "$artifacts/report-kinds.html"
python3 "$here/check_report.py" --browser "$browser" --html "$artifacts/report-kinds.html" \
  --screenshot "$artifacts/report-kinds.png" --user-data-dir "$work/profile-kinds" --min-charts 7 \
  --expect-text 'Training steps' --expect-text 'verdict suspect' \
  --expect-text 'Sweeps: maximum achievable matmul FLOP/s' --expect-text 'sweep\.json [^\n]*: best [^\n]* TFLOP/s' \
  --expect-text 'Single kernels \(gemm, attention\)' "${comm_text[@]}" --reject-text '\bNaN\b|undefined'
# The regression gate as a page: the verdict, qkv.fwd's row with its change, its chart.
good=$(ls "$work"/good-*.json | paste -sd, -)
"$trainbench" report --baseline "$good" "$work"/slow-*.json --title "trainbench gate (SYNTHETIC test data)" \
  -o "$artifacts/report-gate.html"
python3 "$here/check_report.py" --browser "$browser" --html "$artifacts/report-gate.html" \
  --screenshot "$artifacts/report-gate.png" --user-data-dir "$work/profile-gate" --min-charts 1 \
  --expect-text 'Verdict: regression' --expect-text 'qkv\.fwd\t[^\n]*\t\+(19|2[01])\.[0-9]%\t[^\n]*\tslower' --reject-text 'e-[0-9]+%' \
  --expect-text 'Baseline: 7 run' --reject-text '\bNaN\b|undefined'
