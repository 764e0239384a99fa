#!/usr/bin/env bash
# Runs on a lent H100/H200. Carry .device/ (made here by scripts/build-device-bundle.sh):
#   1. env      what the machine has (GPU, driver, nvcc, cuBLAS, NCCL, PyTorch)
#   2. tests    every GPU test (trainbench_gpu_tests); `cpu-tests` runs the CPU suite too, on request
#   3. bench    side by side with PyTorch: bench/torch_gemm.py (bench-gemm), bench/torch_attention.py
#               (bench-attention); one 10-minute device call may need them apart
#   4. run      trainbench health and a one-rank NCCL `comm` (run-health), then `run` for gpt3-175b
#               (tp 8), gpt3-xl, llama3-8b (run-models); one 10-minute device call may need them apart
#   5. sanitize compute-sanitizer memcheck, racecheck and synccheck on the GPU kernels
# Usage: scripts/gpu-check.sh [phase ...]   (default: all phases, in that order)
# Everything lands in $OUT: summary.txt (read it first) and gpu-check.tar.gz (logs, JSON).
# Without a carried .device/ it tries to build for sm_90a on the device itself (which works only
# if the device has the -dev packages: fmt, toml++, CLI11, nlohmann-json, Google Benchmark, GoogleTest).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/out}
LOG=$OUT/gpu-check
mkdir -p "$LOG"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }
phases=("$@")
# Measurements before sanitizers: 30 device-minutes rarely hold everything, and the issues need
# the numbers; the GPU tests already verify every kernel's output.
((${#phases[@]})) || phases=(env tests bench run sanitize)

# Libraries: carried ones first, then CUDA's, then the NCCL/cuBLAS that PyTorch's wheels bring.
py_lib_dirs=$(python3 - <<'PY' 2>/dev/null
import importlib, os
for name in ("nvidia.nccl", "nvidia.cublas", "nvidia.cuda_runtime"):
    try:
        m = importlib.import_module(name)
        for p in getattr(m, "__path__", []):
            d = os.path.join(p, "lib")
            if os.path.isdir(d): print(d)
    except Exception:
        pass
PY
)
export LD_LIBRARY_PATH="$ROOT/.device/lib:/usr/local/cuda/lib64:$(echo "$py_lib_dirs" | paste -sd:):${LD_LIBRARY_PATH:-}"

BIN=$ROOT/.device/bin
TB=$BIN/trainbench
# The binaries were built elsewhere: point them at this checkout's configs and each other.
export TRAINBENCH_CONFIG_DIR=$ROOT/configs TRAINBENCH_TEST_BINARY=$TB
build_here() {
  note "build: no carried .device/; building for sm_90a here"
  cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DTB_CUDA_ARCHS=90a -DTB_WITH_OPENBLAS=OFF \
    -DTB_ENABLE_MPI=OFF >"$LOG/build.log" 2>&1 &&
    cmake --build build-device -j 16 >>"$LOG/build.log" 2>&1 &&
    mkdir -p "$BIN" && cp build-device/cli/trainbench build-device/tests/trainbench_*tests "$BIN/"
}
[[ -x $TB ]] || build_here || { note "build FAILED: see build.log"; }

run_logged() {  # name timeout_s command...
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$LOG/$name.log" 2>&1
  local rc=$?
  note "$(printf '%-28s rc=%-3s %4ss' "$name" "$rc" $((SECONDS - start)))"
  return $rc
}

for phase in "${phases[@]}"; do
  case $phase in
    env)
      { nvidia-smi; nvidia-smi -q -d CLOCK,POWER,PERFORMANCE; nvcc --version; ls /usr/local/cuda/lib64 | grep -E 'cublas|nccl';
        python3 -c 'import torch; print("torch", torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))';
        echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; ldd "$TB"; } >"$LOG/env.log" 2>&1
      run_logged devices 60 "$TB" devices
      ;;
    tests)
      # The wgmma kernel runs apart, on a short leash: its first run on real hardware must not
      # take the other GPU tests down with it if it faults or hangs.
      run_logged gpu-tests 480 "$BIN/trainbench_gpu_tests" --gtest_filter='-*Wgmma*' --gtest_output=xml:"$LOG/gpu-tests.xml"
      grep -E '^\[  (PASSED|FAILED|SKIPPED)' "$LOG/gpu-tests.log" | tee -a "$SUMMARY"
      run_logged gpu-tests-wgmma 120 "$BIN/trainbench_gpu_tests" --gtest_filter='*Wgmma*' \
        --gtest_output=xml:"$LOG/gpu-tests-wgmma.xml"
      grep -E '^\[  (PASSED|FAILED|SKIPPED)|Failure|error' "$LOG/gpu-tests-wgmma.log" | head -20 | tee -a "$SUMMARY"
      ;;
    cpu-tests)  # the CPU suite from the bundle: CI runs it already, so only on request
      run_logged cpu-tests 300 "$BIN/trainbench_tests" --gtest_brief=1
      ;;
    sanitize)
      # Small shapes: the sanitizers slow kernels 10-100x. Ragged, causal and GQA cases, both
