#!/usr/bin/env bash
# Sets the machine up, builds, and runs the main job of az.
# Until self-play training lands, the strongest thing az does is to solve the
# public Connect Four benchmark positions exactly and check every score.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh release
data=../shared/data/connect4
mkdir -p runs/quickstart
for set in Test_L3_R1 Test_L2_R1 Test_L2_R2; do
  file=$data/$set
  [ -f "$file" ] || file=tests/data/connect4/${set}_head
  echo "== az solve --check $file"
  ./build/release/az solve --game=connect4 --positions="$file" --check \
    >"runs/quickstart/$set.scores"
  tail -n 1 "runs/quickstart/$set.scores"
done
