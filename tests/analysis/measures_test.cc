#include "analysis/measures.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace az::analysis {
namespace {

RewardTarget Exact(int reward) {
  RewardTarget t;
  t.wdl = {reward > 0 ? 1.0 : 0.0, reward == 0 ? 1.0 : 0.0,
           reward < 0 ? 1.0 : 0.0};
  return t;
}

ValuePrediction OneHot(int reward) {
  ValuePrediction p;
  p.wdl = Exact(reward).wdl;
  p.value = reward;
  p.has_wdl = true;
  return p;
}

ValuePrediction Scalar(double value) {
  return {value, DrawFreeWdl(value), false};
}

TEST(MeasuresTest, PerfectPredictionsHaveNoError) {
  std::vector<ScoredPosition> positions;
  for (int r : {1, 0, -1, 1, 0}) {
    positions.push_back({OneHot(r), Exact(r), false});
  }
  const Measures m = ComputeMeasures(positions);
  EXPECT_EQ(m.positions, 5);
  EXPECT_DOUBLE_EQ(m.mse, 0.0);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.confident_wrong_rate, 0.0);
  EXPECT_NEAR(m.log_loss, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.brier, 0.0);
  EXPECT_DOUBLE_EQ(m.ece, 0.0);
  EXPECT_DOUBLE_EQ(m.move_mistake_rate, 0.0);
}

// A constant draw prediction (value 0, P(draw) = 1) gives figures that
// follow from the share of decisive positions alone.
TEST(MeasuresTest, ConstantDrawGivesKnownFigures) {
  const std::vector<int> rewards = {1, 1, 1, -1, 0, 0, 0, 0, 0, -1};
  std::vector<ScoredPosition> positions;
  for (int r : rewards) positions.push_back({OneHot(0), Exact(r), {}});
  const Measures m = ComputeMeasures(positions);
  const double decisive = 0.5, draws = 0.5, mean_reward = 0.1;
  EXPECT_DOUBLE_EQ(m.mse, decisive);
  EXPECT_DOUBLE_EQ(m.accuracy, draws);
  EXPECT_DOUBLE_EQ(m.confident_wrong_rate, 0.0);
  EXPECT_DOUBLE_EQ(m.brier, 2 * decisive);
  EXPECT_NEAR(m.log_loss, -decisive * std::log(kLogLossFloor), 1e-9);
  EXPECT_NEAR(m.ece, mean_reward, 1e-12);
  EXPECT_TRUE(std::isnan(m.move_mistake_rate));
  EXPECT_EQ(m.moves_labelled, 0);
}

TEST(MeasuresTest, ScalarClassesUseThirds) {
  EXPECT_EQ(PredictedClass(Scalar(0.34)), OutcomeClass::kWin);
  EXPECT_EQ(PredictedClass(Scalar(0.33)), OutcomeClass::kDraw);
  EXPECT_EQ(PredictedClass(Scalar(-0.34)), OutcomeClass::kLoss);
  // A WDL names its argmax even where the value would say draw.
  ValuePrediction p{0.2, {0.5, 0.2, 0.3}, true};
  EXPECT_EQ(PredictedClass(p), OutcomeClass::kWin);
  // Ties go to draw.
  ValuePrediction tie{0.0, {0.4, 0.4, 0.2}, true};
  EXPECT_EQ(PredictedClass(tie), OutcomeClass::kDraw);
}

TEST(MeasuresTest, ConfidentWrongCountsOnlyConfidentMisses) {
  std::vector<ScoredPosition> positions = {
      {Scalar(0.95), Exact(0), {}},   // confident win, a draw: wrong
      {Scalar(0.95), Exact(1), {}},   // right
      {Scalar(-0.95), Exact(1), {}},  // wrong
      {Scalar(0.85), Exact(-1), {}},  // not confident
  };
  EXPECT_DOUBLE_EQ(ComputeMeasures(positions).confident_wrong_rate, 0.5);
}

TEST(MeasuresTest, DrawFreeScalarOnADrawHitsTheLogLossFloor) {
  std::vector<ScoredPosition> positions = {{Scalar(0.0), Exact(0), {}}};
  const Measures m = ComputeMeasures(positions);
  EXPECT_NEAR(m.log_loss, -std::log(kLogLossFloor), 1e-9);
  EXPECT_DOUBLE_EQ(m.brier, 0.25 + 1.0 + 0.25);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
}

TEST(MeasuresTest, SumsAddAcrossDisjointSets) {
  std::vector<ScoredPosition> a = {{Scalar(0.5), Exact(1), true},
                                   {Scalar(-0.2), Exact(0), false}};
  std::vector<ScoredPosition> b = {{Scalar(0.99), Exact(-1), true}};
  MeasureSums sa, sb, all;
  for (const auto& p : a) sa.Add(p), all.Add(p);
  for (const auto& p : b) sb.Add(p), all.Add(p);
  sa += sb;
  for (int i = 0; i < MeasureSums::kSize; ++i) {
    EXPECT_DOUBLE_EQ(sa.sums[i], all.sums[i]) << i;
  }
  const Measures m = MeasuresFromSums(all);
  EXPECT_DOUBLE_EQ(m.move_mistake_rate, 2.0 / 3.0);
  EXPECT_NEAR(m.mse, (0.25 + 0.04 + 1.99 * 1.99) / 3, 1e-12);
}

TEST(MeasuresTest, CalibrationBinsCoverTheRange) {
  EXPECT_EQ(CalibrationBin(-1.0), 0);
  EXPECT_EQ(CalibrationBin(1.0), kCalibrationBins - 1);
  EXPECT_EQ(CalibrationBin(0.0), kCalibrationBins / 2);
  std::vector<ScoredPosition> positions = {{Scalar(0.9), Exact(1), {}},
                                           {Scalar(0.9), Exact(0), {}}};
  MeasureSums sums;
  for (const auto& p : positions) sums.Add(p);
  const auto bins = ReliabilityFromSums(sums.sums.data());
  const ReliabilityBin& bin = bins[CalibrationBin(0.9)];
  EXPECT_EQ(bin.positions, 2);
  EXPECT_DOUBLE_EQ(bin.mean_value, 0.9);
  EXPECT_DOUBLE_EQ(bin.mean_target, 0.5);
  EXPECT_NEAR(MeasuresFromSums(sums).ece, 0.4, 1e-12);
}

TEST(MeasuresTest, NoPositionsGiveNaN) {
  const Measures m = ComputeMeasures({});
  EXPECT_EQ(m.positions, 0);
  EXPECT_TRUE(std::isnan(m.mse));
  EXPECT_TRUE(std::isnan(m.accuracy));
}

}  // namespace
}  // namespace az::analysis
