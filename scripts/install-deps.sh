#!/usr/bin/env bash
# Installs the Debian packages trainbench builds and tests with. Idempotent.
# Usage: scripts/install-deps.sh [--with-browser]   (the browser is for the report test)
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config
          libfmt-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
          libbenchmark-dev libgtest-dev libgmock-dev libopenblas-dev
          libopenmpi-dev openmpi-bin libjs-chart.js python3)
if [[ "${1:-}" == "--with-browser" ]]; then packages+=(chromium); fi
# NCCL's header, for the GPU build's `trainbench comm`: the CUDA runfile does not ship it, NVIDIA's
# CUDA apt repository does (libnccl-dev). Asked for only where CUDA is and an apt source offers it.
if [[ -x /usr/local/cuda/bin/nvcc && ! -e /usr/local/cuda/include/nccl.h && ! -e /usr/include/nccl.h &&
      -z "${NCCL_INCLUDE_DIR:-}" ]]; then
  if apt-cache show libnccl-dev >/dev/null 2>&1; then packages+=(libnccl-dev)
  else echo "install-deps: note: no apt source offers libnccl-dev (NVIDIA's CUDA repository does; or the apt" \
            "lists are empty: apt-get update, then rerun):" \
            "the GPU build will lack NCCL (\`trainbench comm\` keeps its MPI backend); set NCCL_INCLUDE_DIR to add it" >&2
  fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      echo "install-deps: not root and no sudo: run as root, or install these first: ${missing[*]}" >&2
      exit 1
    fi
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
