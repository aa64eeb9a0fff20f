#include "analysis/bootstrap.h"

#include <cmath>
#include <vector>

#include "base/random.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

double Normal(base::Rng& rng) {
  // Box-Muller.
  const double u = 1.0 - rng.Uniform(), v = rng.Uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * M_PI * v);
}

// Blocks of (count, sum): the statistic is the mean.
Interval MeanInterval(const std::vector<double>& blocks, uint64_t seed) {
  BootstrapOptions options;
  options.seed = seed;
  std::vector<double> replicates = BootstrapReplicates(
      blocks, 2, [](const double* s, double* out) { out[0] = s[1] / s[0]; }, 1,
      options);
  return ReplicateInterval(replicates, 1, 0, options.level);
}

TEST(BootstrapTest, PercentileIntervalOfKnownValues) {
  std::vector<double> values;
  for (int i = 0; i <= 1000; ++i) values.push_back(i);
  values.push_back(std::nan(""));
  const Interval ci = PercentileInterval(values, 0.95);
  EXPECT_NEAR(ci.lo, 25.0, 1e-9);
  EXPECT_NEAR(ci.hi, 975.0, 1e-9);
  EXPECT_TRUE(std::isnan(PercentileInterval({}, 0.95).lo));
}

TEST(BootstrapTest, RepeatableForASeed) {
  std::vector<double> blocks = {1, 0.3, 1, 0.9, 1, -0.2, 1, 0.5, 1, 0.1};
  const Interval a = MeanInterval(blocks, 7), b = MeanInterval(blocks, 7);
  EXPECT_EQ(a.lo, b.lo);
  EXPECT_EQ(a.hi, b.hi);
}

// On synthetic data of known mean, the 95% interval covers the mean in
// about 95% of independent trials.
TEST(BootstrapTest, IntervalsCoverTheTrueMean) {
  const double mean = 0.3;
  int covered = 0;
  const int trials = 200;
  base::Rng rng(12345);
  for (int t = 0; t < trials; ++t) {
    std::vector<double> blocks;
    for (int i = 0; i < 100; ++i) {
      blocks.push_back(1);
      blocks.push_back(mean + Normal(rng));
    }
    const Interval ci = MeanInterval(blocks, 1000 + t);
    if (ci.lo <= mean && mean <= ci.hi) ++covered;
  }
  EXPECT_GE(covered, 0.9 * trials) << covered;
  EXPECT_LE(covered, trials - 1) << "intervals that always cover are too wide";
}

// Positions of one game share its effect: resampling games gives a wider
// (honest) interval than resampling positions as if independent, and covers
// the mean where the iid interval does not often enough.
TEST(BootstrapTest, WholeGameResamplingIsWiderOnCorrelatedData) {
  const double mean = 0.0;
  const int trials = 100, games = 40, per_game = 10;
  int covered_blocks = 0, covered_iid = 0;
  double width_blocks = 0, width_iid = 0;
  base::Rng rng(99);
  for (int t = 0; t < trials; ++t) {
    std::vector<double> by_game, by_position;
    for (int g = 0; g < games; ++g) {
      const double effect = Normal(rng);
      double sum = 0;
      for (int i = 0; i < per_game; ++i) {
        const double x = mean + effect + 0.3 * Normal(rng);
        sum += x;
        by_position.push_back(1);
        by_position.push_back(x);
      }
      by_game.push_back(per_game);
      by_game.push_back(sum);
    }
    const Interval b = MeanInterval(by_game, t),
                   i = MeanInterval(by_position, t);
    width_blocks += b.hi - b.lo;
    width_iid += i.hi - i.lo;
    covered_blocks += b.lo <= mean && mean <= b.hi;
    covered_iid += i.lo <= mean && mean <= i.hi;
  }
  EXPECT_GT(width_blocks, 2.0 * width_iid);
  EXPECT_GE(covered_blocks, 0.85 * trials);
  EXPECT_LT(covered_iid, 0.8 * trials);
}

TEST(BootstrapTest, NoBlocksGiveNaN) {
  BootstrapOptions options;
  options.resamples = 100;
  std::vector<double> r = BootstrapReplicates(
      {}, 2, [](const double* s, double* out) { out[0] = s[1]; }, 1, options);
  ASSERT_EQ(r.size(), 100u);
  EXPECT_TRUE(std::isnan(ReplicateInterval(r, 1, 0, 0.95).lo));
}

}  // namespace
}  // namespace az::analysis
