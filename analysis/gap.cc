#include "analysis/gap.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "analysis/strata.h"
#include "base/status_macros.h"
#include "base/hash.h"

namespace az::analysis {
namespace {

constexpr int kMeasures = 7;  // MeasureNames().size()

std::string SourceName(int budget) {
  return budget == 0 ? "value" : absl::StrCat("search_", budget);
}

// The scored form of position `p` for source `s` (0: the raw value, s > 0:
// the search at budgets[s - 1]).
ScoredPosition Scored(const PositionResult& p, int s) {
  ScoredPosition sp;
  sp.target = p.truth.target;
  if (s == 0) {
    sp.prediction = p.raw.v;
    sp.move_mistake = p.policy_mistake;
  } else {
    sp.prediction = p.search[s - 1].q;
    sp.move_mistake = p.search_mistake[s - 1];
  }
  return sp;
}

// Every figure of every source from summed MeasureSums (one block of
// MeasureSums::kSize per source).
void Statistic(int num_sources, const double* sums, double* out) {
  double value_mse = 0.0;
  for (int s = 0; s < num_sources; ++s) {
    const Measures m = MeasuresFromSums(sums + s * MeasureSums::kSize);
    double* o = out + s * OutputsPerSource();
    for (int k = 0; k < kMeasures; ++k) o[k] = MeasureByIndex(m, k);
    if (s == 0) value_mse = m.mse;
    o[kMeasures] = s == 0 || value_mse <= 0.0
                       ? std::numeric_limits<double>::quiet_NaN()
                       : m.mse / value_mse;
  }
}

StratumResult MeasureStratum(const std::string& name, int stage,
                             const std::vector<const PositionResult*>& members,
                             const std::vector<int>& budgets,
                             const BootstrapOptions& bootstrap, uint64_t seed) {
  StratumResult r;
  r.name = name;
  r.stage = stage;
  r.positions = static_cast<int64_t>(members.size());
  const int num_sources = 1 + static_cast<int>(budgets.size());
  const int dims = num_sources * MeasureSums::kSize;
  std::map<int64_t, size_t> block_of_game;
  for (const PositionResult* p : members) {
    block_of_game.emplace(p->game_id, block_of_game.size());
  }
  r.games = static_cast<int64_t>(block_of_game.size());
  std::vector<double> blocks(block_of_game.size() * dims, 0.0);
  std::vector<double> total(dims, 0.0);
  for (const PositionResult* p : members) {
    double* row = blocks.data() + block_of_game[p->game_id] * dims;
    for (int s = 0; s < num_sources; ++s) {
      MeasureSums one;
      one.Add(Scored(*p, s));
      for (int d = 0; d < MeasureSums::kSize; ++d) {
        row[s * MeasureSums::kSize + d] += one.sums[d];
        total[s * MeasureSums::kSize + d] += one.sums[d];
      }
    }
  }
  r.num_outputs = num_sources * OutputsPerSource();
  std::vector<double> point(r.num_outputs);
  Statistic(num_sources, total.data(), point.data());
  BootstrapOptions b = bootstrap;
  b.seed = seed;
  r.replicates = BootstrapReplicates(
      blocks, dims,
      [num_sources](const double* sums, double* out) {
        Statistic(num_sources, sums, out);
      },
      r.num_outputs, b);
  for (int s = 0; s < num_sources; ++s) {
    SourceFigures f;
    f.budget = s == 0 ? 0 : budgets[s - 1];
    f.source = SourceName(f.budget);
    f.point = MeasuresFromSums(total.data() + s * MeasureSums::kSize);
    f.reliability = ReliabilityFromSums(total.data() + s * MeasureSums::kSize);
    const int base = s * OutputsPerSource();
    for (int k = 0; k <= kMeasures; ++k) {
      const Interval ci =
          ReplicateInterval(r.replicates, r.num_outputs, base + k, b.level);
      const Figure figure{point[base + k], ci.lo, ci.hi};
      if (k < kMeasures) {
        f.figures.push_back(figure);
      } else if (s > 0) {
        f.mse_ratio_to_value = figure;
      }
    }
    r.sources.push_back(std::move(f));
  }
  return r;
}

uint64_t TextHash(const std::string& text) {
  uint64_t h = 0;
  for (char c : text) h = base::HashPair(h, static_cast<uint8_t>(c));
  return h;
}

// Why MeasureGap cannot measure `player` on `set` with `labels`, if it
// cannot.
absl::Status CheckGapInputs(const PositionSet& set,
                            const std::vector<GroundTruth>& labels,
                            const PlayerUnderTest& player) {
  if (set.positions.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the set ", set.name, " has no positions"));
  }
  if (labels.size() != set.positions.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the set ", set.name, " has ", set.positions.size(),
                     " positions but ", labels.size(), " labels"));
  }
  if (player.evaluator == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("player ", player.name, " has no value to measure"));
  }
  for (int budget : player.budgets) {
    if (budget <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "search budgets must be positive simulation counts, not ", budget));
    }
  }
  return absl::OkStatus();
}

