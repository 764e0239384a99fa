#!/usr/bin/env bash
# Runs on a lent H100/H200. Carry .device/ (made here by scripts/build-device-bundle.sh).
# A task is lent 15 device-minutes in all, the machine's start included: two calls, planned here.
#   first         = env smoke comm-1gpu run-models tests: what the open issues need, then the GPU
#                   tests (about 7 minutes at most; call with timeout_s 450)
#   second        = sanitize-quick run-wgmma run-fp8 gemm-grouped bench-gemm-quick bench-attention-quick
#                   health, in that order, every step planned inside its budget (GPU_CHECK_BUDGET=260,
#                   timeout_s 280)
# The phases:
#   env           what the machine has (GPU, driver, library paths, nvcc, cuBLAS, NCCL, PyTorch) and
#                 `trainbench devices`, whose last lines go into the summary
#   smoke         one small fused attention forward and backward (d 128, causal, ragged) and one small
#                 GEMM, on a short leash: if one fails or hangs, the model runs after it are skipped
#   comm-1gpu     a one-rank NCCL `comm` over the model's own message sizes (issue 7 on one GPU)
#   run-models    `run` for gpt3-175b (tp 8, run's default 100 s budget), gpt3-xl, llama3-8b (20 s budget each)
#   tests         every GPU test (trainbench_gpu_tests), the wgmma forward's first run apart, and
#                 last the hang probe (does the process exit after a hung kernel?)
#   cpu-tests     the CPU suite from the bundle (CI runs it already: only on request)
#   bench         = bench-gemm bench-attention: side by side with torch.matmul and SDPA, full tables
#                   (bench-gemm also batched, 8 GEMMs a launch, beside torch's batched matmul);
#                   bench-gemm-quick: one repeat; bench-attention-quick: two causal shapes
#   gemm-grouped  one batched (grouped) GEMM of a real MoE expert shape, Mixtral 8x7B's expert_up at
#                 tp 1, ep 1 (8 experts of 1024 rows: 4096-token sequences, top 2), verified, then the
#                 same GEMM unbatched and unverified, one step of a few seconds: do batched TFLOP/s match?
#   health        `trainbench health` (GEMM and bandwidth battery against the SKU)
#   run           = smoke health comm-1gpu run-models run-wgmma run-moe run-fp8: also 175B with the
#                   wgmma forward, Mixtral 8x7B's expert GEMMs (ep 8, 4096-token sequences), and 175B
#                   and Llama 3 8B with fp8 GEMMs (Transformer Engine's recipe)
#   sanitize      compute-sanitizer (SANITIZE_TOOLS, default memcheck racecheck synccheck), every case;
#                   sanitize-quick: memcheck on the d 128 wgmma forward and fused backward (causal,
#                   ragged, GQA)
# Usage: scripts/gpu-check.sh [phase ...]   (default: first)
# Every step is cut to what is left of GPU_CHECK_BUDGET (default 420 s) and skipped, said so, when
# too little is left (docs/perf/README.md has the plan); every command that takes the device's time
# is a step, so the plan counts it. $OUT gets summary.txt (read it first) and gpu-check.tar.gz
# (logs and JSON), the archive refreshed after every step so a killed call still brings back what
# ran. Exit status: 0 when every step passed, 1 otherwise, 2 on usage.
# GPU_CHECK_DRY_RUN=1 prints each step with its cap and runs nothing (no bundle needed): CI checks
# the plan with it, so a typo costs no lent minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/out}
mkdir -p "$OUT"
# Logs outside $OUT: a device call returns at most 8 files from $OUT, so they travel as one archive.
LOG=${TMPDIR:-/tmp}/gpu-check
rm -rf "$LOG" && mkdir -p "$LOG"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
BUDGET=${GPU_CHECK_BUDGET:-420}
[[ $BUDGET =~ ^[1-9][0-9]*$ ]] || { echo "GPU_CHECK_BUDGET: '$BUDGET' is not a whole number of seconds" >&2; exit 2; }
START=$SECONDS
DEADLINE=$((START + BUDGET))
DRY_RUN=${GPU_CHECK_DRY_RUN:-0}
PLANNED=0  # dry run: the caps added up, as if every step ran to its cap
# A step still running at its cap gets SIGTERM, then SIGKILL this much later: time for trainbench
# to record the kernel it was in (its waits on the device end on the SIGTERM) and write its
# results. The dry run charges it to every step, as if every step were stopped at its cap (their
# starts and the archive after each, a fraction of a second, come out of the plan's slack); and
# the fingerprint check before the first step.
KILL_GRACE_S=2
STEP_OVERHEAD=$KILL_GRACE_S
SETUP_OVERHEAD=5
# trainbench's waits on the device give up this long before a step's cap (TRAINBENCH_GPU_WAIT_S),
# the time a step may take to start CUDA and reach its first wait, so that a hung kernel met early
# is recorded as one inside the cap, the results written; one met later is recorded at the cap's
# SIGTERM. At most GPU_WAIT_MAX_S: a hang costs no more than that in a long step (sanitizer steps,
# whose kernels run 10-100x slower, raise it).
START_UP_S=4
GPU_WAIT_MAX_S=30
FAILED=0
SMOKE_FAILED=0  # set by the smoke phase: the model runs after it are skipped
# One sample, no warm-up: the smoke steps and the sanitizer runs check kernels, they time nothing.
QUICK=(--device cuda --min-samples 1 --max-samples 1 --min-time 0 --warmup 0)
note() { echo "$*" | tee -a "$SUMMARY"; }

