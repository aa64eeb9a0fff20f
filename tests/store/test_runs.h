// A small tic-tac-toe run as a learner would publish it, for the tests of
// the distributed run's parts: quick self-play settings and fresh weights.
#pragma once

#include <string>

#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "store/run_settings.h"
#include "store/run_store.h"

namespace az::store::testing {

inline const Game& TicTacToe() { return **FindGame("tictactoe"); }

// 8 simulations a move, 4 games per actor thread.
inline RunSettings TinyRunSettings(int64_t max_backlog = 100000) {
  RunSettings s;
  s.game = "tictactoe";
  s.farm.search = engine::SelfPlay(engine::DefaultSearchParams(TicTacToe()));
  s.farm.search.num_simulations = 8;
  s.farm.games_per_thread = 4;
  s.max_backlog = max_backlog;
  s.record_format = selfplay::kRecordFormatVersion;
  s.checkpoint_format = nn::kCheckpointFormatVersion;
  return s;
}

// A 1x8 network of weight version `version`.
inline nn::Checkpoint TinyWeights(int64_t version, uint64_t seed = 7) {
  nn::Checkpoint ck =
      nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(TicTacToe(), 1, 8),
                              seed)
          .value();
  ck.metadata.weight_version = version;
  return ck;
}

// Publishes TinyRunSettings() and TinyWeights(1) as run `keys`.
inline void PublishTinyRun(RedisConnection& redis, const RunKeys& keys,
                           int64_t max_backlog = 100000) {
  ASSERT_TRUE(
      PublishSettings(redis, keys, SettingsToFields(TinyRunSettings(max_backlog)))
          .ok());
  ASSERT_TRUE(
      PublishWeights(redis, keys, 1, *nn::EncodeCheckpoint(TinyWeights(1))).ok());
}

}  // namespace az::store::testing
