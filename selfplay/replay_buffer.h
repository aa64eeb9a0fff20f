// The replay buffer: the most recent self-play positions, sampled for
// training, and the shard files that keep them across restarts.
//
// ReplayBuffer holds a sliding window of the newest N positions in memory
// (whole game records; the oldest game may be partly outside the window) and
// turns sampled positions into TrainingExamples: the observation after
// replaying the moves, the visit distribution as a policy target, and a WDL
// value target chosen explicitly by ValueTarget (the terminal reward z by
// default). ReplayStore appends each game to shard files in a directory
// (selfplay/record_io.h); LoadRecentGames() refills a window from them.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/random.h"
#include "games/game.h"
#include "selfplay/game_record.h"
#include "selfplay/record_io.h"

namespace az::selfplay {

// Which number the value head learns from. Targets are WDL distributions for
// the side to move, in the order {win, draw, loss}:
//  - kReward: z as one-hot (win {1,0,0}, draw {0,1,0}, loss {0,0,1}); a
//    graded z of a non-ternary reward spec splits between the draw and the
//    side it leans to ({z, 1-z, 0} for z > 0, {0, 1+z, -z} for z < 0), the
//    least-spread distribution whose P(win) - P(loss) is exactly z.
//  - kSearch: q in [-1, 1] as {(1+q)/2, 0, (1-q)/2}: a search value carries
//    no draw probability, so this is the draw-free distribution whose
//    expected value P(win) - P(loss) is exactly q.
//  - kMix: (1 - alpha) * reward target + alpha * search target.
struct ValueTarget {
  enum class Kind { kReward, kSearch, kMix };
  Kind kind = Kind::kReward;
  float alpha = 0.0f;  // weight of q, only for kMix, in [0, 1]

  static ValueTarget Reward() { return {Kind::kReward, 0.0f}; }
  static ValueTarget Search() { return {Kind::kSearch, 1.0f}; }
  static ValueTarget Mix(float alpha) { return {Kind::kMix, alpha}; }

  std::array<float, 3> Wdl(TerminalReward z, float q) const;
};

struct ReplayBufferOptions {
  int64_t capacity_positions = 100000;  // size of the sliding window
  bool augment_symmetries = false;  // a uniformly random symmetry per sample
  ValueTarget value_target;         // the reward z unless asked otherwise
};

// One sampled position, ready for the trainer.
struct TrainingExample {
  std::vector<float> observation;  // Game::GetObservationShape().size()
  std::vector<float> policy;       // NumActions(), the visits normalised
  std::array<float, 3> value_wdl;  // {win, draw, loss}, see ValueTarget
  float v = 0.0f;                  // the stored network value (for metrics)
  float q = 0.0f;                  // the stored search value
  TerminalReward z = TerminalReward::Draw();
  int symmetry = 0;  // index in Game::Symmetries() that was applied
  int64_t weights_version = 0;
};

// Totals since construction, for metrics. Positions are training positions:
// those with a full search (all of them without playout-cap randomization).
struct ReplayBufferCounts {
  int64_t games_added = 0;
  int64_t positions_added = 0;
  int64_t games_in_window = 0;  // games with at least one position inside
  int64_t positions_in_window = 0;
};

// The positions of `record` that got a full search: those training uses.
int64_t TrainingPositions(const GameRecord& record);

// OK if `record` can be replayed in `game`: same game, one position per move,
// every move legal, visits on distinct legal actions, the search value q in [-1, 1], and
// for a finished game: paid under `game`'s reward spec (by name), the
// outcome and every position's reward the ones that spec gives, and the
// intended verdict the one the rules give. Records from disk or another process go through this before
// anything replays or trains on them.
absl::Status ValidateGameRecord(const Game& game, const GameRecord& record);

// Thread-safe: actors call AddGame() while a trainer calls Sample().
class ReplayBuffer {
 public:
  ReplayBuffer(const Game& game, ReplayBufferOptions options);