expand_phase() {
  case $1 in
    first) echo env smoke comm-1gpu run-models tests ;;
    # The model runs before the torch benchmarks: they are what the open issues wait for.
    second) echo sanitize-quick run-wgmma run-fp8 gemm-grouped bench-gemm-quick bench-attention-quick health ;;
    bench) echo bench-gemm bench-attention ;;
    run) echo smoke health comm-1gpu run-models run-wgmma run-moe run-fp8 ;;
    env | smoke | tests | cpu-tests | bench-gemm | bench-gemm-quick | bench-attention | bench-attention-quick | \
      health | comm-1gpu | run-models | run-wgmma | run-moe | run-fp8 | gemm-grouped | sanitize | sanitize-quick)
      echo "$1" ;;
    *) return 1 ;;
  esac
}
phases=()
for p in "${@:-first}"; do
  for word in $p; do
    if ! expanded=$(expand_phase "$word"); then
      note "unknown phase '$word'; phases: first second env smoke comm-1gpu run-models tests cpu-tests" \
        "bench bench-gemm bench-gemm-quick bench-attention bench-attention-quick health run run-wgmma" \
        "run-moe run-fp8 gemm-grouped sanitize sanitize-quick"
      exit 2
    fi
    read -r -a more <<<"$expanded"
    phases+=("${more[@]}")
  done
done

archive() {  # refreshed after every step: what ran comes back even if the call is cut off
  tar -czf "$OUT/gpu-check.tar.gz.tmp" -C "$(dirname "$LOG")" "$(basename "$LOG")" 2>/dev/null &&
    mv "$OUT/gpu-check.tar.gz.tmp" "$OUT/gpu-check.tar.gz"
}

run_logged() {  # name timeout_s command...: cut to the time left, skipped when too little is
  local name=$1 limit=$2; shift 2
  # The dry run plans on a clock of its own (each step takes its cap off DEADLINE), so that its
  # plan does not depend on how fast this machine runs the script.
  local now=$SECONDS
  [[ $DRY_RUN == 1 ]] && now=$START
  local left=$((DEADLINE - now - 10))
  if ((left < 20)); then
    note "$(printf '%-34s SKIPPED (%ss left of the budget)' "$name" "$left")"
    : >"$LOG/$name.log"
    FAILED=1
    return 125
  fi
  ((limit > left)) && limit=$left
  local wait_s=$((limit - START_UP_S))
  ((wait_s > GPU_WAIT_MAX_S)) && wait_s=$GPU_WAIT_MAX_S
  ((wait_s < 1)) && wait_s=1
  if [[ $DRY_RUN == 1 ]]; then
    note "$(printf '%-34s cap %4ss  wait %3ss  %s' "$name" "$limit" "$wait_s" "$*")"
    : >"$LOG/$name.log"
    PLANNED=$((PLANNED + limit + STEP_OVERHEAD))
    DEADLINE=$((DEADLINE - limit - STEP_OVERHEAD))
    return 0
  fi
  local start=$SECONDS
  TRAINBENCH_GPU_WAIT_S=$wait_s timeout -k "$KILL_GRACE_S" "$limit" "$@" >"$LOG/$name.log" 2>&1
  local rc=$?
  # 124: stopped at the cap; 137: killed KILL_GRACE_S later, having not ended on the stop.
  note "$(printf '%-34s rc=%-3s %4ss%s' "$name" "$rc" $((SECONDS - start)) "$( ((rc == 124 || rc == 137)) && echo ' TIMED OUT')")"
  ((rc != 0)) && FAILED=1
  archive
  return $rc
}

