#!/usr/bin/env bash
# Run HERE (the development machine, which has the Debian -dev packages and nvcc): builds an
# sm_90a-only trainbench in build-device/ and copies the few shared libraries it needs that a
# bare device machine lacks into .deps/lib. Then, with the device tool:
#   run(command="scripts/gpu-check.sh", carry=["build-device", ".deps"])
# build-device/ and .deps/ are git-ignored; together they must stay under the 64 MiB carry.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DTB_CUDA_ARCHS=90a -DTB_WITH_OPENBLAS=OFF \
  -DTB_ENABLE_MPI=OFF -DCMAKE_BUILD_RPATH='$ORIGIN/../../.deps/lib;$ORIGIN/../.deps/lib'
cmake --build build-device -j "$(nproc)" --target trainbench trainbench_tests trainbench_gpu_tests
mkdir -p .deps/lib
# Everything the binaries link that is not glibc, libstdc++, CUDA's own or the driver's.
for bin in build-device/cli/trainbench build-device/tests/trainbench_tests build-device/tests/trainbench_gpu_tests; do
  ldd "$bin" | awk '/=>/ {print $3}' | grep -vE '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux|libcuda|libcublas|libcublasLt|libnccl|libnvidia)[.-]' |
    while read -r lib; do [[ -f "$lib" ]] && cp -Lu "$lib" .deps/lib/; done
done
# Drop the objects: only the binaries and the CTest files travel.
find build-device -name '*.o' -delete
du -sh build-device .deps
