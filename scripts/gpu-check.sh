#!/usr/bin/env bash
# Runs on a lent H100/H200. Carry .device/ (made here by scripts/build-device-bundle.sh).
# A task is lent 15 device-minutes in all, the machine's start included: two calls, planned here.
#   first         = env comm-1gpu run-models tests: what the open issues need, then the GPU tests
#                   (about 7 minutes at most; call with timeout_s 450)
#   second        = sanitize-quick bench-gemm-quick bench-attention-quick health run-wgmma run-fp8,
#                   in that order until its budget runs out (GPU_CHECK_BUDGET=260, timeout_s 280)
# The phases:
#   env           what the machine has (GPU, driver, nvcc, cuBLAS, NCCL, PyTorch); refuses a stale bundle
#   comm-1gpu     a one-rank NCCL `comm` over the model's own message sizes (issue 7 on one GPU)
#   run-models    `run` for gpt3-175b (tp 8, run's default 100 s budget), gpt3-xl, llama3-8b (35 s each)
#   tests         every GPU test (trainbench_gpu_tests), the wgmma forward's first run apart
#   cpu-tests     the CPU suite from the bundle (CI runs it already: only on request)
#   bench         = bench-gemm bench-attention: side by side with torch.matmul and SDPA, full tables;
#                   bench-gemm-quick and bench-attention-quick: two repeats, three sequence lengths
#   health        `trainbench health` (GEMM and bandwidth battery against the SKU)
#   run           = health comm-1gpu run-models run-wgmma run-moe run-fp8: also 175B with the wgmma
#                   forward, Mixtral 8x7B's expert GEMMs (ep 8, 4096-token sequences), and 175B and
#                   Llama 3 8B with fp8 GEMMs (Transformer Engine's recipe)
#   sanitize      compute-sanitizer (SANITIZE_TOOLS, default memcheck racecheck synccheck), every case;
#                   sanitize-quick: memcheck on the causal ragged GQA attention (d 128), a GEMM, the
#                   memory-bound kernels
# Usage: scripts/gpu-check.sh [phase ...]   (default: first)
# Every step is cut to what is left of GPU_CHECK_BUDGET (default 420 s) and skipped, said so, when
# too little is left (docs/perf/README.md has the plan). $OUT gets summary.txt (read it first) and
# gpu-check.tar.gz (logs and JSON), the archive refreshed after every step so a killed call
# still brings back what ran. Exit status: 0 when every step passed, 1 otherwise, 2 on usage.
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
DEADLINE=$((SECONDS + BUDGET))
DRY_RUN=${GPU_CHECK_DRY_RUN:-0}
PLANNED=0  # dry run: the caps added up, as if every step ran to its cap
FAILED=0
note() { echo "$*" | tee -a "$SUMMARY"; }

expand_phase() {
  case $1 in
    first) echo env comm-1gpu run-models tests ;;
    second) echo sanitize-quick bench-gemm-quick bench-attention-quick health run-wgmma run-fp8 ;;
    bench) echo bench-gemm bench-attention ;;
    run) echo health comm-1gpu run-models run-wgmma run-moe run-fp8 ;;
    env | tests | cpu-tests | bench-gemm | bench-gemm-quick | bench-attention | bench-attention-quick | health | \
      comm-1gpu | run-models | run-wgmma | run-moe | run-fp8 | sanitize | sanitize-quick)
      echo "$1" ;;
    *) return 1 ;;
  esac
}
phases=()
for p in "${@:-first}"; do
  for word in $p; do
    if ! expanded=$(expand_phase "$word"); then
      note "unknown phase '$word'; phases: first second env comm-1gpu run-models tests cpu-tests" \
        "bench bench-gemm bench-gemm-quick bench-attention bench-attention-quick health run run-wgmma" \
        "run-moe run-fp8 sanitize sanitize-quick"
      exit 2
    fi
    read -r -a more <<<"$expanded"
    phases+=("${more[@]}")
  done
done

