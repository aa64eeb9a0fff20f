#!/usr/bin/env bash
# Configures and builds one preset (default: release) with two jobs: every
# target, or only the TARGETs named (e.g. az az_torch: the binary and its
# LibTorch plugin, all that running az needs).
# usage: tools/build.sh [PRESET [TARGET...]]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
shift || true
cmake --preset "$preset" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build --preset "$preset" --target "$@"
else
  cmake --build --preset "$preset"
fi
