#!/usr/bin/env bash
# The device plan (scripts/gpu-check.sh) checked here, where it costs no lent minutes: every phase
# resolves, the open issues' steps fit call 1 and every step fits call 2 even if each runs to its
# cap, the smoke step guards the model runs, and bad input is refused with exit 2.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }
line_of() { grep -nE "$1" "$2" | head -1 | cut -d: -f1; }  # first line matching, or nothing
plan() {  # output file, budget, phases...
  local out=$1 budget=$2; shift 2
  OUT=$work/out TMPDIR=$work GPU_CHECK_DRY_RUN=1 GPU_CHECK_BUDGET=$budget \
    bash "$root/scripts/gpu-check.sh" "$@" >"$out" 2>&1
}

plan "$work/first" 420
check "call 1 plans issue 7's one-rank NCCL run" "grep -qE '^comm-1gpu +cap' '$work/first'"
for model in gpt3-175b gpt3-xl llama3-8b; do
  check "call 1 plans issue 5's run of $model" "grep -qE '^run-$model +cap' '$work/first'"
done
# Issue 5: the 175B step is measured with run's own defaults (its 100 s budget), not a shorter one.
check "175B runs with run's default budget" "grep -E '^run-gpt3-175b ' '$work/first' | grep -qv -- '--budget'"
# Every step of call 1 is planned at its cap, none skipped: the GPU tests too.
check "call 1 reaches every step even at every cap" "! grep -q SKIPPED '$work/first'"
check "call 1 plans the GPU tests" "grep -qE '^gpu-tests +cap' '$work/first' && grep -qE '^gpu-tests-wgmma +cap' '$work/first'"
# The hang probe hangs a kernel on purpose: a step of its own, the call's last, out of gpu-tests.
check "call 1 ends with the hang probe" \
  "[[ \$(grep -E '^[a-z0-9-]+ +cap ' '$work/first' | tail -1 | cut -d' ' -f1) == gpu-tests-hang ]]"
check "gpu-tests leaves the hang probe to its own step" \
  "grep -E '^gpu-tests +cap' '$work/first' | grep -qF -- '-*Wgmma*:HangProbe.*'"
# The hang probes' step holds their slowest outcome: tests/gpu/test_hang_probe.cpp sizes it from
# its deadlines (a static_assert there, in a CUDA build) and names the cap; this plan must give it.
probe_src=$root/tests/gpu/test_hang_probe.cpp
const_of() { sed -nE "s/^constexpr double $1 = ([0-9.]+);.*/\1/p" "$probe_src" | head -1; }
hang_cap=$(grep -E '^gpu-tests-hang +cap' "$work/first" | head -1 | grep -oE 'cap +[0-9]+' | grep -oE '[0-9]+')
probe_cap=$(const_of kGpuCheckCapS)
# Its worst with the room it keeps for a slow CUDA start (kCapSlackS): the step must not read TIMED OUT.
probe_worst=$(awk -v s="$(const_of kCudaStartS)" -v d="$(const_of kDeadlineS)" -v g="$(const_of kReapGraceS)" \
  -v e="$(const_of kExitS)" -v k="$(const_of kCapSlackS)" \
  'BEGIN { if (s == "" || d == "" || g == "" || e == "" || k == "") print "?"; else print s + 2 * d + g + e + k }')
check "the hang probe's constants are found in $probe_src (worst ${probe_worst} s, cap ${probe_cap:-?} s)" \
  "[[ -n '$probe_cap' && '$probe_worst' != '?' ]]"
check "gpu-tests-hang's cap (${hang_cap:-none} s) is the probes' kGpuCheckCapS (${probe_cap:-?} s)" \
  "[[ -n '$hang_cap' && -n '$probe_cap' ]] && awk -v a='$hang_cap' -v b='$probe_cap' 'BEGIN { exit !(a == b) }'"
check "the probes' slowest outcome and its slack (${probe_worst} s) fit gpu-tests-hang's cap (${hang_cap:-none} s)" \
  "[[ '$probe_worst' != '?' && -n '$hang_cap' ]] && awk -v w='$probe_worst' -v c='$hang_cap' 'BEGIN { exit !(w <= c) }'"
