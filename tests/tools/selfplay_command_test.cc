// az selfplay, the actor of a distributed run, against a real redis-server
// with the learner's side published by the test.
#include <string>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "store/game_ingest.h"
#include "store/run_settings.h"
#include "store/run_store.h"
#include "tests/store/redis_server.h"
#include "tests/store/test_runs.h"
#include "tests/test_util.h"

namespace az {
namespace {

using ::az::testing::ExpectOneLineError;
using ::az::testing::RedisServer;
using ::az::testing::RunAz;

using store::testing::TicTacToe;

void PublishRun(store::RedisConnection& redis, const std::string& run) {
  store::testing::PublishTinyRun(redis, store::RunKeys(run));
}

class SelfplayCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AZ_REQUIRE_REDIS_SERVER();
    ASSERT_TRUE(server_.Start());
    spool_ = ::testing::TempDir() + "selfplay-command-spool";
  }
  std::string Flags() {
    return "--store=" + server_.url() + " --spool=" + spool_ +
           " --actor_threads=1 --backend=fast --device=cpu";
  }
  RedisServer server_;
  std::string spool_;
};

TEST_F(SelfplayCommandTest, UsageErrorsExitTwo) {
  ExpectOneLineError("selfplay --run=r", "--store=redis://HOST:PORT");
  ExpectOneLineError("selfplay --store=" + server_.url(), "--run=NAME");
  ExpectOneLineError("selfplay --store=http://x --run=r", "redis://HOST:PORT");
  ExpectOneLineError("selfplay " + Flags() + " --run='a b'", "run name");
  ExpectOneLineError("selfplay " + Flags() + " --run=r --eval_games=3",
                     "not a flag of this subcommand");
}

TEST_F(SelfplayCommandTest, ARunThatDoesNotExistIsOneLineAndExitOne) {
  ExpectOneLineError("selfplay " + Flags() + " --run=nosuchrun",
                     "no run 'nosuchrun'", 1);
}

TEST_F(SelfplayCommandTest, AWrongPasswordIsOneLineAndExitOne) {
  RedisServer::Options o;
  o.requirepass = "right";
  RedisServer locked(o);
  ASSERT_TRUE(locked.Start());
  const std::string pw = ::az::testing::WriteTempFile("wrong-pw", "wrong\n");
  ExpectOneLineError("selfplay --store=" + locked.url() + " --run=r --spool=" +
                         spool_ + "-locked --redis_password_file=" + pw,
                     "refused the password", 1);
  ExpectOneLineError("selfplay --store=" + locked.url() + " --run=r --spool=" +
                         spool_ + "-locked",
                     "wants a password", 1);
}

TEST_F(SelfplayCommandTest, PlaysAndSendsGamesTheLearnerAccepts) {
  store::RedisOptions options;
  options.address = server_.address();
  auto redis = store::RedisConnection::Connect(options).value();
  PublishRun(*redis, "ttt");
  ::az::testing::CommandResult r =
      RunAz("selfplay " + Flags() + " --run=ttt --max_games=20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("az selfplay: actor"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stopped:"), std::string::npos) << r.out;
  auto reader = store::GameStreamReader::Open(*redis, store::RunKeys("ttt"), "l");
  auto entries = reader->ReadNew(*redis, 1000, 100).value();
  EXPECT_GE(entries.size(), 20u);
  store::SeenGames seen;
  for (const store::StreamEntry& e : entries) {
    store::IntakeVerdict v = store::JudgeGameEntry(TicTacToe(), e, seen);
    EXPECT_EQ(v.kind, store::IntakeVerdict::Kind::kAccepted) << v.reason;
    seen.Insert(e.game.actor, e.game.seq);
  }
}

}  // namespace
}  // namespace az
