// A small tic-tac-toe run as a learner would publish it, for the tests of
// the distributed run's parts: quick self-play settings and fresh weights.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "store/remote_actor.h"
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

// An actor's Run() on a thread of its own, reporting every `report_seconds`
// and keeping each report, until Stop() (or the destructor).
class ActorOnAThread {
 public:
  ActorOnAThread(RemoteActor& actor, double report_seconds)
      : thread_([this, &actor, report_seconds] {
          status_ = actor.Run(stop_, report_seconds,
                              [this](const RemoteActorReport& r) {
                                std::lock_guard<std::mutex> lock(mu_);
                                reports_.push_back(r);
                              });
        }) {}
  ~ActorOnAThread() { Stop().IgnoreError(); }
  ActorOnAThread(const ActorOnAThread&) = delete;
  ActorOnAThread& operator=(const ActorOnAThread&) = delete;

  // Stops the actor, waits for it and returns what Run() returned.
  absl::Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }

  std::vector<RemoteActorReport> Reports() {
    std::lock_guard<std::mutex> lock(mu_);
    return reports_;
  }
  // The last report (a default one before the first).
  RemoteActorReport Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return reports_.empty() ? RemoteActorReport() : reports_.back();
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<RemoteActorReport> reports_;
  absl::Status status_;
  std::thread thread_;  // last: it starts once the members above exist
};

}  // namespace az::store::testing
