#include "analysis/gap.h"

#include <cmath>
#include <memory>

#include "absl/strings/match.h"
#include "analysis/strata.h"
#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az::analysis {
namespace {

struct Labelled {
  PositionSet set;
  std::vector<GroundTruth> labels;
  LabelStats stats;
};

Labelled TicTacToeSet(int n, uint64_t seed = 1) {
  const Game& game = **FindGame("tictactoe");
  Labelled l;
  l.set = *GeneratePositionSet(
      game, *ParseGeneratorSpec("random:" + std::to_string(n), game, seed));
  l.labels = *LabelPositions(l.set, LabelOptions(), &l.stats);
  return l;
}

GapOptions Options() {
  GapOptions options;
  options.search = engine::DefaultSearchParams(**FindGame("tictactoe"));
  options.bootstrap.resamples = 300;
  options.worst = 5;
  return options;
}

const SourceFigures& Source(const GapResult& r, const std::string& stratum,
                            const std::string& source) {
  for (const StratumResult& s : r.strata) {
    if (s.name != stratum) continue;
    for (const SourceFigures& f : s.sources) {
      if (f.source == source) return f;
    }
  }
  ADD_FAILURE() << stratum << " " << source;
  static SourceFigures none;
  return none;
}

void ExpectZeroGap(const GapResult& r) {
  for (const StratumResult& s : r.strata) {
    for (const SourceFigures& f : s.sources) {
      SCOPED_TRACE(s.name + " " + f.source);
      EXPECT_EQ(f.point.mse, 0.0);
      EXPECT_EQ(f.point.accuracy, 1.0);
      EXPECT_EQ(f.point.confident_wrong_rate, 0.0);
      EXPECT_NEAR(f.point.log_loss, 0.0, 1e-12);
      EXPECT_EQ(f.point.brier, 0.0);
      EXPECT_EQ(f.point.ece, 0.0);
      EXPECT_EQ(f.point.move_mistake_rate, 0.0);
      EXPECT_EQ(f.figures[0].lo, 0.0);
      EXPECT_EQ(f.figures[0].hi, 0.0);
    }
  }
}

TEST(GapTest, SolverHasNoGapOnTicTacToe) {
  const Game& game = **FindGame("tictactoe");
  Labelled l = TicTacToeSet(200);
  auto solver = engine::SolverEvaluator::Create(game);
  ASSERT_TRUE(solver.ok());
  PlayerUnderTest player{"solver", solver->get(), false, -1, {1, 20},
                         std::nullopt};
  auto r = MeasureGap(l.set, l.labels, l.stats, player, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->positions, 200);
  EXPECT_EQ(r->games, 200);
  ASSERT_GE(r->strata.size(), 3u);
  EXPECT_EQ(r->strata[0].name, "all");
  EXPECT_EQ(r->strata[1].name, "quiet");
  EXPECT_EQ(r->strata[0].sources.size(), 3u);  // value, search_1, search_20
  ExpectZeroGap(*r);
  EXPECT_EQ(r->worst.size(), 5u);
}

// With a spec under study, the positions where it and the rules are about
// to disagree on how the game ends are a stratum of their own, whichever
// spec the result is scored by.
TEST(GapTest, RewardThreatsOfAProxySpecAreAStratum) {
  const Game& game = **FindGame("tictactoe");
  const Game& proxy = **FindGameWithReward("tictactoe", "no_diagonals");
  Labelled l = TicTacToeSet(300, 5);
  engine::UniformEvaluator uniform(game);
  PlayerUnderTest player{"uniform", &uniform, false, -1, {}, std::nullopt};
  auto plain = MeasureGap(l.set, l.labels, l.stats, player, Options());
  ASSERT_TRUE(plain.ok()) << plain.status();
  GapOptions options = Options();
  options.threat_spec = &proxy;
  auto r = MeasureGap(l.set, l.labels, l.stats, player, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->strata.size(), plain->strata.size() + 1);
  const StratumResult& threat = r->strata[2];
  EXPECT_EQ(threat.name, "no_diagonals threat");
  EXPECT_EQ(threat.kind, StratumKind::kThreat);
  int64_t threats = 0;
  for (const PositionResult& p : r->position_results) {
    auto state = proxy.NewStateFromMoves(p.moves);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ(p.threat, HasRewardThreat(**state)) << p.moves;
    EXPECT_EQ(InStratum(threat, p), p.threat);
    threats += p.threat;
  }
  EXPECT_EQ(threat.positions, threats);
  // Random tic-tac-toe positions often have a diagonal two moves away, but
  // not always.
  EXPECT_GT(threats, 30);
  EXPECT_LT(threats, 270);
  // The other strata are those of the plain result, figure for figure.
  for (size_t i = 0, j = 0; i < r->strata.size(); ++i) {
    if (r->strata[i].kind == StratumKind::kThreat) continue;
    EXPECT_EQ(r->strata[i].name, plain->strata[j].name);
    EXPECT_EQ(r->strata[i].sources[0].point.mse,
              plain->strata[j].sources[0].point.mse);
    ++j;
  }
}

TEST(GapTest, SolverHasNoGapOnAConnectFourFile) {
  const Game& game = **FindGame("connect4");
  auto set = LoadPositionFileSet(
      game, az::testing::TestDataDir() + "/connect4/Test_L3_R1_head");
  ASSERT_TRUE(set.ok());
  set->positions.resize(40);
  LabelStats stats;
  auto labels = LabelPositions(*set, LabelOptions(), &stats);
  ASSERT_TRUE(labels.ok()) << labels.status();
  auto solver = engine::SolverEvaluator::Create(game);
  ASSERT_TRUE(solver.ok());
  PlayerUnderTest player{"solver", solver->get(), false, -1, {5}, std::nullopt};
  GapOptions options = Options();
  options.search = engine::DefaultSearchParams(game);
  auto r = MeasureGap(*set, *labels, stats, player, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectZeroGap(*r);
  EXPECT_EQ(Source(*r, "all", "value").point.moves_labelled, 40);
}

// A constant draw (the uniform evaluator's value 0) scores exactly what the
// share of decisive positions says.
TEST(GapTest, ConstantZeroEvaluatorGivesKnownFigures) {
  const Game& game = **FindGame("tictactoe");
  Labelled l = TicTacToeSet(300, 4);
  engine::UniformEvaluator uniform(game);
  PlayerUnderTest player{"uniform", &uniform, false, -1, {}, std::nullopt};
  auto r = MeasureGap(l.set, l.labels, l.stats, player, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  double decisive = 0, draws = 0, sum = 0;
  for (const GroundTruth& g : l.labels) {
    decisive += g.target.Value() != 0;
    draws += g.target.Value() == 0;
    sum += g.target.Value();
  }
  const double n = l.labels.size();
  const Measures& m = Source(*r, "all", "value").point;
  EXPECT_NEAR(m.mse, decisive / n, 1e-12);
  EXPECT_NEAR(m.accuracy, draws / n, 1e-12);
  EXPECT_EQ(m.confident_wrong_rate, 0.0);
  EXPECT_NEAR(m.brier, 2 * decisive / n, 1e-12);
  EXPECT_NEAR(m.log_loss, -std::log(kLogLossFloor) * decisive / n, 1e-9);
  EXPECT_NEAR(m.ece, std::fabs(sum / n), 1e-12);
  const Figure& mse = Source(*r, "all", "value").figures[0];
  EXPECT_LE(mse.lo, mse.value);
  EXPECT_GE(mse.hi, mse.value);
  EXPECT_LT(mse.lo, mse.hi);
  // The worst positions are decisive ones, listed first.
  const PositionResult& worst = r->position_results[r->worst[0]];
  EXPECT_EQ(std::fabs(worst.truth.target.Value()), 1.0);
}

TEST(GapTest, SearchRepairsTheConstantValue) {
  const Game& game = **FindGame("tictactoe");
  Labelled l = TicTacToeSet(150, 9);
  engine::UniformEvaluator uniform(game);
  PlayerUnderTest player{"uniform", &uniform, false, -1, {400}, std::nullopt};
  auto r = MeasureGap(l.set, l.labels, l.stats, player, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  const SourceFigures& search = Source(*r, "all", "search_400");
  ASSERT_TRUE(search.mse_ratio_to_value.has_value());
  EXPECT_LT(search.mse_ratio_to_value->value, 0.5);
  EXPECT_LT(search.point.mse, Source(*r, "all", "value").point.mse);
}

TEST(GapTest, InMinusOutOfASetWithItselfIsZero) {
  const Game& game = **FindGame("tictactoe");
  Labelled l = TicTacToeSet(100);
  engine::UniformEvaluator uniform(game);
  PlayerUnderTest player{"uniform", &uniform, false, -1, {}, std::nullopt};
  auto a = MeasureGap(l.set, l.labels, l.stats, player, Options());
  ASSERT_TRUE(a.ok());
  auto diffs = InMinusOut(*a, *a, 0.95);
  ASSERT_FALSE(diffs.empty());
  for (const DifferenceFigures& d : diffs) {
    EXPECT_EQ(d.figures[0].value, 0.0);
    EXPECT_EQ(d.figures[0].lo, 0.0);
    EXPECT_EQ(d.figures[0].hi, 0.0);
  }
  // Against another sample the interval of the difference is not a point.
  Labelled other = TicTacToeSet(100, 2);
  auto b = MeasureGap(other.set, other.labels, other.stats, player, Options());
  ASSERT_TRUE(b.ok());
  auto d = InMinusOut(*a, *b, 0.95);
  EXPECT_LT(d[0].figures[0].lo, d[0].figures[0].hi);
  EXPECT_EQ(d[0].stratum, "all");
  EXPECT_EQ(d[0].source, "value");
}

TEST(GapTest, BadRequests) {
  const Game& game = **FindGame("tictactoe");
  Labelled l = TicTacToeSet(10);
  engine::UniformEvaluator uniform(game);
  PlayerUnderTest player{"uniform", &uniform, false, -1, {}, std::nullopt};
  std::vector<GroundTruth> fewer(l.labels.begin(), l.labels.end() - 1);
  EXPECT_TRUE(absl::IsInvalidArgument(
      MeasureGap(l.set, fewer, l.stats, player, Options()).status()));
  PlayerUnderTest nothing{"random", nullptr, false, -1, {}, std::nullopt};
  EXPECT_FALSE(MeasureGap(l.set, l.labels, l.stats, nothing, Options()).ok());
  PositionSet empty = l.set;
  empty.positions.clear();
  EXPECT_TRUE(absl::IsFailedPrecondition(
      MeasureGap(empty, {}, l.stats, player, Options()).status()));
}

}  // namespace
}  // namespace az::analysis
