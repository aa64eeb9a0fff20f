// The inner/outer/total decomposition on synthetic data: its identities
// (a player whose value is its reward has no inner gap; a reward that is the
// rules has no outer gap; the reward's own solver's total gap is the outer
// one) and figures computed by hand.
#include "analysis/decomposition.h"

#include <cmath>
#include <memory>

#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

const Game& TicTacToeWith(const std::string& spec) {
  return **FindGameWithReward("tictactoe", spec);
}

GapOptions Options() {
  GapOptions options;
  options.search = engine::DefaultSearchParams(TicTacToeWith("rules"));
  options.bootstrap.resamples = 200;
  return options;
}

// Random positions of the real game, replayed under `spec`, with the
// spec's labels and the rules'.
struct SpecLabelled {
  PositionSet set;
  std::vector<GroundTruth> by_spec, by_rules;
  LabelStats spec_stats, rules_stats;
};

SpecLabelled RandomSet(const std::string& spec, int n) {
  const Game& rules = TicTacToeWith("rules");
  SpecLabelled l;
  PositionSet drawn = *GeneratePositionSet(
      rules, *ParseGeneratorSpec("random:" + std::to_string(n), rules, 3));
  l.set = *ReplayedUnder(drawn, TicTacToeWith(spec));
  l.by_spec = *LabelPositions(l.set, LabelOptions(), &l.spec_stats);
  l.by_rules =
      *LabelPositionsByRules(l.set, rules, LabelOptions(), &l.rules_stats);
  return l;
}