check "no step of call 1 is unknown to the shell" "! grep -q 'command not found' '$work/first'"
# The machine's inventory takes lent seconds too: it is a step, counted in the plan.
check "call 1 plans the env and devices steps" "grep -qE '^env +cap' '$work/first' && grep -qE '^devices +cap' '$work/first'"
# Never-run kernels meet the GPU in a small smoke step before any model run can hang on them.
for step in smoke-attention-fwd smoke-attention-bwd smoke-gemm; do
  check "call 1 plans $step before the model runs" \
    "[[ -n \$(line_of '^$step +cap' '$work/first') ]] && (( \$(line_of '^$step +cap' '$work/first') < \$(line_of '^run-gpt3-175b +cap' '$work/first') ))"
done
# The machine's inventory: every line reached inside the step's cap, even if each command runs to
# its own timeout (the torch probe's lines were the ones lost when they added up to more).
env_cap=$(grep -E '^env +cap' "$work/first" | head -1 | grep -oE 'cap +[0-9]+' | grep -oE '[0-9]+')
env_timeouts=$(sed -n '/^env_report() {/,/^}/p' "$root/scripts/gpu-check.sh" | grep -oE 'timeout [0-9]+' |
  awk '{ s += $2 } END { print s + 0 }')
check "env's inner timeouts (${env_timeouts} s) end before its cap (${env_cap:-none} s)" \
  "[[ -n '$env_cap' ]] && (( $env_timeouts > 0 && $env_timeouts < ${env_cap:-0} ))"
check "env's torch probe runs first" \
  "[[ \$(sed -n '/^env_report() {/,/^}/p' '$root/scripts/gpu-check.sh' | grep -m1 -oE 'timeout [0-9]+ [a-z0-9]+') == 'timeout '*' python3' ]]"
# On the device the driver may be found only through the inherited library path.
check "the trainbench wrapper keeps the inherited LD_LIBRARY_PATH" \
  "grep -qF '\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}' '$work/gpu-check/tb'"

# The plan charges each step's start and end beyond its cap: the real run needs slack besides.
slack_of() { grep -oE 'slack -?[0-9]+ s' "$1" | tail -1 | grep -oE -- '-?[0-9]+'; }
check "call 1 leaves at least 20 s of slack at every cap (got $(slack_of "$work/first") s)" \
  "(( \$(slack_of '$work/first') >= 20 ))"

# Each step's waits on the device give up before its cap (4 s under it: CUDA's start), so that a hung
# kernel met early is recorded inside the cap; 30 s at most, as trainbench's own default, except
# under the sanitizers (10-100x slower kernels). By hand: smoke's caps 8 and 9 give 4 and 5 s.
wait_of() { grep -E "^$1 +cap" "$2" | head -1 | grep -oE 'wait +[0-9]+' | grep -oE '[0-9]+'; }
check "smoke-attention-fwd waits 4 s (cap 8; got $(wait_of smoke-attention-fwd "$work/first"))" \
  "[[ \$(wait_of smoke-attention-fwd '$work/first') == 4 ]]"
check "smoke-gemm waits 5 s (cap 9; got $(wait_of smoke-gemm "$work/first"))" "[[ \$(wait_of smoke-gemm '$work/first') == 5 ]]"
check "run-gpt3-175b waits 30 s, the default (cap 120; got $(wait_of run-gpt3-175b "$work/first"))" \
  "[[ \$(wait_of run-gpt3-175b '$work/first') == 30 ]]"
waits_under_caps() {  # every step of a plan: wait <= cap - 4, or 1 s where the cap is that short
  awk '/ cap +[0-9]+s +wait +[0-9]+s / { for (i = 1; i < NF; i++) { if ($i == "cap") c = $(i + 1) + 0; if ($i == "wait") w = $(i + 1) + 0 }
         n++; if (!(w <= c - 4 || (w == 1 && c <= 5))) { print "step " $1 ": wait " w " s, cap " c " s"; bad = 1 } }
       END { exit bad || !n }' "$1"
}
check "every step of call 1 plans its wait 4 s under its cap ($(waits_under_caps "$work/first"))" "waits_under_caps '$work/first'"
# The runs and their SIGTERM: a step stopped at its cap is SIGKILLed KILL_GRACE_S later, which the
# plan charges each step. run_logged itself, on stub commands.
kill_grace=$(sed -nE 's/^KILL_GRACE_S=([0-9]+)$/\1/p' "$root/scripts/gpu-check.sh")
check "the plan charges each step its kill grace (${kill_grace:-none} s)" \
  "[[ -n '$kill_grace' ]] && grep -qE '\\(\\+$kill_grace s a step, its kill grace' '$work/first'"
