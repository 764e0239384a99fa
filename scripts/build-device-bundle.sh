#!/usr/bin/env bash
# Run HERE (the development machine, which has the Debian -dev packages and nvcc): builds an
# sm_90a-only trainbench in build-device/ and gathers what a bare device machine needs in
# .device/: bin/ (trainbench, the two test binaries and tb_hang_probe, which the GPU tests spawn
# from beside their own binary), lib/ (the few shared libraries the device lacks: fmt, toml++,
# Google Benchmark) and FINGERPRINT (of the sources built, which scripts/gpu-check.sh compares
# with the checkout it runs in: a stale bundle is refused). Then,
# with the device tool, two calls (docs/perf/README.md has the plan):
#   run(command="scripts/gpu-check.sh first", carry=[".device"], timeout_s=450), then at once
#   run(command="GPU_CHECK_BUDGET=260 scripts/gpu-check.sh second", carry=[".device"], timeout_s=280)
# .device/ is git-ignored and must stay under the 64 MiB a call carries (about 32 MB).
# `--fingerprint` prints the fingerprint of the sources as they are now, and exits.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the binaries are compiled from; configs/ and bench/ are read at run time, not built in.
fingerprint() {
  find CMakeLists.txt cmake cli harness kernels tests -type f \
    \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' -o -name 'CMakeLists.txt' \
    -o -name '*.cmake' \) -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}
if [[ ${1:-} == --fingerprint ]]; then
  fingerprint
  exit 0
fi

scripts/install-deps.sh
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DTB_CUDA_ARCHS=90a -DTB_WITH_OPENBLAS=OFF \
  -DTB_ENABLE_MPI=OFF -DCMAKE_BUILD_RPATH='$ORIGIN/../lib'
cmake --build build-device -j "$(nproc)" --target trainbench trainbench_tests trainbench_gpu_tests tb_hang_probe
rm -rf .device && mkdir -p .device/bin .device/lib
cp build-device/cli/trainbench build-device/tests/trainbench_tests build-device/tests/trainbench_gpu_tests \
  build-device/tests/tb_hang_probe .device/bin/
# Everything the binaries link that is not glibc, libstdc++, CUDA's own or the driver's (the
# device has CUDA 13's cuBLAS, and NCCL inside PyTorch's wheels). A library ldd cannot find here
# would not be found there either: stop.
skip='/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux|libcuda|libcublas|libcublasLt|libnccl|libnvidia)[.-]'
for bin in .device/bin/*; do
  if ldd "$bin" | grep 'not found' | grep -vE 'lib(cuda|cublas|cublasLt|nccl|nvidia)'; then
    echo "build-device-bundle: $bin needs libraries not found here (above)" >&2
    exit 1
  fi
  { ldd "$bin" | awk '/=> \// {print $3}' | grep -vE "$skip" || true; } |
    while read -r lib; do
      if [[ -f "$lib" && ! -e .device/lib/$(basename "$lib") ]]; then cp -L "$lib" .device/lib/; fi
    done
done
fingerprint >.device/FINGERPRINT
echo "fingerprint $(cat .device/FINGERPRINT) (HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ', uncommitted changes'))"
du -sh .device
