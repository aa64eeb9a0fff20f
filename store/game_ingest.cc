#include "store/game_ingest.h"

#include <utility>

#include "glog/logging.h"

namespace az::store {
namespace {

// Entries reclaimed per round after a restart, and how long another
// consumer's entries must have been idle before they are taken over.
constexpr int kRecoverBatch = 256;
constexpr int64_t kClaimIdleMs = 30000;
// Rejections are logged at most once per this many seconds (with a count of
// the ones not logged), so a flood of garbage cannot flood the log.
constexpr double kLogEverySeconds = 5.0;

}  // namespace

GameIngest::GameIngest(const Game& game, GameStreamReader reader,
                       SeenGames seen, StoreGame store, Commit commit,
                       IntakeOptions options)
    : game_(game),
      reader_(std::move(reader)),
      seen_(std::move(seen)),
      store_(std::move(store)),
      commit_(std::move(commit)),
      options_(options) {}

absl::StatusOr<int> GameIngest::Poll(RedisConnection& redis, int count,
                                     int block_ms, int64_t learner_version) {
  if (!recovered_) {
    absl::StatusOr<std::vector<StreamEntry>> left =
        reader_.ReadUnacknowledged(redis, kRecoverBatch, kClaimIdleMs);
    if (!left.ok()) return left.status();
    if (!left->empty()) return Handle(redis, *left, learner_version);
    recovered_ = true;
  }
  absl::StatusOr<std::vector<StreamEntry>> entries =
      reader_.ReadNew(redis, count, block_ms);
  if (!entries.ok()) return entries.status();
  return Handle(redis, *entries, learner_version);
}

absl::StatusOr<int> GameIngest::Handle(RedisConnection& redis,
                                       const std::vector<StreamEntry>& entries,
                                       int64_t learner_version) {
  if (entries.empty()) return 0;
  std::vector<std::string> done;
  done.reserve(entries.size());
  for (const StreamEntry& entry : entries) {
    IntakeVerdict verdict = JudgeGameEntry(game_, entry, seen_, options_);
    ++counts_.entries;
    switch (verdict.kind) {
      case IntakeVerdict::Kind::kAccepted: {
        const int64_t moves = static_cast<int64_t>(verdict.record.moves.size());
        const int64_t lag = learner_version - verdict.record.weights_version;
        if (absl::Status s = store_(entry.game, std::move(verdict.record));
            !s.ok()) {
          return s;  // nothing of this round acknowledged: all come again
        }
        seen_.Insert(entry.game.actor, entry.game.seq);
        ++counts_.accepted;
        counts_.positions += moves;
        counts_.version_lag_sum += lag > 0 ? lag : 0;
        break;
      }
      case IntakeVerdict::Kind::kDuplicate:
        ++counts_.duplicates;
        break;
      case IntakeVerdict::Kind::kRejected:
        ++counts_.rejected;
        ++counts_.rejected_by_kind[static_cast<int>(verdict.rejection)];
        LogRejection(entry, verdict);
        break;
    }
    done.push_back(entry.id);
  }
  if (absl::Status s = commit_(); !s.ok()) return s;
  if (absl::Status s = reader_.Acknowledge(redis, done); !s.ok()) return s;
  return static_cast<int>(entries.size());
}

void GameIngest::LogRejection(const StreamEntry& entry,
                              const IntakeVerdict& verdict) {
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_log_).count() <
      kLogEverySeconds) {
    ++unlogged_;
    return;
  }
  LOG(WARNING) << "rejected game " << entry.id << " from actor '"
               << entry.game.actor.substr(0, 64) << "' seq " << entry.game.seq
               << ": " << verdict.reason.substr(0, 200)
               << (unlogged_ > 0 ? " (and " + std::to_string(unlogged_) +
                                       " more rejected since the last line)"
                                 : std::string());
  last_log_ = now;
  unlogged_ = 0;
}

}  // namespace az::store
