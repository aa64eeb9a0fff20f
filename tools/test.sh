#!/usr/bin/env bash
# Sets the machine up, builds, and runs the whole test suite: the quick
# tests first, then the slow ones. Exits non-zero on any failure.
# usage: tools/test.sh [PRESET]   (release by default; asan, tsan, debug)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
./tools/setup.sh
./tools/build.sh "$preset"
ctest --preset "$preset" -L quick
if [ "$preset" != tsan ]; then
  ctest --preset "$preset" -L slow
fi
