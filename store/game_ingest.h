// The learner's side of the games stream: take what actors sent, judge each
// entry by the rules (store/game_intake.h), hand the accepted games to the
// run's store, make them durable, and only then acknowledge them in Redis.
//
// The order is what makes a crash cost nothing: an entry is acknowledged
// only after the run holds its game durably (or after it was rejected for
// good), so a learner killed at any point gets its unacknowledged entries
// back on restart (ReadUnacknowledged) and drops those it had stored as
// duplicates, by their (actor, seq).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/game_record.h"
#include "store/game_intake.h"
#include "store/run_store.h"

namespace az::store {

struct IngestCounts {
  int64_t entries = 0;     // stream entries handled
  int64_t accepted = 0;    // games handed to the store
  int64_t positions = 0;   // moves of those games
  int64_t duplicates = 0;  // resends of games already stored
  int64_t rejected = 0;    // all kinds, also by kind below
  std::array<int64_t, 5> rejected_by_kind = {};  // indexed by Rejection
  // weights version of the learner at arrival minus the game's, summed
  // over accepted games (the version lag; divide by `accepted`).
  int64_t version_lag_sum = 0;
};

class GameIngest {
 public:
  // Keeps an accepted game (the run's shard and replay window); an error
  // stops the ingest, nothing acknowledged.
  using StoreGame = std::function<absl::Status(const GameMessage& origin,
                                               selfplay::GameRecord record)>;
  // Makes what StoreGame kept durable; entries are acknowledged after it.
  using Commit = std::function<absl::Status()>;

  GameIngest(const Game& game, GameStreamReader reader, SeenGames seen,
             StoreGame store, Commit commit, IntakeOptions options = {});

  // One round: at first, what a previous learner left unacknowledged; then
  // up to `count` new entries, waiting up to `block_ms` for the first.
  // `learner_version` is the weights version now published, for the lag.
  // Returns the number of entries handled (0: none came).
  absl::StatusOr<int> Poll(RedisConnection& redis, int count, int block_ms,
                           int64_t learner_version);

  // After a lost connection: the next Poll() first reads again what was
  // delivered and not acknowledged (the new connection does not get it
  // otherwise).
  void Recover() { recovered_ = false; }

  const IngestCounts& counts() const { return counts_; }
  const SeenGames& seen() const { return seen_; }

 private:
  absl::StatusOr<int> Handle(RedisConnection& redis,
                             const std::vector<StreamEntry>& entries,
                             int64_t learner_version);
  void LogRejection(const StreamEntry& entry, const IntakeVerdict& verdict);

  const Game& game_;
  GameStreamReader reader_;
  SeenGames seen_;
  StoreGame store_;
  Commit commit_;
  IntakeOptions options_;
  IngestCounts counts_;
  bool recovered_ = false;  // the unacknowledged entries are handled
  std::chrono::steady_clock::time_point last_log_{};
  int64_t unlogged_ = 0;
};

}  // namespace az::store
