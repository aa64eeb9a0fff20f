#include "analysis/agreement.h"

#include <cmath>
#include <memory>

#include "analysis/report.h"
#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

AgreementOptions Options() {
  AgreementOptions options;
  options.bootstrap.resamples = 400;
  return options;
}

// Four positions from four games, figures worked out by hand.
AgreementInput HandMade() {
  AgreementInput in;
  in.v_a = {0.5, -0.5, 0.05, 0.8};
  in.v_b = {-0.5, -0.5, -0.5, 0.2};
  in.reward = {1.0, -1.0, 0.0, 1.0};
  in.game = {0, 1, 2, 3};
  return in;
}

TEST(AgreementTest, HandComputedFigures) {
  const AgreementStratum s =
      MeasureAgreement("all", -1, HandMade(), Options());
  EXPECT_EQ(s.positions, 4);
  EXPECT_EQ(s.games, 4);
  // |v_a - v_b| = 1, 0, 0.55, 0.6.
  EXPECT_NEAR(s.mean_abs_difference.value, 2.15 / 4, 1e-12);
  // Only the first is a disagreement: the third's 0.05 is inside the band.
  EXPECT_EQ(s.sign_disagreements, 1);
  EXPECT_NEAR(s.sign_disagreement.value, 0.25, 1e-12);
  // Mean errors (|v_a - r| + |v_b - r|) / 2 = 1, 0.5, 0.275, 0.5.
  EXPECT_NEAR(s.error_where_disagree.value, 1.0, 1e-12);
  EXPECT_NEAR(s.error_where_agree.value, (0.5 + 0.275 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(s.difference_error_correlation.value, 0.6045177907, 1e-9);
  for (const Figure& f : FiguresOf(s)) {
    EXPECT_LE(f.lo, f.value + 1e-12);
    EXPECT_GE(f.hi, f.value - 1e-12);
  }
  // Resampling four games must move the share of disagreements.
  EXPECT_LT(s.sign_disagreement.lo, s.sign_disagreement.hi);
}

TEST(AgreementTest, ABandOfZeroCountsEveryOppositeSign) {
  AgreementOptions options = Options();
  options.sign_band = 0.0;
  const AgreementStratum s = MeasureAgreement("all", -1, HandMade(), options);
  EXPECT_EQ(s.sign_disagreements, 2);  // now 0.05 vs -0.5 counts too
}

TEST(AgreementTest, IdenticalValuesAgreeEverywhere) {
  AgreementInput in = HandMade();
  in.v_b = in.v_a;
  const AgreementStratum s = MeasureAgreement("all", -1, in, Options());
  EXPECT_EQ(s.mean_abs_difference.value, 0.0);
  EXPECT_EQ(s.mean_abs_difference.hi, 0.0);
  EXPECT_EQ(s.sign_disagreement.value, 0.0);
  EXPECT_TRUE(std::isnan(s.error_where_disagree.value));
  EXPECT_TRUE(std::isnan(s.difference_error_correlation.value));
}

TEST(AgreementTest, OneGameGivesAPointInterval) {
  AgreementInput in = HandMade();
  in.game = {7, 7, 7, 7};
  const AgreementStratum s = MeasureAgreement("all", -1, in, Options());
  EXPECT_EQ(s.games, 1);
  EXPECT_EQ(s.sign_disagreement.lo, s.sign_disagreement.value);
  EXPECT_EQ(s.sign_disagreement.hi, s.sign_disagreement.value);
}

// A result by hand: `values` on positions named by `moves`, one game each.
GapResult Result(const std::string& set, const std::string& player,
                 int64_t step, const std::vector<double>& values) {
  GapResult r;
  r.set_name = set;
  r.player = step < 0 ? player : player + "@step-" + std::to_string(step);
  r.step = step;
  for (size_t i = 0; i < values.size(); ++i) {
    PositionResult p;
    p.index = static_cast<int>(i);
    p.moves = std::to_string(i + 1);
    p.game_id = static_cast<int64_t>(i);
    p.stage = static_cast<int>(i % 2);
    p.quiet = i == 0;
    p.raw.v.value = values[i];
    p.truth.target.wdl = {1.0, 0.0, 0.0};
    r.position_results.push_back(p);
  }
  struct Stratum {
    const char* name;
    StratumKind kind;
    int stage;
  };
  for (const Stratum& k : {Stratum{"all", StratumKind::kAll, -1},
                           Stratum{"quiet", StratumKind::kQuiet, -1},
                           Stratum{"early", StratumKind::kStage, 0},
                           Stratum{"late", StratumKind::kStage, 1}}) {
    StratumResult s;
    s.name = k.name;
    s.kind = k.kind;
    s.stage = k.stage;
    r.strata.push_back(s);
  }
  return r;
}

TEST(AgreementTest, PairsTheNewestCheckpointOfEachPlayerPerSet) {
  std::vector<GapResult> results = {
      Result("s", "run:a", 10, {0.9, 0.9, 0.9}),
      Result("s", "run:a", 20, {0.5, 0.5, 0.5}),
      Result("s", "run:b", 30, {-0.5, 0.5, 0.5}),
      Result("t", "run:a", 20, {0.5, 0.5}),  // alone on its set
  };
  auto pairs = ComputeAgreement(results, Options());
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 1u);
  const PairAgreement& p = (*pairs)[0];
  EXPECT_EQ(p.a, 1u);  // run:a at step 20, not its older step 10
  EXPECT_EQ(p.b, 2u);
  ASSERT_EQ(p.strata.size(), 4u);
  EXPECT_EQ(p.strata[0].name, "all");
  EXPECT_NEAR(p.strata[0].sign_disagreement.value, 1.0 / 3, 1e-12);
  EXPECT_EQ(p.strata[1].name, "quiet");  // position 0 only
  EXPECT_EQ(p.strata[1].positions, 1);
  EXPECT_EQ(p.strata[1].sign_disagreement.value, 1.0);
  EXPECT_EQ(p.strata[2].name, "early");  // positions 0 and 2
  EXPECT_EQ(p.strata[2].positions, 2);
  EXPECT_EQ(p.strata[3].name, "late");
  EXPECT_EQ(p.strata[3].sign_disagreement.value, 0.0);
}

TEST(AgreementTest, PairsAreOrderedBySet) {
  // Results come player by player; pairs come set by set.
  std::vector<GapResult> results = {
      Result("s", "x", -1, {0.5}), Result("t", "x", -1, {0.5}),
      Result("s", "y", -1, {0.5}), Result("t", "y", -1, {0.5}),
      Result("s", "z", -1, {0.5}), Result("t", "z", -1, {0.5})};
  auto pairs = ComputeAgreement(results, Options());
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(results[(*pairs)[i].a].set_name, i < 3 ? "s" : "t") << i;
  }
}