X
      quick=(--min-samples 1 --max-samples 2 --min-time 0 --warmup 0)
      # SANITIZE_TOOLS picks a subset when one 10-minute device call cannot hold all three.
      for tool in ${SANITIZE_TOOLS:-memcheck racecheck synccheck}; do
        for d in 64 128; do
          for pass in fwd bwd; do
            for impl in fused unfused wgmma; do
              [[ $impl == wgmma && $pass == bwd ]] && continue  # wgmma's backward is fused's
              run_logged "sanitize-$tool-d$d-$pass-$impl" "$([[ $impl == wgmma ]] && echo 120 || echo 300)" compute-sanitizer --tool "$tool" --error-exitcode 99 \
                "$TB" attention --batch 2 --heads 4 --kv-heads 2 --seq 130 --head-dim "$d" --causal --pass "$pass" \
                --impl "$impl" "${quick[@]}"
            done
          done
        done
        run_logged "sanitize-$tool-gemm" 300 compute-sanitizer --tool "$tool" --error-exitcode 99 \
          "$TB" gemm -m 200 -n 136 -k 72 --dtype bf16 --layout wgrad "${quick[@]}"
        run_logged "sanitize-$tool-memory-ops" 300 compute-sanitizer --tool "$tool" --error-exitcode 99 \
          "$BIN/trainbench_gpu_tests" --gtest_filter='CudaMemoryOps.*'
      done
      grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY|SYNCCHECK SUMMARY' "$LOG"/sanitize-*.log | sort | uniq -c | tee -a "$SUMMARY"
      ;;
    bench | bench-gemm)
      PYTHONUNBUFFERED=1 run_logged torch-gemm 420 python3 bench/torch_gemm.py --trainbench "$TB" --out "$LOG/torch_gemm.json"
      tail -20 "$LOG/torch-gemm.log" >>"$SUMMARY"
      # cuBLASLt's first heuristic choice short of the goal: time its top 4, as frameworks that autotune do.
      if grep -q 'GOALS NOT MET' "$LOG/torch-gemm.log"; then
        PYTHONUNBUFFERED=1 run_logged torch-gemm-top4 420 python3 bench/torch_gemm.py --trainbench "$TB" --candidates 4 \
          --out "$LOG/torch_gemm_top4.json"
        tail -20 "$LOG/torch-gemm-top4.log" >>"$SUMMARY"
      fi
      ;;&
    bench | bench-attention)
      # 13 shapes x (fused fwd, wgmma fwd, fused bwd): 2 s per measurement keeps it inside one call.
      PYTHONUNBUFFERED=1 run_logged torch-attention 540 python3 bench/torch_attention.py --trainbench "$TB" --max-time 2 \
        --out "$LOG/torch_attention.json"
      tail -20 "$LOG/torch-attention.log" >>"$SUMMARY"
      ;;
    run | run-health)
      run_logged health 300 "$TB" health --out "$LOG/health.json"
      grep -E '^  [A-Z]+ |^verdict' "$LOG/health.log" | sed 's/^/  health: /' >>"$SUMMARY"
      # Issue 7 on one GPU: NCCL with one rank, the model's own message sizes, recorded.
      run_logged comm-1gpu 180 "$TB" comm --backend nccl --out "$LOG/comm-1gpu.json"
      tail -12 "$LOG/comm-1gpu.log" | sed 's/^/  comm: /' >>"$SUMMARY"
      ;;&
    run | run-models)
      # name:model and flags; the last one is the wgmma forward inside a whole step. Each run's
      # kernels share `trainbench run`'s default 100 s budget (issue 5: a 175B step in < 2 min),
      # so the four fit one 10-minute device call.
      for spec in "gpt3-175b:gpt3-175b --tp 8" "gpt3-xl:gpt3-xl --tp 1" "llama3-8b:llama3-8b --tp 1" \
                  "gpt3-175b-wgmma:gpt3-175b --tp 8 --impl wgmma"; do
        name=${spec%%:*}
        read -r -a args <<<"${spec#*:}"
        start=$SECONDS
        run_logged "run-$name" 170 "$TB" run --model "${args[@]}" --out "$LOG/run-$name.json"
        note "  $name: $((SECONDS - start)) s wall (trainbench run, incl. start-up and the extrapolation)"
        grep -E 'step time|tokens/s|MFU|HFU' "$LOG/run-$name.log" | sed "s/^/  $name: /" >>"$SUMMARY"
      done
      ;;
    run-health | run-models) ;;  # done above
    bench-gemm) ;;  # done above; `;;&` let it fall through to the test below
    *) note "unknown phase '$phase'; phases: env tests cpu-tests bench (= bench-gemm bench-attention) run (= run-health run-models) sanitize"; exit 2 ;;
  esac
done
tar -czf "$OUT/gpu-check.tar.gz" -C "$OUT" gpu-check && rm -rf "$LOG"
cat "$SUMMARY"
