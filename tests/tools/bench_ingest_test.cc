// `az bench --what=ingest` against a real redis-server: the figures as one
// JSON object, and --store missing as a usage error.
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/store/redis_server.h"
#include "tests/test_util.h"

namespace az {
namespace {

using ::az::testing::RedisServer;
using ::az::testing::RunAz;

TEST(BenchIngestTest, FiguresAsJson) {
  AZ_REQUIRE_REDIS_SERVER();
  RedisServer server;
  ASSERT_TRUE(server.Start());
  auto r = RunAz("bench --game=connect4 --what=ingest --store=" +
                 server.url() + " --ingest_games=2000 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  for (const char* key :
       {"games", "positions", "seconds", "games_per_s", "positions_per_s",
        "mean_record_bytes", "rejected"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["what"], "ingest");
  EXPECT_EQ(j["games"], 2000);
  EXPECT_EQ(j["rejected"], 0);
  EXPECT_EQ(j["senders"], 2);
  EXPECT_GT(j["positions"].get<int64_t>(), 2000);
  EXPECT_GT(j["positions_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["mean_record_bytes"].get<double>(), 0.0);
}

TEST(BenchIngestTest, StoreIsRequired) {
  az::testing::ExpectOneLineError("bench --game=connect4 --what=ingest",
                                  "--store");
}

TEST(BenchIngestTest, MalformedStoreIsAUsageError) {
  az::testing::ExpectOneLineError(
      "bench --game=connect4 --what=ingest --store=http://x", "http://x");
}

}  // namespace
}  // namespace az