BIN=$ROOT/.device/bin
# A bundle built from other sources would measure other code: its fingerprint must match.
bundle_fingerprint() { scripts/build-device-bundle.sh --fingerprint; }
check_bundle() {
  [[ -x $BIN/trainbench ]] || { note "no .device/bin/trainbench: run scripts/build-device-bundle.sh here and carry .device"; exit 1; }
  local want have
  want=$(cat .device/FINGERPRINT 2>/dev/null)
  have=$(bundle_fingerprint)
  if [[ $want != "$have" ]]; then
    note "STALE BUNDLE: .device/ was built from other sources (fingerprint ${want:-none} != $have);" \
      "rebuild it with scripts/build-device-bundle.sh"
    [[ ${GPU_CHECK_ALLOW_STALE:-0} == 1 ]] || exit 1
  fi
}
if [[ $DRY_RUN == 1 ]]; then
  PLANNED=$SETUP_OVERHEAD DEADLINE=$((DEADLINE - SETUP_OVERHEAD))
else
  check_bundle
fi

# Libraries for our binaries only (torch keeps its own): the bundle's, CUDA's, then the cuBLAS and
# NCCL that PyTorch's wheels bring. Found by a step of its own, so that the plan counts its time.
note "== setup"
run_logged wheel-libs 5 python3 scripts/wheel-lib-dirs.py
TB_LIBS=$ROOT/.device/lib:/usr/local/cuda/lib64
while read -r d; do [[ -d $d ]] && TB_LIBS+=:$d; done <"$LOG/wheel-libs.log"
# The path inherited last: on the device the driver's libcuda and libnvidia-ml may be found only there.
TB_LD_PATH=$TB_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# A command prefix (timeout runs programs, not shell functions): "${LIBENV[@]}" cmd ...
LIBENV=(env "LD_LIBRARY_PATH=$TB_LD_PATH")
# The sanitizers slow kernels 10-100x: their steps let our CUDA waits run to 4 s before the cap
# (run_logged), up to this, where 30 s would call slow kernels hung.
SANITIZER_WAIT_MAX_S=600
# Not on every image's PATH: CUDA's own bin/ then.
cuda_tool() { command -v "$1" 2>/dev/null || echo "/usr/local/cuda/bin/$1"; }
NVCC=$(cuda_tool nvcc)
SANITIZER=$(cuda_tool compute-sanitizer)

# The benches call trainbench as a program: a wrapper puts our libraries first and, after them,
# whatever path the wrapper itself inherits when it runs (the driver's, as for LIBENV).
TB=$LOG/tb
printf '#!/usr/bin/env bash\nLD_LIBRARY_PATH=%q${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec %q "$@"\n' \
  "$TB_LIBS" "$BIN/trainbench" >"$TB"
chmod +x "$TB"
# The binaries were built elsewhere: point them at this checkout's configs and each other.
export TRAINBENCH_CONFIG_DIR=$ROOT/configs TRAINBENCH_TEST_BINARY=$TB

