#include "base/random.h"

#include <vector>

#include "gtest/gtest.h"

namespace az::base {
namespace {

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a();
    EXPECT_EQ(x, b());
    differs |= x != c();
  }
  EXPECT_TRUE(differs);
}

TEST(RngTest, BelowStaysInRangeAndCoversIt) {
  Rng rng(7);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    uint32_t x = rng.Below(7);
    ASSERT_LT(x, 7u);
    ++counts[x];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 600);
}

TEST(DirichletTest, SamplesAreDistributionsWithTheRightSpread) {
  Rng rng(1);
  std::vector<float> x(5);
  double mean0 = 0.0;
  double max_small_alpha = 0.0;
  for (int i = 0; i < 2000; ++i) {
    SampleDirichlet(1.0f, 5, rng, x.data());
    double sum = 0.0;
    for (float v : x) {
      EXPECT_GE(v, 0.0f);
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    mean0 += x[0] / 2000.0;
    SampleDirichlet(0.03f, 5, rng, x.data());
    max_small_alpha += *std::max_element(x.begin(), x.end()) / 2000.0;
  }
  EXPECT_NEAR(mean0, 0.2, 0.02);
  // A small alpha concentrates the mass on one component.
  EXPECT_GT(max_small_alpha, 0.9);
}

}  // namespace
}  // namespace az::base
