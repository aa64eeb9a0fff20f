#include "selfplay/replay_buffer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "glog/logging.h"

namespace az::selfplay {

std::array<float, 3> ValueTarget::Wdl(TerminalReward z, float q) const {
  // A graded z splits its mass between the win (or loss) and the draw, so
  // that P(win) - P(loss) is z; a ternary z gives the one-hot target.
  const float paid = z.value();
  const std::array<float, 3> reward = {std::max(paid, 0.0f),
                                       1.0f - std::abs(paid),
                                       std::max(-paid, 0.0f)};
  const float clamped = std::clamp(q, -1.0f, 1.0f);
  const std::array<float, 3> search = {(1 + clamped) / 2, 0.0f,
                                       (1 - clamped) / 2};
  switch (kind) {
    case Kind::kReward:
      return reward;
    case Kind::kSearch:
      return search;
    case Kind::kMix:
      break;
  }
  std::array<float, 3> mix;
  for (int i = 0; i < 3; ++i) {
    mix[i] = (1 - alpha) * reward[i] + alpha * search[i];
  }
  return mix;
}

int64_t TrainingPositions(const GameRecord& record) {
  int64_t n = 0;
  for (const PositionRecord& p : record.positions) n += p.full_search ? 1 : 0;
  return n;
}

namespace {

// What is wrong with move `i` of `record` and the search before it, played
// in `state`; empty if nothing. `visited` is scratch space, one per action.
std::string MoveProblem(const Game& game, const State& state,
                        const GameRecord& record, size_t i,
                        std::vector<bool>* visited) {
  const Action move = record.moves[i];
  if (state.IsTerminal() || move < 0 || move >= game.NumActions() ||
      !state.IsLegal(move)) {
    return absl::StrCat("move ", i + 1, " is illegal");
  }
  const PositionRecord& p = record.positions[i];
  // The policy target: visits on distinct legal actions only.
  std::fill(visited->begin(), visited->end(), false);
  for (const auto& [action, count] : p.visits) {
    if (action < 0 || action >= game.NumActions() || !state.IsLegal(action) ||
        (*visited)[action]) {
      return absl::StrCat("visits on action ", action, " at move ", i + 1,
                          " (illegal or listed twice)");
    }
    (*visited)[action] = true;
  }
  // q can be a value target; v is only ever measured.
  if (!(p.q >= -1 && p.q <= 1)) {
    return absl::StrCat("a search value outside [-1, 1] at move ", i + 1);
  }
  return std::string();
}

// What is wrong with what finished `record` says it paid, against the
// game's spec replayed to its end (`state`); empty if nothing. The spec's
// own Reward() gives every position's z and the rules give the verdict: a
// record that says otherwise is damaged or forged, never a target.
std::string PayoutProblem(const Game& game, const State& state,
                          const GameRecord& record,
                          const std::vector<Player>& to_move) {
  if (record.reward != game.RewardSpec().name) {
    return absl::StrCat("paid under reward spec '", record.reward,
                        "', not the run's '", game.RewardSpec().name, "'");
  }
  if (!state.IsTerminal() || state.Outcome() != record.outcome) {
    return "the outcome does not match the moves";
  }
  if (record.verdict != state.Verdict()) {
    return absl::StrCat("the verdict (", VerdictName(record.verdict),
                        ") is not the rules' (", VerdictName(state.Verdict()),
                        ")");
  }
  const TerminalReward first = state.Reward(Player::kFirst);
  for (size_t i = 0; i < record.positions.size(); ++i) {
    const TerminalReward z =
        to_move[i] == Player::kFirst ? first : first.ForOpponent();
    if (record.positions[i].z != z) {
      return absl::StrCat("the reward at move ", i + 1,
                          " is not the one the reward spec gives");
    }
  }
  return std::string();
}

}  // namespace

absl::Status ValidateGameRecord(const Game& game, const GameRecord& record) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "game record (seed ", record.seed, ") of ", record.game, ": ", why));
  };
  if (record.game != game.Name()) {
    return invalid(absl::StrCat("expected a game of ", game.Name()));
  }
  if (record.moves.size() != record.positions.size()) {
    return invalid("moves and positions differ in number");
  }
  std::unique_ptr<State> state = game.NewInitialState();
  std::vector<bool> visited(game.NumActions());
  std::vector<az::Player> to_move;
  to_move.reserve(record.moves.size());
  for (size_t i = 0; i < record.moves.size(); ++i) {
    const std::string problem = MoveProblem(game, *state, record, i, &visited);
    if (!problem.empty()) return invalid(problem);
    to_move.push_back(state->ToMove());
    state->Apply(record.moves[i]);
  }
  if (record.outcome != GameOutcome::kOngoing) {
    const std::string payout = PayoutProblem(game, *state, record, to_move);
    if (!payout.empty()) return invalid(payout);
  }
  return absl::OkStatus();
}