// A result that names the set, the player and the labels, with a
// PositionResult per position that holds all but the evaluations.
GapResult NewGapResult(const PositionSet& set, const LabelStats& label_stats,
                       const PlayerUnderTest& player) {
  GapResult result;
  result.set_name = set.name;
  result.set_description = set.description;
  result.set_kind = set.kind;
  result.player = player.name;
  result.step = player.step;
  result.labels = label_stats.description;
  result.labels_estimated = label_stats.any_estimate;
  result.positions = static_cast<int64_t>(set.positions.size());
  result.budgets = player.budgets;
  result.position_results.resize(set.positions.size());
  return result;
}

// The state of every position of `set`, in order; fills in what the
// positions of `result` say about themselves (moves, stage, truth...).
// Whether the position reached by `actions` is a reward threat of
// `threat_spec` (false when those moves do not all play there).
bool IsRewardThreat(const Game* threat_spec,
                    const std::vector<Action>& actions) {
  if (threat_spec == nullptr) return false;
  std::unique_ptr<State> state = threat_spec->NewInitialState();
  for (Action a : actions) {
    if (state->IsTerminal() || !state->IsLegal(a)) return false;
    state->Apply(a);
  }
  return HasRewardThreat(*state);
}

std::vector<std::unique_ptr<State>> SetUpPositions(
    const PositionSet& set, const std::vector<GroundTruth>& labels,
    const Game* threat_spec, GapResult* result) {
  const Game& game = *set.game;
  std::vector<std::unique_ptr<State>> states;
  states.reserve(set.positions.size());
  for (size_t i = 0; i < set.positions.size(); ++i) {
    const SetPosition& sp = set.positions[i];
    states.push_back(game.NewInitialState());
    for (Action a : sp.actions) states.back()->Apply(a);
    PositionResult& p = result->position_results[i];
    p.index = static_cast<int>(i);
    p.moves = game.FormatMoves(sp.actions);
    p.ply = static_cast<int>(sp.actions.size());
    p.game_id = sp.game_id;
    p.stage = StageIndex(game, p.ply);
    p.quiet = IsQuiet(*states.back());
    p.threat = IsRewardThreat(threat_spec, sp.actions);
    p.truth = labels[i];
  }
  return states;
}

// Evaluates every position with the player's raw value and its search at
// each budget, into the positions of `result`, and times it.
absl::Status EvaluatePositions(const Game& game,
                               const std::vector<const State*>& states,
                               const PlayerUnderTest& player,
                               const GapOptions& options, GapResult* result) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(
      std::vector<RawEvaluation> raw,
      EvaluateRaw(game, player.evaluator, states, options.evaluation));
  std::vector<std::vector<SearchEvaluation>> searches;
  for (int budget : player.budgets) {
    engine::SearchParams params = player.search.value_or(options.search);
    params.num_simulations = budget;
    ASSIGN_OR_RETURN(std::vector<SearchEvaluation> s,
                     EvaluateSearch(game, player.evaluator, params, states,
                                    options.evaluation));
    searches.push_back(std::move(s));
  }
  result->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  result->positions_per_s =
      result->seconds > 0 ? result->positions / result->seconds : 0.0;
  for (size_t i = 0; i < result->position_results.size(); ++i) {
    PositionResult& p = result->position_results[i];
    p.raw = raw[i];
    p.policy_mistake = IsMoveMistake(p.truth, p.raw.policy_move);
    for (const auto& s : searches) {
      p.search.push_back(s[i]);
      p.search_mistake.push_back(IsMoveMistake(p.truth, s[i].search_move));
    }
  }
  return absl::OkStatus();
}