# Libraries for our binaries only (torch keeps its own): the bundle's, CUDA's, then the cuBLAS and
# NCCL that PyTorch's wheels bring (nvidia/cu13/lib with CUDA 13 wheels, nvidia/nccl/lib).
wheel_lib_dirs=$(timeout 60 python3 - <<'PY' 2>/dev/null
import os
try:
    import nvidia
except Exception:
    raise SystemExit
seen = set()
for root in getattr(nvidia, "__path__", []):
    for dirpath, _, files in os.walk(root):
        if any(f.startswith(("libcublas", "libnccl", "libcudart")) for f in files) and dirpath not in seen:
            seen.add(dirpath)
            print(dirpath)
PY
)
TB_LIBS=$ROOT/.device/lib:/usr/local/cuda/lib64
while read -r d; do [[ -n $d ]] && TB_LIBS+=:$d; done <<<"$wheel_lib_dirs"
# A command prefix (timeout runs programs, not shell functions): "${LIBENV[@]}" cmd ...
LIBENV=(env "LD_LIBRARY_PATH=$TB_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")

BIN=$ROOT/.device/bin
# The benches call trainbench as a program: a wrapper gives it our library path and nothing else.
TB=$LOG/tb
printf '#!/usr/bin/env bash\nLD_LIBRARY_PATH=%q exec %q "$@"\n' "$TB_LIBS" "$BIN/trainbench" >"$TB"
chmod +x "$TB"
# The binaries were built elsewhere: point them at this checkout's configs and each other.
export TRAINBENCH_CONFIG_DIR=$ROOT/configs TRAINBENCH_TEST_BINARY=$TB

archive() {  # refreshed after every step: what ran comes back even if the call is cut off
  tar -czf "$OUT/gpu-check.tar.gz.tmp" -C "$(dirname "$LOG")" "$(basename "$LOG")" 2>/dev/null &&
    mv "$OUT/gpu-check.tar.gz.tmp" "$OUT/gpu-check.tar.gz"
}

run_logged() {  # name timeout_s command...: cut to the time left, skipped when too little is
  local name=$1 limit=$2; shift 2
  local left=$((DEADLINE - SECONDS - 10))
  if ((left < 20)); then
    note "$(printf '%-34s SKIPPED (%ss left of the budget)' "$name" "$left")"
    : >"$LOG/$name.log"
    FAILED=1
    return 125
  fi
  ((limit > left)) && limit=$left
  if [[ $DRY_RUN == 1 ]]; then
    note "$(printf '%-34s cap %4ss  %s' "$name" "$limit" "$*")"
    : >"$LOG/$name.log"
    PLANNED=$((PLANNED + limit))
    DEADLINE=$((DEADLINE - limit))
    return 0
  fi
  local start=$SECONDS
  timeout -k 10 "$limit" "$@" >"$LOG/$name.log" 2>&1
  local rc=$?
  note "$(printf '%-34s rc=%-3s %4ss%s' "$name" "$rc" $((SECONDS - start)) "$( ((rc == 124)) && echo ' TIMED OUT')")"
  ((rc != 0)) && FAILED=1
  archive
  return $rc
}

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
[[ $DRY_RUN == 1 ]] || check_bundle

phase_env() {
  [[ $DRY_RUN == 1 ]] || {
    timeout 30 nvidia-smi
    timeout 30 nvidia-smi -q -d CLOCK,POWER,PERFORMANCE
    nvcc --version
    ls /usr/local/cuda/lib64 | grep -E 'cublas|nccl'
    echo "TB_LIBS=$TB_LIBS"
    echo "ours:"; "${LIBENV[@]}" ldd "$BIN/trainbench" | grep -E 'cublas|nccl|cudart|not found'
    # One interpreter for both questions: importing torch takes seconds of a short lease.
    timeout 45 python3 -c 'import torch, re
print("torch", torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))
torch.ones(1).cuda() @ torch.ones(1, 1).cuda()
print("torch'"'"'s:", *sorted(set(re.findall(r"/\S*lib(?:cublas|nccl)\S*", open("/proc/self/maps").read()))), sep="\n  ")' 
  } >"$LOG/env.log" 2>&1
  run_logged devices 20 "$TB" devices
}