# Informational: a command that fails says so in env.log, the step does not fail. Its timeouts add
# up to less than the step's cap (tests/scripts/gpu_check_plan.sh checks it), so that every line
# is reached; the torch probe first, the slowest and the one whose lines (which cuBLAS and NCCL
# torch maps) nothing else gives: one interpreter for both questions, as importing torch takes seconds.
env_report() {
  timeout 11 python3 -c 'import torch, re
print("torch", torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))
torch.ones(1).cuda() @ torch.ones(1, 1).cuda()
print("torch'"'"'s:", *sorted(set(re.findall(r"/\S*lib(?:cublas|nccl)\S*", open("/proc/self/maps").read()))), sep="\n  ")'
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "TB_LD_PATH=$TB_LD_PATH"
  echo "ldconfig:"; timeout 1 ldconfig -p | grep -E 'libcuda\.so|libnvidia-ml|libnccl'
  timeout 3 nvidia-smi
  timeout 2 nvidia-smi -q -d CLOCK,POWER,PERFORMANCE
  timeout 1 "$NVCC" --version
  ls /usr/local/cuda/lib64 | grep -E 'cublas|nccl'
  echo "ours:"; timeout 1 env LD_LIBRARY_PATH="$TB_LD_PATH" ldd "$BIN/trainbench" | grep -E 'cublas|nccl|cudart|not found'
  return 0
}

report_devices() {  # devices' last lines in the summary; without a GPU, nothing after it can pass
  tail -n 12 "$LOG/devices.log" | sed 's/^/  devices: /' >>"$SUMMARY"
  if grep -q '^No usable GPU' "$LOG/devices.log"; then
    note "FAILED: trainbench sees no usable GPU (devices.log above); the GPU steps after it cannot pass"
    FAILED=1
  fi
}

phase_env() {
  export -f env_report
  export TB_LD_PATH BIN NVCC
  run_logged env 20 bash -c env_report
  run_logged devices 10 "$TB" devices
  report_devices
}

phase_smoke() {
  # Kernels that never ran on a GPU meet one here first, small and on a short leash, so that a
  # hang costs seconds rather than every model run's cap. Seq 130 leaves a ragged last tile; d 128
  # and causal as in the models; GQA (4 heads, 2 KV heads).
  local pass
  for pass in fwd bwd; do
    run_logged "smoke-attention-$pass" 8 "$TB" attention --batch 1 --heads 4 --kv-heads 2 --seq 130 \
      --head-dim 128 --causal --pass "$pass" --impl fused "${QUICK[@]}" || SMOKE_FAILED=1
  done
  run_logged smoke-gemm 9 "$TB" gemm -m 256 -n 256 -k 256 --dtype bf16 "${QUICK[@]}" || SMOKE_FAILED=1
  if ((SMOKE_FAILED)); then
    note "  smoke FAILED (smoke-*.log): the model runs are skipped, the tests still run"
  fi
}

phase_tests() {
  # The wgmma kernel runs apart, on a short leash: its first run on real hardware must not take
  # the other GPU tests down with it if it faults or hangs. The hang probe apart too, below.
  run_logged gpu-tests 48 "${LIBENV[@]}" "$BIN/trainbench_gpu_tests" --gtest_filter='-*Wgmma*:HangProbe.*' \
    --gtest_output=xml:"$LOG/gpu-tests.xml"
  grep -E '^\[  (PASSED|FAILED|SKIPPED)' "$LOG/gpu-tests.log" | tee -a "$SUMMARY"
  run_logged gpu-tests-wgmma 25 "${LIBENV[@]}" "$BIN/trainbench_gpu_tests" --gtest_filter='*Wgmma*' \
    --gtest_output=xml:"$LOG/gpu-tests-wgmma.xml"
  grep -E '^\[  (PASSED|FAILED|SKIPPED)|Failure|error' "$LOG/gpu-tests-wgmma.log" | head -20 | tee -a "$SUMMARY"
  # Does the process exit after a hung kernel (docs/perf/README.md)? Last in the call: it hangs a
  # kernel on purpose, and whatever came after would share the GPU with it should the driver not
  # reclaim it. Each probe is SIGKILLed 6 s after its start (a healthy one exits by 5 s) and given
  # 2 s more to die; the second (return from main) runs only when the first (trainbench's
  # std::_Exit) exited by itself, as in every other outcome it could only hang as well. So the
  # slowest outcome, a second probe that is killed and does not die, takes 3 s of CUDA start,
  # 6 + 6 + 2 s and 1 s of exit: 18 s, 2 s under the cap for a slower CUDA start
  # (tests/gpu/test_hang_probe.cpp's kGpuCheckCapS and kCapSlackS, which
  # tests/scripts/gpu_check_plan.sh checks against this line); about 8 s when nothing blocks.
  run_logged gpu-tests-hang 20 "${LIBENV[@]}" "$BIN/trainbench_gpu_tests" --gtest_filter='HangProbe.*' \
    --gtest_output=xml:"$LOG/gpu-tests-hang.xml"
  # One line a probe and its finding ("hang probe ..."), the verdicts, and a failure's first line.
  grep -E '^hang probe|^\[  (PASSED|FAILED|SKIPPED)|^EVEN std::_Exit|^the probe never wrote' "$LOG/gpu-tests-hang.log" |
    head -20 | tee -a "$SUMMARY"
}

