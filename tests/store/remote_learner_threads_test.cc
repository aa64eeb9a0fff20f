// A learner's link and an actor meeting in a real redis-server: what the
// actor plays arrives in the learner's store once, through outages.
#include "store/remote_learner.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "store/remote_actor.h"
#include "store/run_store.h"
#include "tests/store/redis_server.h"
#include "tests/store/test_runs.h"

namespace az::store {
namespace {

using ::az::testing::RedisServer;

using testing::TicTacToe;

RunSettings Settings() { return testing::TinyRunSettings(); }
nn::Checkpoint Weights(int64_t version) { return testing::TinyWeights(version); }

struct Stored {
  std::mutex mu;
  std::set<std::pair<std::string, uint64_t>> ids;
  int64_t copies = 0;
  int commits = 0;
};

class RemoteLearnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AZ_REQUIRE_REDIS_SERVER();
    RedisServer::Options o;
    o.appendonly = true;
    server_ = std::make_unique<RedisServer>(o);
    ASSERT_TRUE(server_->Start());
  }
  RemoteLearnerOptions LearnerOptions() {
    RemoteLearnerOptions o;
    o.redis.address = server_->address();
    o.redis.timeout_ms = 1000;
    o.run = "ttt";
    o.block_ms = 100;
    return o;
  }
  RemoteActorOptions ActorOptions() {
    RemoteActorOptions o;
    o.redis = LearnerOptions().redis;
    o.run = "ttt";
    o.inference.inference.backend = "fast";
    o.inference.inference.device = "cpu";
    o.spool_path = ::testing::TempDir() + "learner-test-spool-" +
                   std::to_string(::getpid());
    o.weights_poll_ms = 100;
    return o;
  }
  absl::Status StartIngest(RemoteLearner& learner, Stored& stored) {
    return learner.StartIngest(
        SeenGames(),
        [&stored](const GameMessage& origin, selfplay::GameRecord) {
          std::lock_guard<std::mutex> lock(stored.mu);
          stored.ids.insert({origin.actor, origin.seq});
          ++stored.copies;
          return absl::OkStatus();
        },
        [&stored] {
          std::lock_guard<std::mutex> lock(stored.mu);
          ++stored.commits;
          return absl::OkStatus();
        });
  }
  std::unique_ptr<RedisServer> server_;
};

TEST_F(RemoteLearnerTest, VersionsInTheStoreNeverGoBack) {
  auto learner = RemoteLearner::Connect(TicTacToe(), LearnerOptions(),
                                        Settings());
  ASSERT_TRUE(learner.ok()) << learner.status();
  EXPECT_EQ(*(*learner)->PublishWeightsVersion(Weights(0)), 0);
  EXPECT_EQ(*(*learner)->PublishWeightsVersion(Weights(5)), 5);
  // A resumed learner: its checkpoint is older than what it published.
  learner->reset();
  learner = RemoteLearner::Connect(TicTacToe(), LearnerOptions(), Settings());
  ASSERT_TRUE(learner.ok());
  EXPECT_EQ(*(*learner)->PublishWeightsVersion(Weights(3)), 6);
  RedisOptions o = LearnerOptions().redis;
  auto redis = RedisConnection::Connect(o).value();
  auto info = LatestWeights(*redis, RunKeys("ttt")).value();
  EXPECT_EQ(info.version, 6);
  auto bytes = FetchWeights(*redis, RunKeys("ttt"), info, 1 << 20).value();
  EXPECT_EQ(nn::DecodeCheckpoint(bytes, "x")->metadata.weight_version, 6);
}

TEST_F(RemoteLearnerTest, EveryGameAnActorPlaysArrivesOnceThroughARedisRestart) {
  auto learner = RemoteLearner::Connect(TicTacToe(), LearnerOptions(),
                                        Settings());
  ASSERT_TRUE(learner.ok()) << learner.status();
  ASSERT_TRUE((*learner)->PublishWeightsVersion(Weights(1)).ok());
  Stored stored;
  ASSERT_TRUE(StartIngest(**learner, stored).ok());

  auto actor = RemoteActor::Connect(ActorOptions(), 5);
  ASSERT_TRUE(actor.ok()) << actor.status();
  testing::ActorOnAThread play(**actor, 0.05);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  server_->Stop();  // SIGTERM: Redis writes its append-only file and exits
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(server_->Start());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(play.Stop().ok());
  const RemoteActorReport last = play.Last();
  // Let the learner take the rest.
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> lock(stored.mu);
      if (static_cast<int64_t>(stored.ids.size()) >= last.games_played) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*learner)->Stop();
  EXPECT_TRUE((*learner)->failure().ok()) << (*learner)->failure();
  const IngestCounts counts = (*learner)->ingest_counts();
  EXPECT_GT(last.games_played, 0);
  EXPECT_EQ(static_cast<int64_t>(stored.ids.size()), last.games_played);
  EXPECT_EQ(stored.copies, static_cast<int64_t>(stored.ids.size()))
      << "a game was stored twice";
  EXPECT_EQ(counts.accepted, last.games_played);
  EXPECT_EQ(counts.rejected, 0);
  EXPECT_GT(stored.commits, 0);
}

}  // namespace
}  // namespace az::store
