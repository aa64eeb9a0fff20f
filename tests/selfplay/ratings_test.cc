#include "selfplay/ratings.h"

#include <cmath>

#include "gtest/gtest.h"

namespace az::selfplay {
namespace {

TEST(EloTest, EvenScoreIsZero) {
  EloEstimate e = EloFromResults(10, 0, 10);
  EXPECT_DOUBLE_EQ(e.elo, 0.0);
  EXPECT_LT(e.lo, 0.0);
  EXPECT_GT(e.hi, 0.0);
  EXPECT_NEAR(e.lo, -e.hi, 1e-9);
  EXPECT_DOUBLE_EQ(EloFromResults(0, 8, 0).elo, 0.0);
}

TEST(EloTest, ThreeQuartersIsAbout191) {
  // -400 log10(1/0.75 - 1) = 400 log10(3) = 190.85.
  EXPECT_NEAR(EloFromResults(3, 0, 1).elo, 190.85, 0.01);
  // Draws are half wins: 2 wins and 2 draws of 4 games is also 75%.
  EXPECT_NEAR(EloFromResults(2, 2, 0).elo, 190.85, 0.01);
  EXPECT_NEAR(EloFromResults(1, 0, 3).elo, -190.85, 0.01);
  EXPECT_NEAR(ScoreFromElo(190.85), 0.75, 1e-4);
}

TEST(EloTest, IntervalByHand) {
  // 75 wins, 25 losses: per-game variance 0.75 * 0.25, standard error
  // sqrt(0.1875 / 100) = 0.0433; 0.75 +- 1.96 * 0.0433 = [0.6651, 0.8349].
  EloEstimate e = EloFromResults(75, 0, 25);
  EXPECT_NEAR(e.lo, -400 * std::log10(1 / 0.66513 - 1), 0.5);
  EXPECT_NEAR(e.hi, -400 * std::log10(1 / 0.83487 - 1), 0.5);
}

TEST(EloTest, IntervalShrinksWithMoreGames) {
  EloEstimate few = EloFromResults(6, 2, 2);
  EloEstimate many = EloFromResults(600, 200, 200);
  EXPECT_NEAR(few.elo, many.elo, 1e-9);
  EXPECT_LT(many.hi - many.lo, (few.hi - few.lo) / 5);
  EXPECT_LT(few.lo, few.elo);
  EXPECT_GT(few.hi, few.elo);
}

TEST(EloTest, PerfectScoreIsUnboundedAboveOnly) {
  EloEstimate e = EloFromResults(20, 0, 0);
  EXPECT_TRUE(std::isinf(e.elo) && e.elo > 0);
  EXPECT_TRUE(std::isinf(e.hi));
  // Rule of three: the score is at least 1 - 3/20 = 0.85.
  EXPECT_NEAR(e.lo, -400 * std::log10(1 / 0.85 - 1), 1e-6);
  EloEstimate none = EloFromResults(0, 0, 0);
  EXPECT_EQ(none.elo, 0.0);
}

TEST(BradleyTerryTest, TwoPlayersMatchTheDirectElo) {
  RatingOptions options;
  options.prior_draws = 0;
  auto r = FitRatings(2, {{0, 1, 3, 0, 1}}, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR((*r)[0], 0.0, 1e-9);  // the anchor
  EXPECT_NEAR((*r)[1], -190.85, 0.05);
}

TEST(BradleyTerryTest, RoundRobinRecoversTheOrderingAndAnchor) {
  // Scores chosen consistent with ratings 0, -100, -300 (rounded counts of
  // 1000 games): P(0 beats 1) = 0.640, P(0 beats 2) = 0.849,
  // P(1 beats 2) = 0.760.
  std::vector<PairResults> pairs = {
      {0, 1, 640, 0, 360}, {0, 2, 849, 0, 151}, {1, 2, 760, 0, 240}};
  RatingOptions options;
  options.prior_draws = 0;
  auto r = FitRatings(3, pairs, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR((*r)[0], 0.0, 1e-9);
  EXPECT_NEAR((*r)[1], -100.0, 5.0);
  EXPECT_NEAR((*r)[2], -300.0, 5.0);
  options.anchor = 2;
  auto shifted = FitRatings(3, pairs, options);
  ASSERT_TRUE(shifted.ok());
  EXPECT_NEAR((*shifted)[2], 0.0, 1e-9);
  EXPECT_NEAR((*shifted)[0] - (*shifted)[1], (*r)[0] - (*r)[1], 1e-6);
}

TEST(BradleyTerryTest, PriorKeepsPerfectScoresFinite) {
  auto r = FitRatings(2, {{0, 1, 10, 0, 0}}, RatingOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isfinite((*r)[1]));
  EXPECT_LT((*r)[1], -200.0);
}

TEST(BradleyTerryTest, RejectsDisconnectedAndBadIndices) {
  EXPECT_FALSE(FitRatings(3, {{0, 1, 1, 0, 1}}, RatingOptions{}).ok());
  EXPECT_FALSE(FitRatings(2, {{0, 2, 1, 0, 1}}, RatingOptions{}).ok());
  RatingOptions bad_anchor;
  bad_anchor.anchor = 5;
  EXPECT_FALSE(FitRatings(2, {{0, 1, 1, 0, 1}}, bad_anchor).ok());
}

}  // namespace
}  // namespace az::selfplay