phase_cpu_tests() { run_logged cpu-tests 300 "${LIBENV[@]}" "$BIN/trainbench_tests" --gtest_brief=1; }

phase_bench_gemm() {
  PYTHONUNBUFFERED=1 run_logged torch-gemm 420 python3 bench/torch_gemm.py --trainbench "$TB" --out "$LOG/torch_gemm.json"
  tail -20 "$LOG/torch-gemm.log" >>"$SUMMARY"
  # cuBLASLt's first heuristic choice short of the ratio goal: time its top 4, as frameworks that
  # autotune do (spread is not what candidates fix).
  if grep -q 'RATIO GOAL NOT MET' "$LOG/torch-gemm.log"; then
    PYTHONUNBUFFERED=1 run_logged torch-gemm-top4 420 python3 bench/torch_gemm.py --trainbench "$TB" --candidates 4 \
      --out "$LOG/torch_gemm_top4.json"
    tail -20 "$LOG/torch-gemm-top4.log" >>"$SUMMARY"
  fi
  # The same shapes as grouped GEMMs of 8 (a MoE layer's experts' form) beside torch's batched
  # matmul: one repeat, as it has 8x the FLOPs a shape.
  PYTHONUNBUFFERED=1 run_logged torch-gemm-batch8 300 python3 bench/torch_gemm.py --trainbench "$TB" --batch 8 \
    --repeats 1 --out "$LOG/torch_gemm_batch8.json"
  tail -20 "$LOG/torch-gemm-batch8.log" >>"$SUMMARY"
}

grouped_gemm_pair() {  # batch m n k: the batched launch first (it has never run on a GPU), then one group
  local batch=$1 shape=(-m "$2" -n "$3" -k "$4") common=(--dtype bf16 --device cuda --max-time 0.5)
  # The single group is only the batch's yardstick, and cuBLASLt's unbatched GEMM is verified in
  # every model run: --no-verify spares its host-side check (about 1 s at this shape).
  "$TB" gemm "${shape[@]}" --batch "$batch" "${common[@]}" --out "$LOG/gemm-grouped-batched.json" &&
    "$TB" gemm "${shape[@]}" "${common[@]}" --no-verify --out "$LOG/gemm-grouped-single.json"
}
phase_gemm_grouped() {
  # Mixtral 8x7B's expert_up at tp 1, ep 1 on 4096-token sequences: 4096 x 2 / 8 = 1024 rows per
  # expert, 4096 -> 2 x 14336 (SwiGLU's gate and up), its 8 experts one strided batched launch as
  # `run` measures a MoE layer (harness/workload/workload.cpp; tests/scripts/gpu_check_plan.sh
  # derives the shape from configs/models/mixtral-8x7b.toml). One step for both GEMMs: a step's
  # start and end cost 2 s of call 2's budget, which has room for one. The batch is verified
  # against the fp64 reference (three groups), the single group not (grouped_gemm_pair).
  export -f grouped_gemm_pair
  export TB LOG
  run_logged gemm-grouped 8 bash -c 'grouped_gemm_pair "$@"' grouped_gemm_pair 8 1024 28672 4096
  grep -E 'TFLOP/s|FAILED|error' "$LOG/gemm-grouped.log" | head -6 | sed 's/^/  gemm-grouped: /' >>"$SUMMARY"
}

phase_bench_gemm_quick() {
  # One repeat, what a short cap holds; the JSON is rewritten after every shape, so a cut run keeps
  # what it measured.
  PYTHONUNBUFFERED=1 run_logged torch-gemm 25 python3 bench/torch_gemm.py --trainbench "$TB" --repeats 1 --samples 30 \
    --out "$LOG/torch_gemm.json"
  tail -20 "$LOG/torch-gemm.log" >>"$SUMMARY"
}

