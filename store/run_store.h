// A training run's share of Redis: its settings, its published weights and
// the stream of finished games, under keys named after the run. The learner
// (az train --store) writes settings and weights and reads games; actors
// (az selfplay --store) read settings and weights and append games.
//
// This layer moves bytes and says where they came from; it judges none of
// them. The weights are checked against their published checksum here (a
// damaged copy is refused), but a game's bytes are opaque: the learner
// decodes and replays every one through the rules (selfplay/), because an
// actor is not trusted with anything the rules can recompute.
//
// Key layout of run NAME (the braces are a Redis Cluster hash tag: all of a
// run's keys live on one shard):
//   az:{NAME}:settings        hash  field -> value, the run's fixed settings
//   az:{NAME}:weights         hash  version, crc32c, bytes: the newest
//   az:{NAME}:weights:V       string  the checkpoint file of version V
//   az:{NAME}:games           stream  one entry per finished game
//   az:{NAME}:learner         string  who trains the run (a lease)
// The games stream has one consumer group, "learner"; each entry has the
// fields actor, seq, weights_version and record.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/redis_client.h"

namespace az::store {

// Run names: 1 to 64 of [A-Za-z0-9._-], so that they are safe in keys, in
// ACL patterns and in file names.
absl::Status ValidateRunName(const std::string& name);

class RunKeys {
 public:
  explicit RunKeys(std::string run) : run_(std::move(run)) {}
  const std::string& run() const { return run_; }
  std::string settings() const { return Key("settings"); }
  std::string weights() const { return Key("weights"); }
  std::string weights(int64_t version) const;
  std::string games() const { return Key("games"); }
  std::string learner() const { return Key("learner"); }
  // The ACL key patterns of one run, for the README's actor user.
  std::string prefix() const { return "az:{" + run_ + "}:"; }

 private:
  std::string Key(const char* what) const { return prefix() + what; }
  std::string run_;
};

// --- Settings ---------------------------------------------------------------

// Publishes the run's settings (replacing what was there). The learner
// calls this at every start; the values do not change within a run.
absl::Status PublishSettings(RedisConnection& redis, const RunKeys& keys,
                             const std::map<std::string, std::string>& settings);
// The run's settings; NotFound naming the run when it has none (no learner
// ever started it, or another database).
absl::StatusOr<std::map<std::string, std::string>> ReadSettings(
    RedisConnection& redis, const RunKeys& keys);

// --- The learner's lease ----------------------------------------------------

// Takes or renews the lease that makes `owner` (host and run directory) the
// one learner of the run, for `ttl_ms`. FailedPrecondition naming the
// holder when another learner holds it: two run directories must not train
// one run in the store (give one of them another --run_name).
absl::Status HoldLearnerLease(RedisConnection& redis, const RunKeys& keys,
                              const std::string& owner, int64_t ttl_ms);

// --- Weights ----------------------------------------------------------------

struct WeightsInfo {
  int64_t version = 0;   // training step of the checkpoint, > 0 ... or 0
  uint32_t crc32c = 0;   // of the bytes
  int64_t bytes = 0;     // size of the checkpoint file
};

// Publishes a checkpoint file as version `version` and makes it the newest
// in one transaction; versions older than the previous one are deleted, so
// an actor that read the pointer just before always finds its bytes.
// `version` must be above every version published before (FailedPrecondition
// otherwise: weights never go back).
absl::Status PublishWeights(RedisConnection& redis, const RunKeys& keys,
                            int64_t version, const std::string& checkpoint);
// The newest weights' version, checksum and size; NotFound when none have
// been published yet.
absl::StatusOr<WeightsInfo> LatestWeights(RedisConnection& redis,
                                          const RunKeys& keys);
// The bytes of `info`, checked against its size and checksum (DataLoss when
// they differ; NotFound when that version has been deleted since). At most
// `max_bytes` are accepted.
absl::StatusOr<std::string> FetchWeights(RedisConnection& redis,
                                         const RunKeys& keys,
                                         const WeightsInfo& info,
                                         int64_t max_bytes);

// --- Games ------------------------------------------------------------------

// A finished game on its way to the learner. (actor, seq) names it: a
// resend after a fault carries the same pair, and the learner keeps each
// pair once.
struct GameMessage {
  std::string actor;        // the sending process, unique per process start
  uint64_t seq = 0;         // 1, 2, ... within that actor
  int64_t weights_version = 0;
  std::string record;       // the encoded game record (selfplay/record_io)
};

// Appends games to the stream in one round trip.
absl::Status SendGames(RedisConnection& redis, const RunKeys& keys,
                       const std::vector<GameMessage>& games);
// Entries in the stream that the learner has not yet taken off (its
// backlog; actors pause above a limit).
absl::StatusOr<int64_t> GamesBacklog(RedisConnection& redis,
                                     const RunKeys& keys);

// One entry read by the learner: its stream id, and the game or why the
// entry is not one (missing or malformed fields: garbage, to be counted and
// acknowledged, never trained on).
struct StreamEntry {
  std::string id;
  absl::Status parsed;  // OK: `game` holds the fields
  GameMessage game;
};

// The learner's side of the stream, through the consumer group.
class GameStreamReader {
 public:
  // Creates the consumer group (reading from the stream's start, so games
  // sent before the first learner came up are kept) if it does not exist.
  static absl::StatusOr<GameStreamReader> Open(RedisConnection& redis,
                                               const RunKeys& keys,
                                               std::string consumer);

  // Entries delivered to this learner before but not acknowledged (what a
  // learner killed between reading and storing left behind), then entries
  // of other consumers idle for `claim_idle_ms` (a learner that changed its
  // name). Empty once all are handled.
  absl::StatusOr<std::vector<StreamEntry>> ReadUnacknowledged(
      RedisConnection& redis, int count, int64_t claim_idle_ms);
  // New entries, waiting up to `block_ms` for the first.
  absl::StatusOr<std::vector<StreamEntry>> ReadNew(RedisConnection& redis,
                                                   int count, int block_ms);
  // Acknowledges and deletes entries, once their games are on disk (or
  // rejected for good).
  absl::Status Acknowledge(RedisConnection& redis,
                           const std::vector<std::string>& ids);

  static constexpr const char* kGroup = "learner";

 private:
  GameStreamReader(RunKeys keys, std::string consumer)
      : keys_(std::move(keys)), consumer_(std::move(consumer)) {}
  RunKeys keys_;
  std::string consumer_;
};

}  // namespace az::store
