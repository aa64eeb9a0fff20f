// The actor of a distributed run against a real redis-server, with the
// learner's side played by the test: it publishes settings and weights and
// reads what arrives, judging every game as the learner does.
#include "store/remote_actor.h"

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "selfplay/record_io.h"
#include "store/game_intake.h"
#include "store/run_store.h"
#include "tests/store/redis_server.h"
#include "tests/store/test_runs.h"

namespace az::store {
namespace {

using ::az::testing::RedisServer;

class RemoteActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AZ_REQUIRE_REDIS_SERVER();
    ASSERT_TRUE(server_.Start());
    learner_ = Connect();
    ASSERT_NE(learner_, nullptr);
  }

  std::unique_ptr<RedisConnection> Connect() {
    auto c = RedisConnection::Connect(Options().redis);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  RemoteActorOptions Options() {
    RemoteActorOptions o;
    o.redis.address = server_.address();
    o.redis.timeout_ms = 1000;
    o.run = "ttt";
    o.actor_threads = 1;
    o.inference.inference.backend = "fast";
    o.inference.inference.device = "cpu";
    o.spool_path = ::testing::TempDir() + "actor-spool-" +
                   std::to_string(spool_counter_++);
    o.weights_poll_ms = 100;
    o.actor_id = "test-actor";
    return o;
  }

  void PublishRun(int64_t max_backlog = 100000) {
    testing::PublishTinyRun(*learner_, keys_, max_backlog);
  }

  void PublishVersion(int64_t version) {
    absl::StatusOr<std::string> bytes =
        nn::EncodeCheckpoint(testing::TinyWeights(version, 100 + version));
    ASSERT_TRUE(bytes.ok());
    ASSERT_TRUE(PublishWeights(*learner_, keys_, version, *bytes).ok());
  }

  // Every game in the stream, judged as the learner judges them.
  std::vector<IntakeVerdict> TakeGames() {
    auto reader = GameStreamReader::Open(*learner_, keys_, "learner");
    EXPECT_TRUE(reader.ok());
    std::vector<IntakeVerdict> verdicts;
    SeenGames seen;
    while (true) {
      auto entries = reader->ReadNew(*learner_, 100, 10);
      EXPECT_TRUE(entries.ok()) << entries.status();
      if (!entries.ok() || entries->empty()) break;
      for (const StreamEntry& e : *entries) {
        verdicts.push_back(JudgeGameEntry(Game(), e, seen));
        if (verdicts.back().kind == IntakeVerdict::Kind::kAccepted) {
          seen.Insert(e.game.actor, e.game.seq);
        }
      }
    }
    return verdicts;
  }

  static const az::Game& Game() { return **FindGame("tictactoe"); }

  RedisServer server_;
  std::unique_ptr<RedisConnection> learner_;
  RunKeys keys_{"ttt"};
  int spool_counter_ = 0;
};

TEST_F(RemoteActorTest, ARunThatDoesNotExistIsRefusedInOneLine) {
  auto actor = RemoteActor::Connect(Options(), 0);
  EXPECT_TRUE(absl::IsNotFound(actor.status())) << actor.status();
  EXPECT_NE(std::string(actor.status().message()).find("no run 'ttt'"),
            std::string::npos);
  EXPECT_EQ(std::string(actor.status().message()).find('\n'), std::string::npos);
}

TEST_F(RemoteActorTest, AnotherFormatVersionIsRefused) {
  PublishRun();
  ASSERT_TRUE(learner_->Command({"HSET", keys_.settings(), "record_format", "99"}).ok());
  auto actor = RemoteActor::Connect(Options(), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(actor.status())) << actor.status();
}

TEST_F(RemoteActorTest, AGameThisAzDoesNotHaveIsRefused) {
  PublishRun();
  ASSERT_TRUE(learner_->Command({"HSET", keys_.settings(), "game", "chess"}).ok());
  auto actor = RemoteActor::Connect(Options(), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(actor.status())) << actor.status();
  EXPECT_NE(std::string(actor.status().message()).find("chess"), std::string::npos);
}

TEST_F(RemoteActorTest, ARewardSpecThisAzDoesNotHaveIsRefused) {
  PublishRun();
  ASSERT_TRUE(
      learner_->Command({"HSET", keys_.settings(), "reward", "corners"}).ok());
  auto actor = RemoteActor::Connect(Options(), 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(actor.status())) << actor.status();
  const std::string message(actor.status().message());
  EXPECT_NE(message.find("reward spec corners"), std::string::npos) << message;
  EXPECT_NE(message.find("no_diagonals"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

// An actor plays the run's spec: its games carry that spec's z and the
// learner of that spec accepts them all.
TEST_F(RemoteActorTest, PlaysUnderTheRunsRewardSpec) {
  PublishRun();
  ASSERT_TRUE(
      learner_->Command({"HSET", keys_.settings(), "reward", "no_diagonals"})
          .ok());
  RemoteActorOptions options = Options();
  options.max_games = 8;
  auto actor = RemoteActor::Connect(options, 5);
  ASSERT_TRUE(actor.ok()) << actor.status();
  std::atomic<bool> stop{false};
  ASSERT_TRUE((*actor)->Run(stop, 0.1, [](const RemoteActorReport&) {}).ok());
  const az::Game& spec = **FindGameWithReward("tictactoe", "no_diagonals");
  auto reader = GameStreamReader::Open(*learner_, keys_, "learner");
  ASSERT_TRUE(reader.ok());
  auto entries = reader->ReadNew(*learner_, 100, 10);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_GE(entries->size(), 8u);
  for (const StreamEntry& e : *entries) {
    IntakeVerdict v = JudgeGameEntry(spec, e, SeenGames());
    EXPECT_EQ(v.kind, IntakeVerdict::Kind::kAccepted) << v.reason;
    EXPECT_EQ(v.record.reward, "no_diagonals");
    // The rules' learner would not take them.
    EXPECT_NE(JudgeGameEntry(Game(), e, SeenGames()).kind,
              IntakeVerdict::Kind::kAccepted);
  }
}

TEST_F(RemoteActorTest, PlaysAndSendsGamesTheRulesAccept) {
  PublishRun();
  RemoteActorOptions options = Options();
  options.max_games = 12;
  auto actor = RemoteActor::Connect(options, 5);
  ASSERT_TRUE(actor.ok()) << actor.status();
  std::atomic<bool> stop{false};
  RemoteActorReport last;
  ASSERT_TRUE((*actor)->Run(stop, 0.1, [&](const RemoteActorReport& r) { last = r; }).ok());
  EXPECT_GE(last.games_sent, 12);
  EXPECT_EQ(last.games_spooled, 0);
  std::vector<IntakeVerdict> games = TakeGames();
  EXPECT_EQ(static_cast<int64_t>(games.size()), last.games_sent);
  std::set<uint64_t> seqs;
  for (const IntakeVerdict& v : games) {
    EXPECT_EQ(v.kind, IntakeVerdict::Kind::kAccepted) << v.reason;
    EXPECT_EQ(v.record.weights_version, 1);
  }
}

TEST_F(RemoteActorTest, NewWeightsAreTakenUpAndDamagedOnesRefused) {
  PublishRun();
  auto actor = RemoteActor::Connect(Options(), 5);
  ASSERT_TRUE(actor.ok()) << actor.status();
  testing::ActorOnAThread run(**actor, 0.05);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  PublishVersion(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  // Version 3 arrives damaged: refused, version 2 stays in use.
  PublishVersion(3);
  ASSERT_TRUE(learner_->Command({"SETRANGE", keys_.weights(3), "100", "xx"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ASSERT_TRUE(run.Stop().ok());
  const RemoteActorReport last = run.Last();
  EXPECT_EQ(last.weights_version, 2);
  EXPECT_GE(last.weights_refused, 1);
  std::map<int64_t, int> by_version;
  for (const IntakeVerdict& v : TakeGames()) {
    ASSERT_EQ(v.kind, IntakeVerdict::Kind::kAccepted) << v.reason;
    ++by_version[v.record.weights_version];
  }
  EXPECT_GT(by_version[1], 0);
  EXPECT_GT(by_version[2], 0);
  EXPECT_EQ(by_version.count(3), 0u);
}

TEST_F(RemoteActorTest, GamesPlayedWhileRedisIsAwayAreSpooledThenSent) {
  RedisServer::Options persistent;
  persistent.appendonly = true;
  RedisServer server(persistent);
  ASSERT_TRUE(server.Start());
  RemoteActorOptions options = Options();
  options.redis.address = server.address();
  learner_ = RedisConnection::Connect(options.redis).value();
  PublishRun();
  auto actor = RemoteActor::Connect(options, 5);
  ASSERT_TRUE(actor.ok()) << actor.status();
  testing::ActorOnAThread run(**actor, 0.05);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int64_t spooled_while_away = 0;
  for (const RemoteActorReport& r : run.Reports()) {
    spooled_while_away = std::max(spooled_while_away, r.games_spooled);
  }
  ASSERT_TRUE(server.Start());
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  ASSERT_TRUE(run.Stop().ok());
  EXPECT_GT(spooled_while_away, 0);
  const RemoteActorReport last = run.Last();
  EXPECT_EQ(last.games_spooled, 0);
  EXPECT_TRUE(last.connected);
  learner_ = RedisConnection::Connect(options.redis).value();
  // Every game the farm finished reached the stream. A batch that Redis
  // took just before it went away is sent again from the spool: those
  // copies are duplicates, which the learner drops, and nothing else is.
  int64_t accepted = 0, duplicates = 0;
  for (const IntakeVerdict& v : TakeGames()) {
    accepted += v.kind == IntakeVerdict::Kind::kAccepted;
    duplicates += v.kind == IntakeVerdict::Kind::kDuplicate;
    EXPECT_NE(v.kind, IntakeVerdict::Kind::kRejected) << v.reason;
  }
  EXPECT_EQ(accepted, last.games_played);
  // games_sent counts the sends Redis confirmed; the stream may also hold
  // copies from a send that broke before its reply (at most one batch).
  EXPECT_GE(accepted + duplicates, last.games_sent);
  EXPECT_LE(duplicates, 256);
}

TEST_F(RemoteActorTest, ALongBacklogPausesSelfPlay) {
  PublishRun(/*max_backlog=*/3);
  auto actor = RemoteActor::Connect(Options(), 5);
  ASSERT_TRUE(actor.ok()) << actor.status();
  testing::ActorOnAThread run(**actor, 0.05);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  const int64_t backlog = *GamesBacklog(*learner_, keys_);
  ASSERT_TRUE(run.Stop().ok());
  const RemoteActorReport last = run.Last();
  EXPECT_TRUE(last.paused);
  // Sending stops at the limit; the games finished meanwhile wait in the
  // actor, whose farm is paused.
  EXPECT_EQ(backlog, 3);
  EXPECT_LE(last.games_played, 3 + 2 * 4 + 4);
}

}  // namespace
}  // namespace az::store
