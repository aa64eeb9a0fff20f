#!/usr/bin/env bash
# Installs what az needs to build (Debian packages), and nothing that is
# already there. Idempotent; runs apt as root, or through sudo.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev libabsl-dev libgflags-dev libgoogle-glog-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libbenchmark-dev
  gnuplot-nox
  redis-server libhiredis-dev
  libcpp-httplib-dev chromium chromium-driver
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: installed ${#missing[@]} package(s)"
