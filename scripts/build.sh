#!/usr/bin/env bash
# Installs the Debian packages trainbench needs, then configures and builds it in ./build.
# Usage: scripts/build.sh [--with-browser] [extra cmake -D options...]
#   --with-browser  also installs Chromium, which the HTML report test drives.
# CUDA is used when /usr/local/cuda/bin/nvcc exists; TB_CUDA_ARCHS narrows the architectures
# for quick local builds (e.g. TB_CUDA_ARCHS=90a); the default builds sm_80 and sm_90a.
set -euo pipefail
cd "$(dirname "$0")/.."
install_args=()
if [[ "${1:-}" == "--with-browser" ]]; then install_args+=(--with-browser); shift; fi
scripts/install-deps.sh "${install_args[@]}"
cmake_args=(-S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release)
if [[ -n "${TB_CUDA_ARCHS:-}" ]]; then cmake_args+=("-DTB_CUDA_ARCHS=${TB_CUDA_ARCHS}"); fi
cmake "${cmake_args[@]}" "$@"
cmake --build build -j "$(nproc)"