  // Adds a finished game's training positions (those with a full search),
  // pushing the oldest out of the window.
  // InvalidArgument (and nothing added) if ValidateGameRecord() fails.
  absl::Status AddGame(GameRecord record);

  // `n` positions drawn uniformly (with replacement) from the window; empty
  // if the window is. The encoding happens outside the lock.
  std::vector<TrainingExample> Sample(int n, base::Rng& rng) const;

  ReplayBufferCounts counts() const;
  const Game& game() const { return game_; }
  const ReplayBufferOptions& options() const { return options_; }

 private:
  // A game in the window. Only positions with a full search are training
  // positions (see PositionRecord::full_search); serial numbers, the window
  // and the counts are in training positions.
  struct StoredGame {
    std::shared_ptr<const GameRecord> record;
    int64_t first_position;  // serial number of its first training position
    int64_t size;            // its training positions
    // The plies of its training positions, when some of its positions are
    // not; empty when every position is one (ply = serial - first_position).
    std::vector<int32_t> plies;
    int Ply(int64_t serial) const {
      const int64_t i = serial - first_position;
      return plies.empty() ? static_cast<int>(i) : plies[i];
    }
  };
  TrainingExample MakeExample(const GameRecord& record, int ply,
                              int symmetry) const;

  const Game& game_;
  const ReplayBufferOptions options_;
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see absl::Mutex's synchronisation.
  mutable std::mutex mutex_;  // guards everything below
  std::deque<StoredGame> games_;
  int64_t games_added_ = 0;
  int64_t positions_added_ = 0;  // = next serial
};

// Appends games to shard files shard-NNNNNNNN.azr in a directory, starting a
// new shard every `games_per_shard` games (and on every Open(), so a shard is
// only ever appended to by one run). Thread-safe.
class ReplayStore {
 public:
  // Creates `dir` if missing.
  static absl::StatusOr<std::unique_ptr<ReplayStore>> Open(
      const std::string& dir, const std::string& game, int games_per_shard);

  // Appends one game to the current shard; a full shard is flushed and
  // closed first. The record is written out before this returns (it
  // survives the process being killed) and is on disk after Flush().
  absl::Status Append(const GameRecord& record);
  absl::Status Flush();

  int64_t games_written() const;
  int64_t shards_started() const;

 private:
  ReplayStore(std::string dir, std::string game, int games_per_shard,
              int64_t next_index);

  const std::string dir_;
  const std::string game_;
  const int games_per_shard_;
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with
  // ThreadSanitizer, which then cannot see absl::Mutex's synchronisation.
  mutable std::mutex mutex_;  // guards everything below
  std::unique_ptr<ShardWriter> writer_;
  int64_t next_index_;
  int64_t games_written_ = 0;
  int64_t shards_started_ = 0;
};

// The file name of shard `index` ("shard-00000012.azr").
std::string ShardFileName(int64_t index);

// The shard files in `dir`, oldest (lowest index) first; files that are not
// shards are ignored.
absl::StatusOr<std::vector<std::string>> ListShards(const std::string& dir);

struct LoadStats {
  int64_t shards_read = 0;
  int64_t games_loaded = 0;
  int64_t positions_loaded = 0;  // training positions (full searches)
  int64_t corrupt_records = 0;       // skipped: damaged or undecodable
  int64_t truncated_tail_bytes = 0;  // skipped: incomplete last records
  int64_t invalid_records = 0;       // skipped: not replayable in the game
  int64_t corrupt_bytes = 0;         // skipped: damage between records
  int64_t damaged_shards = 0;        // skipped whole: the header is damaged
};

// Refills `buffer` with the newest games of the shards in `dir`, reading
// shards newest first until the buffer's capacity is covered, then adding
// the games oldest first. Damaged records and tails are skipped and counted,
// and so are shards whose header is damaged (left as they are: a new run's
// games go to a new shard). A shard that cannot be read, is of another game
// or of a newer format is an error.
absl::StatusOr<LoadStats> LoadRecentGames(const std::string& dir,
                                          ReplayBuffer* buffer);

}  // namespace az::selfplay