phase_bench_attention_quick() {
  # Two causal shapes (GPT-3 175B's 2048 and 8192 tokens), each fused forward, wgmma forward and
  # fused backward beside SDPA's fastest backend.
  PYTHONUNBUFFERED=1 run_logged torch-attention 20 python3 bench/torch_attention.py --trainbench "$TB" --max-time 1 \
    --seqs 8192 --causal-only --out "$LOG/torch_attention.json"
  tail -20 "$LOG/torch-attention.log" >>"$SUMMARY"
}

phase_bench_attention() {
  # 13 shapes x (fused fwd, wgmma fwd, fused bwd): 2 s per measurement keeps it inside one call.
  PYTHONUNBUFFERED=1 run_logged torch-attention 540 python3 bench/torch_attention.py --trainbench "$TB" --max-time 2 \
    --out "$LOG/torch_attention.json"
  tail -20 "$LOG/torch-attention.log" >>"$SUMMARY"
}

phase_health() {
  run_logged health 15 "$TB" health --device cuda --max-time 2 --out "$LOG/health.json"
  grep -E '^  [A-Z]+ |^verdict' "$LOG/health.log" | sed 's/^/  health: /' >>"$SUMMARY"
}

phase_comm_1gpu() {
  # Issue 7 on one GPU: NCCL with one rank, the model's own message sizes, recorded.
  # NCCL_DEBUG=WARN: if the bootstrap (a socket even for one rank) fails in this container, the log says why.
  run_logged comm-1gpu 25 env NCCL_DEBUG=WARN "$TB" comm --backend nccl --max-time 1 --out "$LOG/comm-1gpu.json"
  tail -12 "$LOG/comm-1gpu.log" | sed 's/^/  comm: /' >>"$SUMMARY"
}

measure_model() {  # name, cap in seconds, then `trainbench run` flags
  local name=$1 cap=$2; shift 2
  if ((SMOKE_FAILED)); then
    note "$(printf '%-34s SKIPPED (the smoke step failed)' "run-$name")"
    return
  fi
  local start=$SECONDS
  run_logged "run-$name" "$cap" "$TB" run --device cuda "$@" --out "$LOG/run-$name.json"
  note "  $name: $((SECONDS - start)) s wall (trainbench run, start-up and extrapolation included)"
  grep -E 'step time|tokens/s|MFU|HFU' "$LOG/run-$name.log" | sed "s/^/  $name: /" >>"$SUMMARY"
}
phase_run_models() {
  # 175B with run's defaults, its 100 s budget included (issue 5: a 175B step in under 2 minutes);
  # the smaller models on 25 s each, which the results file records (workload.timing). The caps
  # add up so that, even at every cap, call 1 reaches the GPU tests (tests/scripts/gpu_check_plan.sh).
  # A run's budget is its kernels' timing only: the cap leaves 15 s or more for start-up, preparing
  # and verifying the kernels (Llama 3 8B's: its logits GEMMs over a 128256 vocabulary, its GQA
  # backward's fp64 reference), and the extrapolation.
  measure_model gpt3-175b 120 --model gpt3-175b --tp 8
  measure_model gpt3-xl 35 --model gpt3-xl --tp 1 --budget 20
  measure_model llama3-8b 35 --model llama3-8b --tp 1 --budget 20
}
# The second call's model runs (this one and run-fp8's) take short budgets, so that every step
# of that call fits its 260 s, each cap 15 s above its budget as in run-models.
phase_run_wgmma() { measure_model gpt3-175b-wgmma 30 --model gpt3-175b --tp 8 --impl wgmma --budget 15; }
# Mixture of experts: one of 8 experts per GPU, each on the 8192 tokens its 8 ranks route to it.
phase_run_moe() { measure_model mixtral-8x7b 150 --model mixtral-8x7b --tp 1 --ep 8 --seq 4096 --tokens 2T; }
# fp8 GEMMs in the layers, the rest bf16; MFU against the bf16 peak, so it reads beside run-models'.
phase_run_fp8() {
  measure_model gpt3-175b-fp8 30 --model gpt3-175b --tp 8 --dtype fp8 --budget 15
  measure_model llama3-8b-fp8 25 --model llama3-8b --tp 1 --dtype fp8 --budget 10
}

