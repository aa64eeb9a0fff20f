// The value/reward gap of one player on one set of positions: every measure
// of analysis/measures.h for the raw value `v` and for the search value `q`
// at each simulation budget, over all positions, the quiet ones and each game
// stage, each with a 95% bootstrap interval over whole games; the worst
// positions; and the in-distribution minus out-of-distribution difference of
// two such results.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/bootstrap.h"
#include "analysis/evaluation.h"
#include "analysis/labels.h"
#include "analysis/measures.h"
#include "analysis/position_set.h"
#include "engine/evaluator.h"
#include "engine/search_params.h"

namespace az::analysis {

// The player whose values are measured.
struct PlayerUnderTest {
  std::string name;  // the spec, or "run:DIR@step-N" for a run's checkpoint
  engine::Evaluator* evaluator = nullptr;
  // Whether the raw value is learned (a network) rather than exact (solver)
  // or computed (rollouts, the uniform prior's zero).
  bool learned = false;
  int64_t step = -1;  // the training step of a run's checkpoint, else -1
  // Search budgets in simulations (each > 0); empty: the raw value only.
  std::vector<int> budgets;
  // This player's own search settings (its spec's c_init, fpu); unset:
  // GapOptions::search. num_simulations is set per budget either way.
  std::optional<engine::SearchParams> search;
};

struct GapOptions {
  engine::SearchParams search;  // num_simulations is set per budget
  EvaluationOptions evaluation;
  BootstrapOptions bootstrap;
  int worst = 10;  // how many of the worst positions to keep
  // A game played by a reward spec other than the rules (the one under
  // study), whose reward threats (HasRewardThreat) make a stratum of every
  // result, whichever spec the result is scored by; null: no such stratum.
  const Game* threat_spec = nullptr;
};

// One position with everything measured on it.
struct PositionResult {
  int index = 0;
  std::string moves;  // the game's notation, replayable with az play --start
  int ply = 0;
  int64_t game_id = 0;
  int stage = 0;
  bool quiet = false;
  // A reward threat of GapOptions::threat_spec: a move or a reply ends the
  // game differently by that spec than by the rules.
  bool threat = false;
  GroundTruth truth;
  RawEvaluation raw;
  std::optional<bool> policy_mistake;
  std::vector<SearchEvaluation> search;  // one per budget
  std::vector<std::optional<bool>> search_mistake;
};

// A figure and its bootstrap interval.
struct Figure {
  double value = 0.0;
  double lo = 0.0;
  double hi = 0.0;
};

// The figures of one value source in one stratum.
struct SourceFigures {
  std::string source;  // "value" (the raw v) or "search_N" (q after N sims)
  int budget = 0;      // 0 for "value"
  Measures point;
  std::vector<Figure> figures;  // in MeasureNames() order
  // For a search: mse(q) / mse(v) on the same positions, below 1 where the
  // search repairs the value.
  std::optional<Figure> mse_ratio_to_value;
  std::vector<ReliabilityBin> reliability;
};

// Which positions a stratum holds.
enum class StratumKind { kAll, kQuiet, kThreat, kStage };

struct StratumResult {
  // "all", "quiet", "no_diagonals threat" (the threats of a spec) or a
  // stage such as "plies 0-10"
  std::string name;
  StratumKind kind = StratumKind::kAll;
  int stage = -1;  // the stage index for a stage stratum
  int64_t positions = 0;
  int64_t games = 0;
  std::vector<SourceFigures> sources;
  // Bootstrap replicates (resamples x outputs), for differences between
  // sets; outputs per source are the measures then the mse ratio.
  std::vector<double> replicates;
  int num_outputs = 0;
};

struct GapResult {
  std::string set_name;
  std::string set_description;
  SetKind set_kind = SetKind::kFile;
  std::string player;
  int64_t step = -1;
  // The reward spec whose exact values are the ground truth here: "rules"
  // (the intended objective) or a spec of the game's menu (a reward).
  std::string truth_spec = "rules";
  // The reward spec the player was trained on where known (a run's
  // RUN/config), else empty.
  std::string trained_on;
  std::string labels;  // how the ground truth was made
  bool labels_estimated = false;
  int64_t positions = 0;
  int64_t games = 0;
  std::vector<int> budgets;
  // "all", "quiet", the threats (with GapOptions::threat_spec), then the
  // stages; a stratum without positions is left out.
  std::vector<StratumResult> strata;
  std::vector<PositionResult> position_results;
  std::vector<int> worst;  // indices into position_results, worst first
  double seconds = 0.0;    // evaluating and searching
  double positions_per_s = 0.0;
};

// The bootstrap seed of a result's resamples, from the options' `seed` and
// the result's set and player: every scoring of the same evaluations
// (MeasureGap, RescoreGap, the outer figures) resamples the same games.
uint64_t ResultBootstrapSeed(uint64_t seed, const GapResult& result);
// The seed of one stratum's resamples, from its result's.
uint64_t StratumBootstrapSeed(uint64_t result_seed,
                              const StratumResult& stratum);

// Whether position `p` belongs to `stratum`.
bool InStratum(const StratumResult& stratum, const PositionResult& p);

// The name of the stratum of the reward threats of spec `spec`.
std::string ThreatStratumName(const std::string& spec);

// Outputs per source in StratumResult::replicates.
int OutputsPerSource();

// Measures `player` on `set` against `labels` (one per position).
absl::StatusOr<GapResult> MeasureGap(const PositionSet& set,
                                     const std::vector<GroundTruth>& labels,
                                     const LabelStats& label_stats,
                                     const PlayerUnderTest& player,
                                     const GapOptions& options);

// `measured` scored again against other ground truth, `truth` (one per
// position, in order; made the `stats` way under the spec `truth_spec`):
// the same evaluations and moves, their mistakes judged by the new move
// labels, and new strata and worst positions, resampled as MeasureGap
// resamples `measured` (the same games in each resample).
absl::StatusOr<GapResult> RescoreGap(const GapResult& measured,
                                     const Game& game,
                                     const std::vector<GroundTruth>& truth,
                                     const LabelStats& stats,
                                     const std::string& truth_spec,
                                     const GapOptions& options);

// In-distribution minus out-of-distribution: `in`'s figures minus `out`'s
// (the same player, two sets), per stratum and source both have, with a
// percentile interval from their independent bootstrap replicates.
struct DifferenceFigures {
  std::string stratum;
  std::string source;
  std::vector<Figure> figures;  // MeasureNames() order
};
std::vector<DifferenceFigures> InMinusOut(const GapResult& in,
                                          const GapResult& out, double level);

}  // namespace az::analysis