// The strata of `result`: every position, the quiet ones, the reward
// threats of `threat_spec` (if any), then each game stage present; each
// with its own bootstrap seed drawn from `seed`.
std::vector<StratumResult> MeasureStrata(const Game& game,
                                         const Game* threat_spec,
                                         const GapResult& result,
                                         const BootstrapOptions& bootstrap,
                                         uint64_t seed) {
  std::vector<StratumResult> kinds;
  auto kind = [&](StratumKind k, const std::string& name, int stage) {
    StratumResult s;
    s.kind = k;
    s.name = name;
    s.stage = stage;
    kinds.push_back(s);
  };
  kind(StratumKind::kAll, "all", -1);
  kind(StratumKind::kQuiet, "quiet", -1);
  if (threat_spec != nullptr) {
    kind(StratumKind::kThreat,
         ThreatStratumName(threat_spec->RewardSpec().name), -1);
  }
  std::map<int, bool> stages;
  for (const PositionResult& p : result.position_results) stages[p.stage] = true;
  for (const auto& [stage, unused] : stages) {
    kind(StratumKind::kStage, StageName(game, stage), stage);
  }
  std::vector<StratumResult> strata;
  for (const StratumResult& k : kinds) {
    std::vector<const PositionResult*> members;
    for (const PositionResult& p : result.position_results) {
      if (InStratum(k, p)) members.push_back(&p);
    }
    if (members.empty() && k.kind != StratumKind::kAll) continue;
    StratumResult r =
        MeasureStratum(k.name, k.stage, members, result.budgets, bootstrap,
                       StratumBootstrapSeed(seed, k));
    r.kind = k.kind;
    strata.push_back(std::move(r));
  }
  return strata;
}

// The indices of the `count` positions with the largest |v - target|,
// largest first (in order of index among equals).
std::vector<int> WorstPositions(const std::vector<PositionResult>& positions,
                                int count) {
  std::vector<int> order(positions.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  auto error = [&](int i) {
    const PositionResult& p = positions[i];
    return std::fabs(p.raw.v.value - p.truth.target.Value());
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return error(a) > error(b); });
  order.resize(std::min<size_t>(order.size(), std::max(0, count)));
  return order;
}

uint64_t ResultSeed(const GapOptions& options, const GapResult& result) {
  return ResultBootstrapSeed(options.bootstrap.seed, result);
}

}  // namespace

uint64_t ResultBootstrapSeed(uint64_t seed, const GapResult& result) {
  return base::HashPair(seed, TextHash(result.set_name + "\n" + result.player));
}

uint64_t StratumBootstrapSeed(uint64_t result_seed,
                              const StratumResult& stratum) {
  switch (stratum.kind) {
    case StratumKind::kAll:
      return result_seed;
    case StratumKind::kQuiet:
      return base::HashPair(result_seed, 1);
    case StratumKind::kStage:
      return base::HashPair(result_seed, 2 + stratum.stage);
    case StratumKind::kThreat:
      break;
  }
  return base::HashPair(result_seed, uint64_t{1} << 32);
}

bool InStratum(const StratumResult& stratum, const PositionResult& p) {
  switch (stratum.kind) {
    case StratumKind::kAll:
      return true;
    case StratumKind::kQuiet:
      return p.quiet;
    case StratumKind::kThreat:
      return p.threat;
    case StratumKind::kStage:
      return p.stage == stratum.stage;
  }
  return false;
}

