// The learning-rate schedule of a budgeted training run.
#include "nn/learning_rate.h"

#include "gtest/gtest.h"

namespace az::nn {
namespace {

TEST(LearningRateTest, ConstantWithoutBudgetOrAnneal) {
  const LearningRateSchedule annealed{
      .base = 2e-3, .anneal_fraction = 0.25, .final_fraction = 0.1};
  // No budget: the run never knows it is ending.
  EXPECT_EQ(ScheduledLearningRate(annealed, -1), 2e-3);
  const LearningRateSchedule constant{
      .base = 2e-3, .anneal_fraction = 0, .final_fraction = 0.1};
  for (double progress : {0.0, 0.5, 0.99, 1.0, 3.0}) {
    EXPECT_EQ(ScheduledLearningRate(constant, progress), 2e-3) << progress;
  }
}

TEST(LearningRateTest, HalfCosineOverTheLastShareOfTheBudget) {
  const LearningRateSchedule s{
      .base = 2e-3, .anneal_fraction = 0.25, .final_fraction = 0.1};
  EXPECT_EQ(ScheduledLearningRate(s, 0.0), 2e-3);
  EXPECT_EQ(ScheduledLearningRate(s, 0.75), 2e-3);
  // Halfway through the anneal the rate is halfway between base and floor.
  EXPECT_NEAR(ScheduledLearningRate(s, 0.875), 2e-3 * 0.55, 1e-12);
  EXPECT_NEAR(ScheduledLearningRate(s, 1.0), 2e-4, 1e-12);
  // A run that overshoots its budget (the last step) stays at the floor.
  EXPECT_NEAR(ScheduledLearningRate(s, 1.2), 2e-4, 1e-12);
  double previous = ScheduledLearningRate(s, 0.0);
  for (int i = 1; i <= 100; ++i) {
    const double rate = ScheduledLearningRate(s, i / 100.0);
    EXPECT_LE(rate, previous) << "at " << i << "%";
    EXPECT_GE(rate, 2e-4 - 1e-12);
    previous = rate;
  }
}

TEST(LearningRateTest, AnnealOverTheWholeBudget) {
  const LearningRateSchedule s{
      .base = 1.0, .anneal_fraction = 1.0, .final_fraction = 0.0};
  EXPECT_EQ(ScheduledLearningRate(s, 0.0), 1.0);
  EXPECT_NEAR(ScheduledLearningRate(s, 0.5), 0.5, 1e-12);
  EXPECT_NEAR(ScheduledLearningRate(s, 1.0), 0.0, 1e-12);
}

}  // namespace
}  // namespace az::nn
