#!/usr/bin/env bash
# Installs the Debian packages trainbench builds and tests with. Idempotent.
# Usage: scripts/install-deps.sh [--with-browser]   (the browser is for the report test)
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config
          libfmt-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
          libbenchmark-dev libgtest-dev libgmock-dev libopenblas-dev
          libopenmpi-dev openmpi-bin libjs-chart.js python3)
if [[ "${1:-}" == "--with-browser" ]]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "install-deps: all packages present"