std::string ThreatStratumName(const std::string& spec) {
  return absl::StrCat(spec, " threat");
}

int OutputsPerSource() { return kMeasures + 1; }

namespace {

// The figures of `result` from its positions: the strata with their
// intervals, the games, the worst positions.
void FinishResult(const Game& game, const GapOptions& options,
                  GapResult* result) {
  result->strata =
      MeasureStrata(game, options.threat_spec, *result, options.bootstrap,
                    ResultSeed(options, *result));
  result->games = result->strata[0].games;
  result->worst = WorstPositions(result->position_results, options.worst);
}

}  // namespace

absl::StatusOr<GapResult> MeasureGap(const PositionSet& set,
                                     const std::vector<GroundTruth>& labels,
                                     const LabelStats& label_stats,
                                     const PlayerUnderTest& player,
                                     const GapOptions& options) {
  RETURN_IF_ERROR(CheckGapInputs(set, labels, player));
  const Game& game = *set.game;
  GapResult result = NewGapResult(set, label_stats, player);
  const std::vector<std::unique_ptr<State>> owned =
      SetUpPositions(set, labels, options.threat_spec, &result);
  std::vector<const State*> states;
  for (const auto& state : owned) states.push_back(state.get());
  RETURN_IF_ERROR(EvaluatePositions(game, states, player, options, &result));
  result.truth_spec = game.RewardSpec().name;
  FinishResult(game, options, &result);
  return result;
}

absl::StatusOr<GapResult> RescoreGap(const GapResult& measured,
                                     const Game& game,
                                     const std::vector<GroundTruth>& truth,
                                     const LabelStats& stats,
                                     const std::string& truth_spec,
                                     const GapOptions& options) {
  if (truth.size() != measured.position_results.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the set ", measured.set_name, " has ",
        measured.position_results.size(), " positions but ", truth.size(),
        " labels"));
  }
  GapResult result = measured;
  result.truth_spec = truth_spec;
  result.labels = stats.description;
  result.labels_estimated = stats.any_estimate;
  for (size_t i = 0; i < truth.size(); ++i) {
    PositionResult& p = result.position_results[i];
    p.truth = truth[i];
    p.policy_mistake = IsMoveMistake(p.truth, p.raw.policy_move);
    for (size_t b = 0; b < p.search.size(); ++b) {
      p.search_mistake[b] = IsMoveMistake(p.truth, p.search[b].search_move);
    }
  }
  FinishResult(game, options, &result);
  return result;
}

std::vector<DifferenceFigures> InMinusOut(const GapResult& in,
                                          const GapResult& out, double level) {
  std::vector<DifferenceFigures> diffs;
  for (const StratumResult& a : in.strata) {
    const StratumResult* b = nullptr;
    for (const StratumResult& s : out.strata) {
      if (s.name == a.name) b = &s;
    }
    if (b == nullptr) continue;
    for (size_t sa = 0; sa < a.sources.size(); ++sa) {
      for (size_t sb = 0; sb < b->sources.size(); ++sb) {
        if (a.sources[sa].source != b->sources[sb].source) continue;
        DifferenceFigures d;
        d.stratum = a.name;
        d.source = a.sources[sa].source;
        const size_t resamples =
            std::min(a.replicates.size() / a.num_outputs,
                     b->replicates.size() / b->num_outputs);
        for (int k = 0; k < kMeasures; ++k) {
          const int ca = static_cast<int>(sa) * OutputsPerSource() + k;
          const int cb = static_cast<int>(sb) * OutputsPerSource() + k;
          std::vector<double> values(resamples);
          for (size_t r = 0; r < resamples; ++r) {
            values[r] = a.replicates[r * a.num_outputs + ca] -
                        b->replicates[r * b->num_outputs + cb];
          }
          const Interval ci = PercentileInterval(std::move(values), level);
          d.figures.push_back(
              {a.sources[sa].figures[k].value - b->sources[sb].figures[k].value,
               ci.lo, ci.hi});
        }
        diffs.push_back(std::move(d));
      }
    }
  }
  return diffs;
}

}  // namespace az::analysis
