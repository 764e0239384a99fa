#!/usr/bin/env bash
# Run HERE (the development machine, which has the Debian -dev packages and nvcc): builds an
# sm_90a-only trainbench in build-device/ and gathers what a bare device machine needs in
# .device/: bin/ (trainbench and the two test binaries) and lib/ (the few shared libraries the
# device lacks: fmt, toml++, Google Benchmark). Then, with the device tool:
#   run(command="scripts/gpu-check.sh", carry=[".device"])
# .device/ is git-ignored and must stay under the 64 MiB a call carries (about 25 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DTB_CUDA_ARCHS=90a -DTB_WITH_OPENBLAS=OFF \
  -DTB_ENABLE_MPI=OFF -DCMAKE_BUILD_RPATH='$ORIGIN/../lib'
cmake --build build-device -j "$(nproc)" --target trainbench trainbench_tests trainbench_gpu_tests
rm -rf .device && mkdir -p .device/bin .device/lib
cp build-device/cli/trainbench build-device/tests/trainbench_tests build-device/tests/trainbench_gpu_tests .device/bin/
# Everything the binaries link that is not glibc, libstdc++, CUDA's own or the driver's
# (the device has CUDA 13's cuBLAS, and NCCL inside PyTorch's wheels).
for bin in .device/bin/*; do
  ldd "$bin" | awk '/=>/ {print $3}' | grep -vE '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux|libcuda|libcublas|libcublasLt|libnccl|libnvidia)[.-]' |
    while read -r lib; do
      if [[ -f "$lib" && ! -e .device/lib/$(basename "$lib") ]]; then cp -L "$lib" .device/lib/; fi
    done
done
du -sh .device
