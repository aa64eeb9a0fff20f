// Ground truth for `az gap`: what each position is really worth for the side
// to move, from the rules rather than from any learned value.
//
// In order of preference: the score a position file gives; the exact value
// from the game's solver; otherwise an estimate, the outcome frequencies of
// games played on from the position by a named player (flagged as an
// estimate everywhere it is reported). Where a solver exists, every legal
// move is labelled too, so that a chosen move can be judged a mistake.
//
// Labels are slow for some positions (shallow Connect Four positions take
// seconds each), so they are cached in a file beside the set, keyed by the
// set's content hash and by how they were made. The cache is written
// atomically and ends in a checksum; a stale cache is replaced, a damaged
// one is recomputed with a warning and never trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/measures.h"
#include "analysis/position_set.h"
#include "games/game.h"
#include "selfplay/player.h"

namespace az::analysis {

// kRulesVerdict: a position past the point where the real rules ended the
// game (reachable only under a reward spec that plays on, such as
// `no_diagonals`); the rules' value there is their frozen verdict.
enum class LabelSource { kFileScore, kSolver, kPlayout, kRulesVerdict };
// "file score", "solver", "playout estimate", "rules verdict".
std::string LabelSourceName(LabelSource source);

struct GroundTruth {
  // One-hot for the exact reward of a ternary spec, frequencies for a
  // playout estimate; for a graded spec's exact payoff x, the mix with
  // expectation x (win max(x, 0), loss max(-x, 0), draw the rest).
  RewardTarget target;
  LabelSource source = LabelSource::kSolver;
  // The game's exact score (file or solver), where known.
  std::optional<int> score;
  // The exact reward (-1, 0, +1; for a graded spec the sign of its payoff)
  // of every legal move for the player making it, in increasing action
  // order; empty where moves are not labelled.
  std::vector<std::pair<Action, int>> move_rewards;
};

// Whether playing `action` is a mistake according to `truth`'s move labels:
// another move has a strictly better exact reward. nullopt without labels.
std::optional<bool> IsMoveMistake(const GroundTruth& truth, Action action);

struct LabelOptions {
  // Label every legal move with the solver (where the game has one).
  bool label_moves = true;
  // Games played on from each position where no exact value is available
  // (0: none, and such a position is an error).
  int playout_games = 0;
  // Who plays those games (both sides); required when playout_games > 0.
  const selfplay::PlayerFactory* playout_player = nullptr;
  uint64_t seed = 1;
  int threads = 1;
  // The cache file ("" for no cache).
  std::string cache_path;
};

struct LabelStats {
  int64_t computed = 0;    // positions labelled now
  int64_t from_cache = 0;  // positions read from the cache
  bool cache_written = false;
  double seconds = 0.0;
  // "solver (exact), moves labelled" and the like, for reports.
  std::string description;
  bool any_estimate = false;
};

// The ground truth of every position of `set`, in order, under the reward
// spec its game plays by. A position file's scores are the rules' values, so
// they are used only for a game played by the rules; under another spec the
// solver labels every position. FailedPrecondition
// when some position has neither a file score nor a solver and no playouts
// were asked for; a solver or playout failure is returned as is.
absl::StatusOr<std::vector<GroundTruth>> LabelPositions(
    const PositionSet& set, const LabelOptions& options, LabelStats* stats);

// The rules' ground truth of every position of `set` (a set of a game
// played by any reward spec), in order: positions the real rules have not
// ended are replayed in `rules` (the same game played by the rules) and
// labelled there by LabelPositions, with options.cache_path as their cache;
// positions past the rules' end (State::Verdict() decided) get the rules'
// frozen verdict, exact, without move labels. `stats` describes the whole.
absl::StatusOr<std::vector<GroundTruth>> LabelPositionsByRules(
    const PositionSet& set, const Game& rules, const LabelOptions& options,
    LabelStats* stats);

// The most bytes one position's line takes in a label cache: three doubles,
// flags, a score and a label per legal move. 4 KiB holds some 500 move
// labels, more than any game here has legal moves.
constexpr size_t kMaxLabelCacheBytesPerPosition = 4096;

// The cache file's contents for `labels`, and back. ReadLabelCache gives
// NotFound for a missing file, DataLoss for a damaged one, and
// FailedPrecondition when it was made for other contents or another way
// of labelling (`key`), or when `path` is not a regular file or is larger
// than a cache of `expected_positions` can be (a header, `key`, and
// kMaxLabelCacheBytesPerPosition per position): such a file is refused
// before it is read.
std::string EncodeLabelCache(uint64_t set_hash, const std::string& key,
                             const std::vector<GroundTruth>& labels);
absl::StatusOr<std::vector<GroundTruth>> ReadLabelCache(
    const std::string& path, uint64_t set_hash, const std::string& key,
    size_t expected_positions);

}  // namespace az::analysis
