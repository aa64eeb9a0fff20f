#!/usr/bin/env bash
# Sets the machine up, builds, and starts the main job of az: a Connect Four
# self-play training run in runs/c4 with the default settings. It runs until
# interrupted: Ctrl-C stops it cleanly (final checkpoint, flushed game
# files), and running this script again resumes the run. Extra arguments go
# to az train, e.g. ./tools/quickstart.sh --max_minutes=60
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
# Only the binary and its LibTorch plugin: the tests are tools/test.sh's.
./tools/build.sh release az az_torch
mkdir -p runs
echo "== az train --game=connect4 --run_dir=runs/c4 $*"
echo "   (a progress line every 30 s; metrics in runs/c4/metrics.csv;"
echo "    Ctrl-C stops cleanly, the same command resumes)"
exec ./build/release/az train --game=connect4 --run_dir=runs/c4 "$@"