ReplayBuffer::ReplayBuffer(const Game& game, ReplayBufferOptions options)
    : game_(game), options_(options) {
  CHECK_GT(options_.capacity_positions, 0);
  CHECK(options_.value_target.alpha >= 0 && options_.value_target.alpha <= 1)
      << options_.value_target.alpha;
}

absl::Status ReplayBuffer::AddGame(GameRecord record) {
  if (absl::Status valid = ValidateGameRecord(game_, record); !valid.ok()) {
    return valid;
  }
  StoredGame stored;
  stored.size = TrainingPositions(record);
  const int length = static_cast<int>(record.positions.size());
  if (stored.size < length) {
    stored.plies.reserve(stored.size);
    for (int ply = 0; ply < length; ++ply) {
      if (record.positions[ply].full_search) stored.plies.push_back(ply);
    }
  }
  stored.record = std::make_shared<const GameRecord>(std::move(record));
  std::lock_guard<std::mutex> lock(mutex_);
  ++games_added_;
  if (stored.size == 0) return absl::OkStatus();
  stored.first_position = positions_added_;
  positions_added_ += stored.size;
  games_.push_back(std::move(stored));
  // Drop games whose last position has slid out of the window.
  const int64_t window_start = positions_added_ - options_.capacity_positions;
  while (!games_.empty() &&
         games_.front().first_position + games_.front().size <= window_start) {
    games_.pop_front();
  }
  return absl::OkStatus();
}

std::vector<TrainingExample> ReplayBuffer::Sample(int n,
                                                  base::Rng& rng) const {
  struct Pick {
    std::shared_ptr<const GameRecord> record;
    int ply;
    int symmetry;
  };
  std::vector<Pick> picks;
  const int symmetries = static_cast<int>(game_.Symmetries().size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (games_.empty()) return {};
    const int64_t window_start =
        std::max(games_.front().first_position,
                 positions_added_ - options_.capacity_positions);
    const uint64_t window =
        static_cast<uint64_t>(positions_added_ - window_start);
    picks.reserve(n);
    for (int i = 0; i < n; ++i) {
      const int64_t serial =
          window_start + static_cast<int64_t>(rng() % window);
      // The last game starting at or before `serial`.
      auto it = std::upper_bound(
          games_.begin(), games_.end(), serial,
          [](int64_t s, const StoredGame& g) { return s < g.first_position; });
      --it;
      const int symmetry = options_.augment_symmetries
                               ? static_cast<int>(rng.Below(symmetries))
                               : 0;
      picks.push_back({it->record, it->Ply(serial), symmetry});
    }
  }
  std::vector<TrainingExample> examples;
  examples.reserve(picks.size());
  for (const Pick& pick : picks) {
    examples.push_back(MakeExample(*pick.record, pick.ply, pick.symmetry));
  }
  return examples;
}

TrainingExample ReplayBuffer::MakeExample(const GameRecord& record, int ply,
                                          int symmetry) const {
  std::unique_ptr<State> state = game_.NewInitialState();
  for (int i = 0; i < ply; ++i) state->Apply(record.moves[i]);
  const PositionRecord& position = record.positions[ply];
  const int observation_size = game_.GetObservationShape().size();
  TrainingExample example;
  example.observation.resize(observation_size);
  state->EncodeObservation(example.observation.data());
  example.policy.assign(game_.NumActions(), 0.0f);
  double total = 0;
  for (const auto& [action, count] : position.visits) total += count;
  if (total > 0) {
    for (const auto& [action, count] : position.visits) {
      example.policy[action] += static_cast<float>(count / total);
    }
  }
  if (symmetry != 0) {
    const Symmetry& sym = game_.Symmetries()[symmetry];
    std::vector<float> observation(observation_size);
    for (int i = 0; i < observation_size; ++i) {
      observation[i] = example.observation[sym.observation_source[i]];
    }
    example.observation = std::move(observation);
    std::vector<float> policy(game_.NumActions(), 0.0f);
    for (int a = 0; a < game_.NumActions(); ++a) {
      policy[sym.action_map[a]] = example.policy[a];
    }
    example.policy = std::move(policy);
  }
  example.v = position.v;
  example.q = position.q;
  example.z = position.z;
  example.value_wdl = options_.value_target.Wdl(position.z, position.q);
  example.symmetry = symmetry;
  example.weights_version = record.weights_version;
  return example;
}

ReplayBufferCounts ReplayBuffer::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  ReplayBufferCounts counts;
  counts.games_added = games_added_;
  counts.positions_added = positions_added_;
  counts.games_in_window = static_cast<int64_t>(games_.size());
  if (!games_.empty()) {
    counts.positions_in_window =
        positions_added_ -
        std::max(games_.front().first_position,
                 positions_added_ - options_.capacity_positions);
  }
  return counts;
}