// The spec's own solver as the player: its value is its reward.
GapResult MeasureSolver(const SpecLabelled& l, const std::string& spec) {
  auto solver = engine::SolverEvaluator::Create(TicTacToeWith(spec));
  EXPECT_TRUE(solver.ok());
  PlayerUnderTest player{"solver", solver->get(), false, -1, {}, std::nullopt};
  auto r = MeasureGap(l.set, l.by_spec, l.spec_stats, player, Options());
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

TEST(DecompositionTest, AValueEqualToItsRewardHasNoInnerGap) {
  const SpecLabelled l = RandomSet("no_diagonals", 150);
  const GapResult inner = MeasureSolver(l, "no_diagonals");
  EXPECT_EQ(inner.truth_spec, "no_diagonals");
  for (const StratumResult& s : inner.strata) {
    EXPECT_EQ(s.sources[0].point.mse, 0.0) << s.name;
    EXPECT_EQ(s.sources[0].figures[0].hi, 0.0) << s.name;
    EXPECT_EQ(s.sources[0].point.move_mistake_rate, 0.0) << s.name;
  }
  // ... while the reward itself differs from the rules on these positions,
  // and the total gap is exactly that difference: mean (reward - rules)^2.
  auto total = RescoreGap(inner, TicTacToeWith("rules"), l.by_rules,
                          l.rules_stats, "rules", Options());
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(total->truth_spec, "rules");
  double squared = 0, absolute = 0;
  for (size_t i = 0; i < l.by_spec.size(); ++i) {
    const double d = l.by_spec[i].target.Value() - l.by_rules[i].target.Value();
    squared += d * d;
    absolute += std::fabs(d);
  }
  const double n = static_cast<double>(l.by_spec.size());
  EXPECT_GT(squared, 0.0);
  EXPECT_NEAR(total->strata[0].sources[0].point.mse, squared / n, 1e-12);
  const std::vector<OuterFigures> outer =
      MeasureOuter(inner, l.by_rules, Options().bootstrap);
  ASSERT_EQ(outer.size(), inner.strata.size());
  EXPECT_EQ(outer[0].stratum, "all");
  EXPECT_EQ(outer[0].positions, inner.positions);
  EXPECT_NEAR(outer[0].mean_abs_difference.value, absolute / n, 1e-12);
  EXPECT_LE(outer[0].mean_abs_difference.lo, absolute / n);
  EXPECT_GE(outer[0].mean_abs_difference.hi, absolute / n);
  // The solver plays one of the reward's best moves: its mistakes under the
  // rules lie between "every best move is one" and "some best move is one".
  const double mistakes = total->strata[0].sources[0].point.move_mistake_rate;
  EXPECT_GT(mistakes, 0.0);
  EXPECT_GE(mistakes, outer[0].reward_best_moves_all_rules_mistakes_rate.value);
  EXPECT_LE(mistakes, outer[0].reward_best_move_rules_mistake_rate.value);
}

TEST(DecompositionTest, ARewardEqualToTheRulesHasNoOuterGap) {
  const SpecLabelled l = RandomSet("rules", 120);
  const GapResult inner = MeasureSolver(l, "rules");
  for (const OuterFigures& o :
       MeasureOuter(inner, l.by_rules, Options().bootstrap)) {
    SCOPED_TRACE(o.stratum);
    EXPECT_GT(o.positions, 0);
    EXPECT_GT(o.moves_labelled, 0);
    for (const Figure& f : OuterFigureList(o)) {
      EXPECT_EQ(f.value, 0.0);
      EXPECT_EQ(f.hi, 0.0);
    }
  }
}

TEST(DecompositionTest, QuickSharesTheRulesOutcomesButNotTheirPayoffs) {
  // quick pays a win by its length: same signs as the rules, smaller sizes.
  const SpecLabelled l = RandomSet("quick", 100);
  const GapResult inner = MeasureSolver(l, "quick");
  const std::vector<OuterFigures> outer =
      MeasureOuter(inner, l.by_rules, Options().bootstrap);
  EXPECT_EQ(outer[0].sign_disagreement_rate.value, 0.0);
  EXPECT_GT(outer[0].mean_abs_difference.value, 0.0);
  EXPECT_EQ(inner.strata[0].sources[0].point.mse, 0.0);
}

// Three hand-made positions of three games, their reward and rules labels.
GroundTruth Truth(double value, std::vector<std::pair<Action, int>> moves) {
  GroundTruth g;
  g.target.wdl = {std::max(value, 0.0), 1 - std::fabs(value),
                  std::max(-value, 0.0)};
  g.move_rewards = std::move(moves);
  return g;
}

TEST(DecompositionTest, OuterFiguresByHand) {
  GapResult r;
  r.set_name = "hand";
  r.player = "p";
  r.position_results.resize(3);
  r.position_results[0].truth = Truth(1, {{0, 1}, {1, 0}});
  r.position_results[1].truth = Truth(0, {{0, 0}, {1, 0}});
  r.position_results[2].truth = Truth(1, {});
  for (int i = 0; i < 3; ++i) r.position_results[i].game_id = i;
  StratumResult all;
  all.name = "all";
  r.strata = {all};
  const std::vector<GroundTruth> rules = {Truth(-1, {{0, -1}, {1, 0}}),
                                          Truth(0, {{0, 0}, {1, -1}}),
                                          Truth(0, {})};
  const std::vector<OuterFigures> outer =
      MeasureOuter(r, rules, Options().bootstrap);
  ASSERT_EQ(outer.size(), 1u);
  EXPECT_EQ(outer[0].positions, 3);
  EXPECT_EQ(outer[0].games, 3);
  EXPECT_DOUBLE_EQ(outer[0].mean_abs_difference.value, (2.0 + 0 + 1) / 3);
  EXPECT_DOUBLE_EQ(outer[0].sign_disagreement_rate.value, 2.0 / 3);
  EXPECT_EQ(outer[0].moves_labelled, 2);
  // Position 0: the reward's only best move loses under the rules; position
  // 1: one of its two best moves does.
  EXPECT_DOUBLE_EQ(outer[0].reward_best_move_rules_mistake_rate.value, 1.0);
  EXPECT_DOUBLE_EQ(outer[0].reward_best_moves_all_rules_mistakes_rate.value,
                   0.5);
}

TEST(DecompositionTest, TotalGapByHand) {
  // Values 0.5 and -1 against rules values 1 and 0: mse (0.25 + 1) / 2.
  const Game& rules = TicTacToeWith("rules");
  GapResult r;
  r.set_name = "hand";
  r.player = "p";
  r.truth_spec = "no_diagonals";
  r.position_results.resize(2);
  r.position_results[0].raw.v.value = 0.5;
  r.position_results[0].raw.v.wdl = DrawFreeWdl(0.5);
  r.position_results[1].raw.v.value = -1;
  r.position_results[1].raw.v.wdl = DrawFreeWdl(-1);
  r.position_results[1].game_id = 1;
  r.position_results[1].raw.policy_move = 1;
  const std::vector<GroundTruth> truth = {Truth(1, {}),
                                          Truth(0, {{0, 0}, {1, -1}})};
  auto total = RescoreGap(r, rules, truth, LabelStats(), "rules", Options());
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(total->truth_spec, "rules");
  EXPECT_DOUBLE_EQ(total->strata[0].sources[0].point.mse, (0.25 + 1) / 2);
  // Only the second position labels moves, and its move 1 loses.
  EXPECT_EQ(total->strata[0].sources[0].point.moves_labelled, 1);
  EXPECT_DOUBLE_EQ(total->strata[0].sources[0].point.move_mistake_rate, 1.0);
  EXPECT_EQ(total->position_results[1].policy_mistake, true);
}

TEST(DecompositionTest, PositionsPastTheRulesEndGetTheirVerdict) {
  // X takes the diagonal 1-5-9: no_diagonals plays on, the rules ended it.
  const Game& spec = TicTacToeWith("no_diagonals");
  PositionSet set;
  set.name = "past the end";
  set.game = &spec;
  set.positions.push_back({*spec.ParseMoves("12539"), 0, std::nullopt, 1});
  set.positions.push_back({*spec.ParseMoves("5"), 1, std::nullopt, 2});
  LabelStats stats;
  auto by_rules = LabelPositionsByRules(set, TicTacToeWith("rules"),
                                        LabelOptions(), &stats);
  ASSERT_TRUE(by_rules.ok()) << by_rules.status();
  EXPECT_EQ((*by_rules)[0].source, LabelSource::kRulesVerdict);
  EXPECT_EQ((*by_rules)[0].target.Value(), -1.0);  // O to move has lost
  EXPECT_TRUE((*by_rules)[0].move_rewards.empty());
  EXPECT_EQ((*by_rules)[1].source, LabelSource::kSolver);
  EXPECT_EQ((*by_rules)[1].target.Value(), 0.0);  // O draws after 5
  EXPECT_FALSE((*by_rules)[1].move_rewards.empty());
  EXPECT_NE(stats.description.find("1 positions past the rules' end"),
            std::string::npos)
      << stats.description;
  // Under its own reward the game goes on there, and the solver labels it.
  auto by_spec = LabelPositions(set, LabelOptions(), nullptr);
  ASSERT_TRUE(by_spec.ok()) << by_spec.status();
  EXPECT_EQ((*by_spec)[0].source, LabelSource::kSolver);
}

TEST(DecompositionTest, LabelsOfAnotherSpecIgnoreTheFilesRulesScores) {
  const Game& spec = TicTacToeWith("no_diagonals");
  PositionSet set;
  set.name = "scored";
  set.game = &spec;
  // A wrong score on purpose: a no_diagonals label never reads it.
  set.positions.push_back({*spec.ParseMoves("5"), 0, 7, 1});
  auto labels = LabelPositions(set, LabelOptions(), nullptr);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ((*labels)[0].source, LabelSource::kSolver);
}

TEST(DecompositionTest, ReplayedUnderLeavesOutWhatTheSpecHasEnded) {
  const Game& rules = TicTacToeWith("rules");
  PositionSet set;
  set.name = "two";
  set.game = &rules;
  set.positions.push_back({*rules.ParseMoves("5"), 0, std::nullopt, 1});
  auto same = ReplayedUnder(set, TicTacToeWith("quick"));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->positions.size(), 1u);
  EXPECT_EQ(same->game, &TicTacToeWith("quick"));
  auto other = ReplayedUnder(set, **FindGame("connect4"));
  EXPECT_FALSE(other.ok());
}

}  // namespace
}  // namespace az::analysis
