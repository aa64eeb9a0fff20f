#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;

TEST(BenchCommandTest, SearchFiguresAsJson) {
  auto r = RunAz("bench --game=connect4 --what=search --searches=10 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  for (const char* key : {"sims_per_s", "rollout_sims_per_s", "searches",
                          "sims_per_search", "threads"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_GT(j["sims_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["rollout_sims_per_s"].get<double>(), 0.0);
  EXPECT_EQ(j["searches"], 10);
  EXPECT_EQ(j["sims_per_search"], 800);
  EXPECT_EQ(j["threads"], 1);
}

TEST(BenchCommandTest, UnknownWhatIsAnError) {
  auto r = az::testing::ExpectOneLineError(
      "bench --game=connect4 --what=teleport", "unknown --what=teleport");
  EXPECT_NE(r.err.find("search"), std::string::npos);  // what is known
}

}  // namespace
}  // namespace az
