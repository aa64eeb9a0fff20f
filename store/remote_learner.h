// The learner's link to its actors in a distributed run (az train --store):
// it publishes the run's settings and every new set of weights to Redis,
// and a thread of its own ingests the games actors send (store/game_ingest.h)
// into the run, through the same path the in-process actors' games take.
//
// The run directory stays the only durable copy of everything: Redis holds
// the settings (republished at every start), the newest two weights and the
// games not yet stored. A Redis that goes away is waited for and
// reconnected to; what was read but not acknowledged then is read again.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "nn/checkpoint.h"
#include "selfplay/training_run.h"
#include "store/game_ingest.h"
#include "store/redis_client.h"
#include "store/run_settings.h"

namespace az::store {

struct RemoteLearnerOptions {
  RedisOptions redis;
  std::string run;  // the run's name: its keys' prefix
  // The consumer name in the stream's group; a restarted learner under the
  // same name takes back what it had read and not acknowledged.
  std::string consumer = "learner";
  // Who this learner is, for the lease that keeps a second learner (another
  // run directory under the same name) off the run: host and run directory.
  std::string owner;
  int batch = 256;     // entries per read
  int block_ms = 500;  // how long one read waits for entries
  IntakeOptions intake;
};

// The training run's RemoteActors on Redis.
class RemoteLearner final : public selfplay::RemoteActors {
 public:
  // Connects. The lease is taken and `settings` published with the first
  // weights (once the run directory is locked), not here.
  static absl::StatusOr<std::unique_ptr<RemoteLearner>> Connect(
      const Game& game, const RemoteLearnerOptions& options,
      const RunSettings& settings);
  ~RemoteLearner() override;  // stops the ingest thread

  // selfplay::RemoteActors: the games go through the run's inbox, with
  // their origin set from the stream entry (not from the record's bytes).
  absl::Status Start(Inbox inbox,
                     std::vector<selfplay::GameOrigin> stored) override;
  absl::Status PublishWeights(const nn::Checkpoint& weights) override;
  void Stop() override;
  absl::Status failure() const override;
  Counts counts() const override;
  std::string Describe() const override;

  // Publishes weights for the actors. Their version in the store is the
  // checkpoint's weight version, or one above the newest published when
  // that is not higher (a learner resumed from an older checkpoint than
  // the weights it last published): versions in the store never go back.
  // Returns the version published.
  absl::StatusOr<int64_t> PublishWeightsVersion(nn::Checkpoint checkpoint);
  int64_t published_version() const { return published_version_.load(); }

  // Starts ingesting: every accepted game goes to `store` (which may block:
  // that is the learner's pace, and Redis holds the backlog meanwhile),
  // then `commit` makes a round durable before it is acknowledged. `seen`
  // are the (actor, seq) pairs the run holds already.
  absl::Status StartIngest(SeenGames seen, GameIngest::StoreGame store,
                           GameIngest::Commit commit);
  // (Stop() joins the ingest thread; what it read and did not commit stays
  // unacknowledged, for the next start. Safe to call more than once.
  // failure() is the first error the ingest could not get past, a failed
  // store or commit; a lost Redis is not one: it is waited for.)
  IngestCounts ingest_counts() const;
  bool connected() const { return connected_.load(); }

 private:
  RemoteLearner(const Game& game, RemoteLearnerOptions options);
  void IngestLoop();
  absl::Status Reconnect();
  // Takes the lease and publishes the settings, once.
  absl::Status ClaimRun();

  const Game& game_;
  RemoteLearnerOptions options_;
  RunKeys keys_;
  // The publishing connection (trainer thread) and the ingest thread's own.
  std::unique_ptr<RedisConnection> publisher_;
  std::unique_ptr<RedisConnection> reader_;
  std::unique_ptr<GameIngest> ingest_;
  RunSettings settings_;
  bool claimed_ = false;          // trainer thread
  bool publish_failing_ = false;  // trainer thread: Redis was away
  std::atomic<int64_t> published_version_{-1};
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{true};
  std::thread thread_;
  mutable std::mutex mu_;
  absl::Status failure_;  // under mu_
  IngestCounts counts_;   // under mu_: a copy after each round
};

}  // namespace az::store
