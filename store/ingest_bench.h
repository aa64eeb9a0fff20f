// How fast a learner takes games in: `az bench --what=ingest`. Several
// local processes send recorded games into a run's stream while this
// process ingests them as a learner does — decode, replay through the
// rules, write to a shard, make durable, acknowledge — and the figure is
// positions (and games) per second of that intake.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "store/redis_client.h"

namespace az::store {

struct IngestBenchOptions {
  RedisOptions redis;
  // Scratch run name in Redis (its keys are deleted before and after) and
  // scratch directory for the shards.
  std::string run = "az-bench-ingest";
  std::string dir;
  int senders = 2;        // sending processes
  int64_t games = 20000;  // in all
  int batch = 256;        // entries per read, and per send
  uint64_t seed = 1;
};

struct IngestBenchResult {
  int64_t games = 0;
  int64_t positions = 0;
  int64_t rejected = 0;  // should be 0: the games are legal
  double seconds = 0;    // first entry read to last acknowledged
  double games_per_s = 0;
  double positions_per_s = 0;
  double mean_record_bytes = 0;
};

// The games are legal games of `game` with random moves, each position
// carrying visits on every legal move (the shape of a self-play record).
absl::StatusOr<IngestBenchResult> MeasureIngest(const Game& game,
                                                const IngestBenchOptions& o);

}  // namespace az::store