phase_tests() {
  # The wgmma kernel runs apart, on a short leash: its first run on real hardware must not take
  # the other GPU tests down with it if it faults or hangs.
  run_logged gpu-tests 80 "${LIBENV[@]}" "$BIN/trainbench_gpu_tests" --gtest_filter='-*Wgmma*' \
    --gtest_output=xml:"$LOG/gpu-tests.xml"
  grep -E '^\[  (PASSED|FAILED|SKIPPED)' "$LOG/gpu-tests.log" | tee -a "$SUMMARY"
  run_logged gpu-tests-wgmma 35 "${LIBENV[@]}" "$BIN/trainbench_gpu_tests" --gtest_filter='*Wgmma*' \
    --gtest_output=xml:"$LOG/gpu-tests-wgmma.xml"
  grep -E '^\[  (PASSED|FAILED|SKIPPED)|Failure|error' "$LOG/gpu-tests-wgmma.log" | head -20 | tee -a "$SUMMARY"
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
}

phase_bench_gemm_quick() {
  PYTHONUNBUFFERED=1 run_logged torch-gemm 150 python3 bench/torch_gemm.py --trainbench "$TB" --repeats 2 --samples 30 \
    --out "$LOG/torch_gemm.json"
  tail -20 "$LOG/torch-gemm.log" >>"$SUMMARY"
}

phase_bench_attention_quick() {
  PYTHONUNBUFFERED=1 run_logged torch-attention 150 python3 bench/torch_attention.py --trainbench "$TB" --max-time 1 \
    --seqs 1024,4096,16384 --out "$LOG/torch_attention.json"
  tail -20 "$LOG/torch-attention.log" >>"$SUMMARY"
}

phase_bench_attention() {
  # 13 shapes x (fused fwd, wgmma fwd, fused bwd): 2 s per measurement keeps it inside one call.
  PYTHONUNBUFFERED=1 run_logged torch-attention 540 python3 bench/torch_attention.py --trainbench "$TB" --max-time 2 \
    --out "$LOG/torch_attention.json"
  tail -20 "$LOG/torch-attention.log" >>"$SUMMARY"
}

phase_health() {
  run_logged health 120 "$TB" health --device cuda --max-time 5 --out "$LOG/health.json"
  grep -E '^  [A-Z]+ |^verdict' "$LOG/health.log" | sed 's/^/  health: /' >>"$SUMMARY"
}

phase_comm_1gpu() {
  # Issue 7 on one GPU: NCCL with one rank, the model's own message sizes, recorded.
  # NCCL_DEBUG=WARN: if the bootstrap (a socket even for one rank) fails in this container, the log says why.
  run_logged comm-1gpu 45 env NCCL_DEBUG=WARN "$TB" comm --backend nccl --max-time 2 --out "$LOG/comm-1gpu.json"
  tail -12 "$LOG/comm-1gpu.log" | sed 's/^/  comm: /' >>"$SUMMARY"
}

measure_model() {  # name, cap in seconds, then `trainbench run` flags
  local name=$1 cap=$2; shift 2
  local start=$SECONDS
  run_logged "run-$name" "$cap" "$TB" run --device cuda "$@" --out "$LOG/run-$name.json"
  note "  $name: $((SECONDS - start)) s wall (trainbench run, start-up and extrapolation included)"
  grep -E 'step time|tokens/s|MFU|HFU' "$LOG/run-$name.log" | sed "s/^/  $name: /" >>"$SUMMARY"
}
phase_run_models() {
  # 175B with run's defaults, its 100 s budget included (issue 5: a 175B step in under 2 minutes);
  # the smaller models on 35 s each, which the results file records (workload.timing). The caps
  # add up so that, even at every cap, call 1 reaches the GPU tests (tests/scripts/gpu_check_plan.sh).
  measure_model gpt3-175b 130 --model gpt3-175b --tp 8
  measure_model gpt3-xl 50 --model gpt3-xl --tp 1 --budget 35
  measure_model llama3-8b 50 --model llama3-8b --tp 1 --budget 35
}
phase_run_wgmma() { measure_model gpt3-175b-wgmma 90 --model gpt3-175b --tp 8 --impl wgmma --budget 60; }
# Mixture of experts: one of 8 experts per GPU, each on the 8192 tokens its 8 ranks route to it.
phase_run_moe() { measure_model mixtral-8x7b 150 --model mixtral-8x7b --tp 1 --ep 8 --seq 4096 --tokens 2T; }
# fp8 GEMMs in the layers, the rest bf16; MFU against the bf16 peak, so it reads beside run-models'.
phase_run_fp8() {
  measure_model gpt3-175b-fp8 90 --model gpt3-175b --tp 8 --dtype fp8 --budget 60
  measure_model llama3-8b-fp8 75 --model llama3-8b --tp 1 --dtype fp8 --budget 45
}

