// The hunt for confident-wrong values (`az hunt`): an adversary that steers
// games into positions where a player's learned value is sure of an outcome
// the exact solver proves false, and two naive baselines on the same budget
// of exact labels.
//
// Labels are the scarce resource (a Connect Four label is a solver call);
// the player's raw value and policy are cheap (one batched evaluator call).
// So every strategy is charged only for positions it labels, and its yield
// is the share of labelled positions that are confidently wrong, per 1000.
//
// The hunter plays one side of a game and the player the other, with the
// player's own policy, so every position found is one the player can be led
// into. It keeps a beam of lines (always with the hunter to move), tries
// every hunter move and the player's reply, and labels only positions
// where the value is confident (no other can be confidently wrong), most
// suspicious first: a line that has already shown a large error against
// the exact value, or a value that jumps between a position and the next
// (the player's value disagreeing with itself). Lines whose positions were
// proved wrong are continued first, since a misjudged feature of a position
// tends to survive the moves that do not touch it.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/bootstrap.h"
#include "analysis/evaluation.h"
#include "analysis/measures.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "games/solver.h"

namespace az::analysis {

// How the player picks its moves in the hunter's games and in its games
// against itself.
enum class PlayerMoves {
  kSample,  // a move drawn from its policy
  kBest,    // its policy's favourite move
};

struct HuntOptions {
  // Exact labels each strategy may spend (the hunter and each baseline).
  int64_t labels = 1000;
  uint64_t seed = 1;
  // A value above this magnitude is confident: confidently wrong where the
  // exact outcome has the other sign or ...
  double confident = kConfidentValue;
  // ... where the exact outcome is a draw and |v| is above this.
  double draw_confident = kConfidentValue;
  PlayerMoves player_moves = PlayerMoves::kSample;
  // Positions of fewer plies are never labelled (shallow Connect Four
  // positions take the solver seconds each).
  int min_ply = 0;
  // Lines the hunter keeps between rounds.
  int beam = 32;
  // Simulations of the player's search for the q of found positions (0:
  // none). `search` holds the rest of its settings.
  int search_budget = 0;
  engine::SearchParams search;
  EvaluationOptions evaluation;
  // Coverage of the yield intervals.
  double level = 0.95;
  // Run the two baselines too.
  bool baselines = true;
};

// Who chose the moves that led to a position.
enum class HuntStrategy { kHunter, kRandom, kSelf };
// "hunter", "random", "self".
std::string HuntStrategyName(HuntStrategy strategy);

// A position whose value is confidently wrong.
struct FoundPosition {
  std::vector<Action> actions;  // from the initial position
  int ply = 0;
  double v = 0.0;           // the player's raw value, for the side to move
  std::optional<double> q;  // its search value, where a budget was given
  ExactValue exact;         // the solver's value, for the side to move
  // The side the hunter played (none in the baselines' games).
  std::optional<Player> hunter;
  // The product of the player's policy probabilities of its own moves
  // along the line (1 where it made none; the player plays every move of
  // its games against itself).
  double player_line_probability = 1.0;
  // |v - exact reward|.
  double error() const { return std::abs(v - exact.reward.value()); }
};

// What one strategy found with its labels.
struct StrategyResult {
  HuntStrategy strategy = HuntStrategy::kHunter;
  int64_t labels = 0;  // exact labels spent
  int64_t confident_wrong = 0;
  double per_1000 = 0.0;  // confident_wrong per 1000 labels
  Interval per_1000_interval;
  // Positions whose value was confident (whether right or wrong), labelled.
  int64_t confident_labelled = 0;
  int64_t evaluations = 0;  // positions the player evaluated
  double seconds = 0.0;
  std::vector<FoundPosition> found;  // in the order found
};

struct HuntResult {
  StrategyResult hunter;
  std::optional<StrategyResult> random;
  std::optional<StrategyResult> self;
  double seconds = 0.0;
};

// Whether value `v` of a position is confidently wrong against its exact
// `reward`, under `options`' thresholds.
bool IsConfidentlyWrong(double v, TerminalReward reward,
                        const HuntOptions& options);

// The Wilson score interval of `successes` in `trials` at `level`
// (0.95 or 0.99 read as z = 1.96 or 2.576; [0, 1] for no trials).
Interval WilsonInterval(int64_t successes, int64_t trials, double level);

// Hunts `player`'s confident-wrong values in `game` (which must have an
// exact solver: FailedPrecondition otherwise), then runs the baselines
// with the same budget. The evaluator's failures are returned as they are.
absl::StatusOr<HuntResult> Hunt(const Game& game, engine::Evaluator* player,
                                const HuntOptions& options);

// The parts of Hunt, each on its own label budget.
absl::StatusOr<StrategyResult> RunHunter(const Game& game,
                                         engine::Evaluator* player,
                                         const HuntOptions& options);
absl::StatusOr<StrategyResult> RunRandomBaseline(const Game& game,
                                                 engine::Evaluator* player,
                                                 const HuntOptions& options);
absl::StatusOr<StrategyResult> RunSelfBaseline(const Game& game,
                                               engine::Evaluator* player,
                                               const HuntOptions& options);

}  // namespace az::analysis