TEST(AgreementTest, ComparesTheSharedPositionsOnly) {
  // y's game ends sooner: it lacks x's last position.
  std::vector<GapResult> results = {Result("s", "x", -1, {0.5, -0.5, 0.9}),
                                    Result("s", "y", -1, {0.5, 0.5})};
  auto pairs = ComputeAgreement(results, Options());
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ((*pairs)[0].strata[0].positions, 2);
  EXPECT_EQ((*pairs)[0].strata[0].sign_disagreements, 1);
  // Nothing shared: no pair.
  for (PositionResult& p : results[1].position_results) p.moves += "0";
  pairs = ComputeAgreement(results, Options());
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  EXPECT_TRUE(pairs->empty());
}

// Through MeasureGap and the report: the solver against a constant draw.
// The draw calls no side, so they never disagree in sign; |v_a - v_b| is
// the exact |value|, and the pair's error is half of it.
TEST(AgreementTest, SolverAgainstAConstantDrawThroughTheReport) {
  const Game& game = **FindGame("tictactoe");
  PositionSet set =
      *GeneratePositionSet(game, *ParseGeneratorSpec("random:150", game, 3));
  LabelStats stats;
  std::vector<GroundTruth> labels =
      *LabelPositions(set, LabelOptions(), &stats);
  auto solver = *engine::SolverEvaluator::Create(game);
  engine::UniformEvaluator uniform(game);
  GapOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.bootstrap.resamples = 200;
  GapReport report;
  report.game = game.Name();
  report.bootstrap = options.bootstrap;
  for (auto [name, evaluator] :
       {std::pair<std::string, engine::Evaluator*>{"solver", solver.get()},
        {"uniform", &uniform}}) {
    PlayerUnderTest player{name, evaluator, false, -1, {}, std::nullopt};
    auto r = MeasureGap(set, labels, stats, player, options);
    ASSERT_TRUE(r.ok()) << r.status();
    report.results.push_back(*std::move(r));
  }
  ASSERT_TRUE(ComputeAgreements(&report).ok());
  ASSERT_EQ(report.agreement.size(), 1u);
  double mean_abs = 0.0;
  for (const GroundTruth& t : labels) mean_abs += std::abs(t.target.Value());
  mean_abs /= labels.size();
  ASSERT_GT(mean_abs, 0.1);  // the set has decisive positions
  const AgreementStratum& all = report.agreement[0].strata[0];
  EXPECT_EQ(all.positions, 150);
  EXPECT_NEAR(all.mean_abs_difference.value, mean_abs, 1e-9);
  EXPECT_EQ(all.sign_disagreement.value, 0.0);
  EXPECT_NEAR(all.error_where_agree.value, mean_abs / 2, 1e-9);
  EXPECT_NEAR(all.difference_error_correlation.value, 1.0, 1e-9);
  // The same figures in every output.
  const nlohmann::json j = ReportJson(report);
  ASSERT_EQ(j["agreement"].size(), 1u);
  EXPECT_EQ(j["agreement"][0]["player_a"], "solver");
  EXPECT_NEAR(
      j["agreement"][0]["strata"]["all"]["mean_abs_v_difference"]["value"]
          .get<double>(),
      mean_abs, 1e-9);
  EXPECT_NE(FormatTable(report).find("agreement on"), std::string::npos);
}

}  // namespace
}  // namespace az::analysis
