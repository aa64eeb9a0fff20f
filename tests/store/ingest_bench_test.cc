#include "store/ingest_bench.h"

#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/record_io.h"
#include "tests/store/redis_server.h"

namespace az::store {
namespace {

TEST(IngestBenchTest, EveryGameSentIsIngestedAndWritten) {
  AZ_REQUIRE_REDIS_SERVER();
  az::testing::RedisServer server;
  ASSERT_TRUE(server.Start());
  IngestBenchOptions o;
  o.redis.address = server.address();
  o.dir = ::testing::TempDir() + "ingest-bench-" + std::to_string(::getpid());
  o.games = 3000;
  o.senders = 2;
  absl::StatusOr<IngestBenchResult> r = MeasureIngest(**FindGame("connect4"), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->games, 3000);
  EXPECT_EQ(r->rejected, 0);
  EXPECT_GT(r->positions, 3000 * 7);
  EXPECT_GT(r->positions_per_s, 0);
  // What was acknowledged is on disk.
  absl::StatusOr<selfplay::ShardContents> shard =
      selfplay::ReadShard(o.dir + "/shard-00000000.azr");
  ASSERT_TRUE(shard.ok()) << shard.status();
  EXPECT_EQ(shard->records.size(), 3000u);
}

}  // namespace
}  // namespace az::store