std::string ShardFileName(int64_t index) {
  return absl::StrFormat("shard-%08d.azr", index);
}

namespace {

// The index of a shard file name, or -1 if `name` is not one.
int64_t ShardIndex(const std::string& name) {
  constexpr absl::string_view kPrefix = "shard-", kSuffix = ".azr";
  if (!absl::StartsWith(name, kPrefix) || !absl::EndsWith(name, kSuffix)) {
    return -1;
  }
  const std::string digits = name.substr(
      kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  int64_t index;
  if (digits.empty() || !absl::SimpleAtoi(digits, &index) || index < 0) {
    return -1;
  }
  return index;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListShards(const std::string& dir) {
  std::error_code error;
  std::vector<std::pair<int64_t, std::string>> shards;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    const int64_t index = ShardIndex(entry.path().filename().string());
    if (index >= 0) shards.push_back({index, entry.path().string()});
  }
  if (error) {
    return absl::ErrnoToStatus(error.value(),
                               absl::StrCat("cannot list shards in ", dir));
  }
  std::sort(shards.begin(), shards.end());
  std::vector<std::string> paths;
  for (auto& [index, path] : shards) paths.push_back(std::move(path));
  return paths;
}

absl::StatusOr<std::unique_ptr<ReplayStore>> ReplayStore::Open(
    const std::string& dir, const std::string& game, int games_per_shard) {
  CHECK_GT(games_per_shard, 0);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::ErrnoToStatus(
        error.value(),
        absl::StrCat("cannot create the replay directory ", dir));
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> shards, ListShards(dir));
  int64_t next = 0;
  if (!shards.empty()) {
    next = ShardIndex(std::filesystem::path(shards.back()).filename()) + 1;
  }
  return std::unique_ptr<ReplayStore>(
      new ReplayStore(dir, game, games_per_shard, next));
}

ReplayStore::ReplayStore(std::string dir, std::string game, int games_per_shard,
                         int64_t next_index)
    : dir_(std::move(dir)),
      game_(std::move(game)),
      games_per_shard_(games_per_shard),
      next_index_(next_index) {}

absl::Status ReplayStore::Append(const GameRecord& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (writer_ && writer_->records_appended() >= games_per_shard_) {
    absl::Status flushed = writer_->Flush();
    writer_.reset();
    if (!flushed.ok()) return flushed;
  }
  if (!writer_) {
    ASSIGN_OR_RETURN(
        writer_,
        ShardWriter::Open(absl::StrCat(dir_, "/", ShardFileName(next_index_)),
                          game_));
    ++next_index_;
    ++shards_started_;
  }
  // Written out at once: a finished game then outlives the process even if
  // it is killed before the next Flush().
  absl::Status status = writer_->Append(record);
  if (status.ok()) status = writer_->WriteOut();
  if (status.ok()) ++games_written_;
  return status;
}

absl::Status ReplayStore::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  return writer_ ? writer_->Flush() : absl::OkStatus();
}

int64_t ReplayStore::games_written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return games_written_;
}

int64_t ReplayStore::shards_started() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shards_started_;
}

absl::StatusOr<LoadStats> LoadRecentGames(const std::string& dir,
                                          ReplayBuffer* buffer) {
  ASSIGN_OR_RETURN(const std::vector<std::string> shards, ListShards(dir));
  const Game& game = buffer->game();
  const int64_t capacity = buffer->options().capacity_positions;
  LoadStats stats;
  // Newest shards first, until they hold a window's worth of positions.
  std::vector<std::vector<GameRecord>> newest_first;
  int64_t positions = 0;
  for (auto it = shards.rbegin(); it != shards.rend() && positions < capacity;
       ++it) {
    ASSIGN_OR_RETURN(std::optional<ShardContents> contents,
                     ReadShardOfGame(*it, game.Name()));
    // A damaged header costs that shard's games, never the resume.
    if (!contents.has_value()) {
      ++stats.damaged_shards;
      continue;
    }
    ++stats.shards_read;
    stats.corrupt_records += contents->corrupt_records;
    stats.corrupt_bytes += contents->corrupt_bytes;
    stats.truncated_tail_bytes += contents->truncated_tail_bytes;
    for (const GameRecord& r : contents->records) {
      positions += TrainingPositions(r);
    }
    newest_first.push_back(std::move(contents->records));
  }
  for (auto shard = newest_first.rbegin(); shard != newest_first.rend();
       ++shard) {
    for (GameRecord& record : *shard) {
      const int64_t size = TrainingPositions(record);
      absl::Status added = buffer->AddGame(std::move(record));
      if (!added.ok()) {
        ++stats.invalid_records;
        LOG(WARNING) << "skipped a record in " << dir << ": " << added;
        continue;
      }
      ++stats.games_loaded;
      stats.positions_loaded += size;
    }
  }
  return stats;
}

}  // namespace az::selfplay
