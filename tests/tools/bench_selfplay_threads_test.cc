// `az bench --what=selfplay`: a very short run prints its figures as one
// JSON object (the farm runs several actor threads, hence *_threads_test).
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;

TEST(BenchSelfplayTest, FiguresAsJson) {
  auto r = RunAz(
      "bench --game=tictactoe --what=selfplay --blocks=1 --channels=8 "
      "--sims=8 --seconds=0.2 --warmup_seconds=0.1 --actor_threads=2 "
      "--games_per_thread=4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  for (const char* key :
       {"sims_per_s", "nn_evals_per_s", "mean_batch", "bare_evals_per_s",
        "ratio", "games", "positions", "actor_threads", "games_per_thread",
        "games_in_flight", "inference_threads", "max_batch"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["what"], "selfplay");
  EXPECT_EQ(j["actor_threads"], 2);
  EXPECT_EQ(j["games_in_flight"], 8);
  EXPECT_EQ(j["sims_per_move"], 8);
  EXPECT_GT(j["nn_evals_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["bare_evals_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["sims_per_s"].get<double>(), 0.0);
  // A batch never holds more than one leaf per game in flight.
  EXPECT_GT(j["mean_batch"].get<double>(), 0.0);
  EXPECT_LE(j["mean_batch"].get<double>(), 8.0);
  EXPECT_NEAR(
      j["ratio"].get<double>(),
      j["nn_evals_per_s"].get<double>() / j["bare_evals_per_s"].get<double>(),
      1e-9);
}

TEST(BenchSelfplayTest, BadDurationIsAnError) {
  az::testing::ExpectOneLineError(
      "bench --game=tictactoe --what=selfplay --seconds=0", "--seconds");
}

}  // namespace
}  // namespace az