sanitize_probe() {
  # gVisor machines refuse compute-sanitizer ("Device not supported"): find out in seconds.
  if ! run_logged sanitize-probe 30 "${LIBENV[@]}" compute-sanitizer --tool memcheck --error-exitcode 99 \
    "$BIN/trainbench" gemm -m 64 -n 64 -k 64 --device cuda --min-samples 1 --max-samples 1 --min-time 0 --warmup 0; then
    note "  compute-sanitizer does not run here (see sanitize-probe.log): sanitize skipped"
    return 1
  fi
}

phase_sanitize_quick() {
  sanitize_probe || return
  local quick=(--device cuda --min-samples 1 --max-samples 1 --min-time 0 --warmup 0)
  local pass impl
  for pass in fwd bwd; do
    for impl in fused wgmma; do
      [[ $impl == wgmma && $pass == bwd ]] && continue
      run_logged "sanitize-memcheck-d128-$pass-$impl" 30 "${LIBENV[@]}" compute-sanitizer --tool memcheck \
        --error-exitcode 99 "$BIN/trainbench" attention --batch 2 --heads 4 --kv-heads 2 --seq 130 --head-dim 128 \
        --causal --pass "$pass" --impl "$impl" "${quick[@]}"
    done
  done
  run_logged sanitize-memcheck-gemm 30 "${LIBENV[@]}" compute-sanitizer --tool memcheck --error-exitcode 99 \
    "$BIN/trainbench" gemm -m 200 -n 136 -k 72 --dtype bf16 --layout wgrad "${quick[@]}"
  run_logged sanitize-memcheck-memory-ops 45 "${LIBENV[@]}" compute-sanitizer --tool memcheck --error-exitcode 99 \
    "$BIN/trainbench_gpu_tests" --gtest_filter='CudaMemoryOps.*'
  grep -hE 'ERROR SUMMARY' "$LOG"/sanitize-*.log | sort | uniq -c | tee -a "$SUMMARY"
}

phase_sanitize() {
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
            "${LIBENV[@]}" compute-sanitizer --tool "$tool" --error-exitcode 99 \
            "$BIN/trainbench" attention --batch 2 --heads 4 --kv-heads 2 --seq 130 --head-dim "$d" --causal \
            --pass "$pass" --impl "$impl" "${quick[@]}"
        done
      done
    done
    run_logged "sanitize-$tool-gemm" 300 "${LIBENV[@]}" compute-sanitizer --tool "$tool" --error-exitcode 99 \
      "$BIN/trainbench" gemm -m 200 -n 136 -k 72 --dtype bf16 --layout wgrad "${quick[@]}"
    run_logged "sanitize-$tool-memory-ops" 300 "${LIBENV[@]}" compute-sanitizer --tool "$tool" --error-exitcode 99 \
      "$BIN/trainbench_gpu_tests" --gtest_filter='CudaMemoryOps.*'
  done
  grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY|SYNCCHECK SUMMARY' "$LOG"/sanitize-*.log | sort | uniq -c | tee -a "$SUMMARY"
}

for phase in "${phases[@]}"; do
  note "== $phase"
  "phase_${phase//-/_}"
  archive
done
[[ $DRY_RUN == 1 ]] && note "planned: ${PLANNED} s of a ${BUDGET} s budget at the steps' caps"
cat "$SUMMARY"
exit "$FAILED"
