// The actor of a distributed run (az selfplay --store): plays a run's
// self-play games on this machine and sends them to the learner through
// Redis, with the run's settings and newest weights read from there.
//
// It is today's actor side, unchanged — the ActorFarm playing against an
// InferenceServer — wired to Redis instead of to an in-process learner:
//   - settings: read once at the start (a run that does not exist, another
//     format version, or a game or network this az cannot build is refused
//     in one line);
//   - weights: polled every `weights_poll_ms`; a newer version is fetched,
//     checked (checksum, checkpoint decoder, same game and shape) and
//     hot-swapped into the inference server between batches; damaged or
//     older weights are refused and the old ones kept;
//   - games: numbered (actor id, 1, 2, ...) and sent in batches; while
//     Redis cannot be reached they go to a bounded local spool and are sent
//     when it is back; while the learner's backlog is over the run's limit,
//     or the spool is full, the farm is paused rather than let anything
//     grow without bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nn/inference_server.h"
#include "store/redis_client.h"
#include "store/run_settings.h"

namespace az::store {

struct RemoteActorOptions {
  RedisOptions redis;
  std::string run;  // the run's name (its keys' prefix)
  int actor_threads = 1;
  int games_per_thread = 0;  // 0: the run's setting
  int64_t cache_entries = -1;  // evaluation cache entries; -1: the run's
  nn::InferenceServerOptions inference;
  // Where unsent games wait while Redis is away, and how much of them.
  std::string spool_path;
  int64_t spool_bytes = int64_t{64} << 20;
  // Stop after this long or this many games sent (0: no limit).
  double max_minutes = 0;
  int64_t max_games = 0;
  int weights_poll_ms = 1000;
  // Names this process's games; empty: host-pid-start time.
  std::string actor_id;
  uint64_t seed = 1;
  // The largest weights accepted from the store.
  int64_t max_weights_bytes = int64_t{1} << 30;
};

// What the actor has done, for its progress lines.
struct RemoteActorReport {
  double elapsed_s = 0;
  int64_t games_played = 0;   // finished by the farm
  int64_t games_sent = 0;     // accepted by Redis
  int64_t games_spooled = 0;  // waiting in the local spool now
  int64_t weights_version = 0;
  int64_t weights_refused = 0;  // damaged or older weights seen
  int64_t backlog = 0;          // the learner's, at the last look
  bool connected = true;
  bool paused = false;  // by the backlog or a full spool
  double games_per_s = 0;
};

class RemoteActor {
 public:
  // Connects, reads and checks the run's settings, waits for its first
  // weights (up to `wait_for_weights_s`), and builds the farm. Errors are
  // one line each.
  static absl::StatusOr<std::unique_ptr<RemoteActor>> Connect(
      const RemoteActorOptions& options, double wait_for_weights_s = 60);
  ~RemoteActor();

  const RunSettings& settings() const;
  std::string Describe() const;

  // Plays until `stop`, a limit, or a failure of the farm; reports every
  // `report_seconds`. Sends (or spools) every finished game before it
  // returns.
  absl::Status Run(const std::atomic<bool>& stop, double report_seconds,
                   const std::function<void(const RemoteActorReport&)>& report);

 private:
  struct Impl;
  explicit RemoteActor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace az::store