logged=$work/logged && mkdir -p "$logged"
(
  eval "$(grep -E '^(KILL_GRACE_S|STEP_OVERHEAD|START_UP_S|GPU_WAIT_MAX_S)=' "$root/scripts/gpu-check.sh")"
  eval "$(sed -n '/^run_logged() {/,/^}/p' "$root/scripts/gpu-check.sh")"
  note() { echo "$*" >>"$logged/notes"; }
  archive() { :; }
  LOG=$logged DRY_RUN=0 START=$SECONDS DEADLINE=$((SECONDS + 1000)) FAILED=0
  run_logged smoke-stub 8 bash -c 'echo "wait=$TRAINBENCH_GPU_WAIT_S"'
  start=$SECONDS
  run_logged stubborn 1 bash -c 'trap "" TERM; sleep 30'
  echo "rc=$? took=$((SECONDS - start))" >"$logged/stubborn.rc"
) 2>"$logged/stderr"
check "run_logged gives a step's command its wait (got: $(cat "$logged/smoke-stub.log" 2>/dev/null))" \
  "[[ \$(cat '$logged/smoke-stub.log') == wait=4 ]]"
check "a step that ignores the cap's SIGTERM is killed ${kill_grace:-?} s later (got: $(cat "$logged/stubborn.rc" 2>/dev/null))" \
  "grep -qE '^rc=137 took=[0-9]+$' '$logged/stubborn.rc' && (( \$(grep -oE 'took=[0-9]+' '$logged/stubborn.rc' | cut -d= -f2) <= 1 + ${kill_grace:-0} + 1 ))"

plan "$work/second" 260 second
check "call 2 leaves at least 20 s of slack at every cap (got $(slack_of "$work/second") s)" \
  "(( \$(slack_of '$work/second') >= 20 ))"
check "call 2 starts with the sanitizer probe" "grep -qE '^sanitize-probe +cap' '$work/second'"
check "every step of call 2 plans its wait 4 s under its cap ($(waits_under_caps "$work/second"))" "waits_under_caps '$work/second'"
# nvcc and compute-sanitizer by CUDA's own bin/ where the PATH lacks them, else as the PATH finds them.
PATH=/usr/bin:/bin plan "$work/second-bare-path" 260 sanitize-quick
check "compute-sanitizer off the PATH is CUDA's own" \
  "grep -E '^sanitize-probe +cap' '$work/second-bare-path' | grep -qF ' /usr/local/cuda/bin/compute-sanitizer --tool memcheck'"
mkdir -p "$work/stub-bin" && printf '#!/bin/sh\n' >"$work/stub-bin/compute-sanitizer" && chmod +x "$work/stub-bin/compute-sanitizer"
PATH=$work/stub-bin:$PATH plan "$work/second-stub-path" 260 sanitize-quick
check "compute-sanitizer on the PATH is the one used" \
  "grep -E '^sanitize-probe +cap' '$work/second-stub-path' | grep -qF ' $work/stub-bin/compute-sanitizer --tool memcheck'"
check "env asks nvcc by the path found" "sed -n '/^env_report() {/,/^}/p' '$root/scripts/gpu-check.sh' | grep -qF '\"\$NVCC\" --version'"
check "call 2 schedules every step, none skipped, even at every cap" "! grep -q SKIPPED '$work/second'"
check "call 2 reaches health, its last step" "grep -qE '^health +cap' '$work/second'"
for step in run-gpt3-175b-wgmma run-gpt3-175b-fp8 run-llama3-8b-fp8; do
  check "call 2 runs $step before the torch benchmarks" \
    "[[ -n \$(line_of '^$step +cap' '$work/second') ]] && (( \$(line_of '^$step +cap' '$work/second') < \$(line_of '^torch-gemm +cap' '$work/second') ))"
