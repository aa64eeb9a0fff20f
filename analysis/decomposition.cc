#include "analysis/decomposition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "analysis/measures.h"

namespace az::analysis {
namespace {

// The additive sums of one position (or of many) behind the outer figures.
enum OuterSum {
  kCount = 0,
  kAbsDifference,
  kSignDisagreements,
  kMovesLabelled,
  kSomeBestMoveMistaken,
  kEveryBestMoveMistaken,
  kOuterSums,
};
constexpr int kOuterOutputs = 4;

double Ratio(double num, double den) {
  return den > 0 ? num / den : std::numeric_limits<double>::quiet_NaN();
}

void OuterStatistic(const double* sums, double* out) {
  out[0] = Ratio(sums[kAbsDifference], sums[kCount]);
  out[1] = Ratio(sums[kSignDisagreements], sums[kCount]);
  out[2] = Ratio(sums[kSomeBestMoveMistaken], sums[kMovesLabelled]);
  out[3] = Ratio(sums[kEveryBestMoveMistaken], sums[kMovesLabelled]);
}

// Adds position `p` (its truth: the reward's labels) with the rules'
// labels `rules` to `row`.
void AddPosition(const PositionResult& p, const GroundTruth& rules,
                 double* row) {
  const RewardTarget& reward = p.truth.target;
  row[kCount] += 1;
  row[kAbsDifference] += std::fabs(reward.Value() - rules.target.Value());
  row[kSignDisagreements] +=
      TargetClass(reward) != TargetClass(rules.target) ? 1 : 0;
  if (p.truth.move_rewards.empty() || rules.move_rewards.empty()) return;
  int best = -2;
  for (const auto& [a, r] : p.truth.move_rewards) best = std::max(best, r);
  bool some = false, every = true;
  for (const auto& [a, r] : p.truth.move_rewards) {
    if (r != best) continue;
    const bool mistake = IsMoveMistake(rules, a).value_or(false);
    some |= mistake;
    every &= mistake;
  }
  row[kMovesLabelled] += 1;
  row[kSomeBestMoveMistaken] += some ? 1 : 0;
  row[kEveryBestMoveMistaken] += every ? 1 : 0;
}

OuterFigures MeasureOuterStratum(const GapResult& by_reward,
                                 const std::vector<GroundTruth>& by_rules,
                                 const StratumResult& stratum,
                                 const BootstrapOptions& bootstrap) {
  // Blocks are whole games in order of first appearance, as MeasureGap's.
  std::map<int64_t, size_t> block_of_game;
  std::vector<double> blocks, total(kOuterSums, 0.0);
  for (size_t i = 0; i < by_reward.position_results.size(); ++i) {
    const PositionResult& p = by_reward.position_results[i];
    if (!InStratum(stratum, p)) continue;
    auto [it, added] = block_of_game.emplace(p.game_id, block_of_game.size());
    if (added) blocks.resize(blocks.size() + kOuterSums, 0.0);
    AddPosition(p, by_rules[i], blocks.data() + it->second * kOuterSums);
    AddPosition(p, by_rules[i], total.data());
  }
  BootstrapOptions b = bootstrap;
  b.seed = StratumBootstrapSeed(
      ResultBootstrapSeed(bootstrap.seed, by_reward), stratum);
  const std::vector<double> replicates = BootstrapReplicates(
      blocks, kOuterSums, OuterStatistic, kOuterOutputs, b);
  double point[kOuterOutputs];
  OuterStatistic(total.data(), point);
  Figure figures[kOuterOutputs];
  for (int k = 0; k < kOuterOutputs; ++k) {
    const Interval ci =
        ReplicateInterval(replicates, kOuterOutputs, k, b.level);
    figures[k] = {point[k], ci.lo, ci.hi};
  }
  OuterFigures f;
  f.stratum = stratum.name;
  f.positions = static_cast<int64_t>(total[kCount]);
  f.games = static_cast<int64_t>(block_of_game.size());
  f.mean_abs_difference = figures[0];
  f.sign_disagreement_rate = figures[1];
  f.reward_best_move_rules_mistake_rate = figures[2];
  f.reward_best_moves_all_rules_mistakes_rate = figures[3];
  f.moves_labelled = static_cast<int64_t>(total[kMovesLabelled]);
  return f;
}

}  // namespace

const std::vector<std::string>& OuterFigureNames() {
  static const auto* names = new std::vector<std::string>{
      "mean_abs_difference", "sign_disagreement_rate",
      "reward_best_move_rules_mistake_rate",
      "reward_best_moves_all_rules_mistakes_rate"};
  return *names;
}

std::vector<Figure> OuterFigureList(const OuterFigures& f) {
  return {f.mean_abs_difference, f.sign_disagreement_rate,
          f.reward_best_move_rules_mistake_rate,
          f.reward_best_moves_all_rules_mistakes_rate};
}

std::vector<OuterFigures> MeasureOuter(const GapResult& by_reward,
                                       const std::vector<GroundTruth>& by_rules,
                                       const BootstrapOptions& bootstrap) {
  std::vector<OuterFigures> outer;
  if (by_rules.size() != by_reward.position_results.size()) return outer;
  for (const StratumResult& stratum : by_reward.strata) {
    outer.push_back(
        MeasureOuterStratum(by_reward, by_rules, stratum, bootstrap));
  }
  return outer;
}

}  // namespace az::analysis