sanitize_probe() {  # called by the sanitize phases, whose GPU_WAIT_MAX_S it sees
  # gVisor machines refuse compute-sanitizer ("Device not supported"): find out in seconds. With our
  # own small attention kernel, not a GEMM: cuBLASLt's kernels loading under memcheck could take the
  # probe past its cap and skip the memchecks that follow, which use no cuBLASLt.
  if ! run_logged sanitize-probe 15 "${LIBENV[@]}" "$SANITIZER" --tool memcheck --error-exitcode 99 \
    "$BIN/trainbench" attention --batch 1 --heads 1 --seq 64 --head-dim 64 --pass fwd --impl fused "${QUICK[@]}"; then
    note "  compute-sanitizer does not run here (see sanitize-probe.log): sanitize skipped"
    return 1
  fi
}

phase_sanitize_quick() {
  local GPU_WAIT_MAX_S=$SANITIZER_WAIT_MAX_S
  sanitize_probe || return
  # The two kernels most likely to overrun a buffer on their first run, at the models' d 128:
  # the wgmma forward and the fused backward (causal, GQA, seq 130 for a ragged last tile). The
  # GEMM and the memory-bound kernels wait for the full `sanitize`.
  local run pass impl
  for run in fwd-wgmma bwd-fused; do
    pass=${run%-*} impl=${run#*-}
    run_logged "sanitize-memcheck-d128-$run" 20 "${LIBENV[@]}" "$SANITIZER" --tool memcheck \
      --error-exitcode 99 "$BIN/trainbench" attention --batch 2 --heads 4 --kv-heads 2 --seq 130 --head-dim 128 \
      --causal --pass "$pass" --impl "$impl" "${QUICK[@]}"
  done
  grep -hE 'ERROR SUMMARY' "$LOG"/sanitize-*.log | sort | uniq -c | tee -a "$SUMMARY"
}

phase_sanitize() {
  local GPU_WAIT_MAX_S=$SANITIZER_WAIT_MAX_S
  sanitize_probe || return
  # Small shapes: the sanitizers slow kernels 10-100x. Ragged (seq 130), causal and GQA cases, both
  # head dims, every implementation; a GEMM and the memory-bound kernels.
  local quick=(--device cuda --min-samples 1 --max-samples 2 --min-time 0 --warmup 0)
  local tool d pass impl
  for tool in ${SANITIZE_TOOLS:-memcheck racecheck synccheck}; do
    for d in 64 128; do
      for pass in fwd bwd; do
        for impl in fused unfused wgmma; do
          [[ $impl == wgmma && $pass == bwd ]] && continue  # wgmma's backward is fused's
          run_logged "sanitize-$tool-d$d-$pass-$impl" "$([[ $impl == wgmma ]] && echo 120 || echo 300)" \
            "${LIBENV[@]}" "$SANITIZER" --tool "$tool" --error-exitcode 99 \
            "$BIN/trainbench" attention --batch 2 --heads 4 --kv-heads 2 --seq 130 --head-dim "$d" --causal \
            --pass "$pass" --impl "$impl" "${quick[@]}"
        done
      done
    done
    run_logged "sanitize-$tool-gemm" 300 "${LIBENV[@]}" "$SANITIZER" --tool "$tool" --error-exitcode 99 \
      "$BIN/trainbench" gemm -m 200 -n 136 -k 72 --dtype bf16 --layout wgrad "${quick[@]}"
    run_logged "sanitize-$tool-memory-ops" 300 "${LIBENV[@]}" "$SANITIZER" --tool "$tool" --error-exitcode 99 \
      "$BIN/trainbench_gpu_tests" --gtest_filter='CudaMemoryOps.*:CudaAdam.*'
  done
  grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY|SYNCCHECK SUMMARY' "$LOG"/sanitize-*.log | sort | uniq -c | tee -a "$SUMMARY"
}

for phase in "${phases[@]}"; do
  note "== $phase"
  "phase_${phase//-/_}"
  archive
done
[[ $DRY_RUN == 1 ]] &&
  note "planned: ${PLANNED} s of a ${BUDGET} s budget at the steps' caps (+${STEP_OVERHEAD} s a step, its kill grace; +${SETUP_OVERHEAD} s setup); slack $((BUDGET - PLANNED)) s"
cat "$SUMMARY"
exit "$FAILED"