done

# The grouped GEMM (MoE experts as one strided batched launch) meets the GPU beside its single
# group, after the model runs: its shape is Mixtral 8x7B's expert_up at tp 1, ep 1 on 4096-token
# sequences, from the model's config: batch E, rows 4096 x top-k / E, hidden -> 2 x expert width.
check "call 2 plans the grouped GEMM after the model runs, before the torch benchmarks" \
  "[[ -n \$(line_of '^gemm-grouped +cap' '$work/second') ]] && (( \$(line_of '^run-llama3-8b-fp8 +cap' '$work/second') < \$(line_of '^gemm-grouped +cap' '$work/second') && \$(line_of '^gemm-grouped +cap' '$work/second') < \$(line_of '^torch-gemm +cap' '$work/second') ))"
toml_of() { sed -nE "s/^$1 *= *([0-9]+).*/\1/p" "$root/configs/models/mixtral-8x7b.toml" | head -1; }
experts=$(toml_of experts) top_k=$(toml_of experts_per_token) hidden=$(toml_of hidden) ffn=$(toml_of expert_ffn_hidden)
want_grouped="grouped_gemm_pair $experts $((4096 * top_k / experts)) $((2 * ffn)) $hidden"
check "the grouped GEMM is Mixtral's expert_up ($want_grouped)" \
  "[[ -n '$experts' && -n '$hidden' ]] && grep -E '^gemm-grouped +cap' '$work/second' | grep -qE -- '$want_grouped\$'"
# The function behind the step runs the batch and its single group, on the shape it is given.
stub=$work/stub-tb
printf '#!/usr/bin/env bash\necho "tb $*"\n' >"$stub" && chmod +x "$stub"
eval "$(sed -n '/^grouped_gemm_pair() {/,/^}/p' "$root/scripts/gpu-check.sh")"
pair=$(TB=$stub LOG=$work grouped_gemm_pair 8 1024 28672 4096)
check "gemm-grouped runs the batch of 8, then one group of the same shape (got: $pair)" \
  "[[ \$(sed -n 1p <<<'$pair') == 'tb gemm -m 1024 -n 28672 -k 4096 --batch 8 '* && \$(sed -n 2p <<<'$pair') == 'tb gemm -m 1024 -n 28672 -k 4096 --dtype'* ]]"
# The batch is what has never run on a GPU: it is verified; the single group, its yardstick, not.
check "gemm-grouped verifies the batch and skips the single group's check (got: $pair)" \
  "sed -n 1p <<<'$pair' | grep -qvF -- --no-verify && sed -n 2p <<<'$pair' | grep -qF -- --no-verify"

plan "$work/all" 100000 first second bench run sanitize cpu-tests
check "the full bench runs torch_gemm.py batched too" "grep -E '^torch-gemm-batch8 +cap' '$work/all' | grep -qF -- '--batch 8'"
check "every phase of every group resolves" "! grep -qE 'command not found|unknown phase|SKIPPED' '$work/all'"
check "under the sanitizers the waits may pass 30 s (sanitize-memcheck-gemm, cap 300: got $(wait_of sanitize-memcheck-gemm "$work/all") s)" \
  "[[ \$(wait_of sanitize-memcheck-gemm '$work/all') == 296 ]]"
check "the full sets exit 0 in a dry run" "plan '$work/all2' 100000 first second bench run sanitize cpu-tests"

plan "$work/bad" 420 first bogus
rc=$?
check "an unknown phase exits 2 (got $rc)" "((rc == 2))"
check "an unknown phase is named" "grep -q \"unknown phase 'bogus'\" '$work/bad'"
plan "$work/bad-budget" 7m first
rc=$?
check "a budget that is not whole seconds exits 2 (got $rc)" "((rc == 2))"
check "the budget's variable is named" "grep -q 'GPU_CHECK_BUDGET' '$work/bad-budget'"

if ((fail)); then
  echo "--- plan of call 1:"; cat "$work/first"
  echo "--- plan of call 2:"; cat "$work/second"
  exit 1
fi
echo "gpu-check plan: all checks passed"
