#include "store/run_store.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/store/redis_server.h"

namespace az::store {
namespace {

using ::az::testing::RedisServer;

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AZ_REQUIRE_REDIS_SERVER();
    ASSERT_TRUE(server_.Start());
    redis_ = Connect();
    ASSERT_NE(redis_, nullptr);
  }
  std::unique_ptr<RedisConnection> Connect() {
    RedisOptions options;
    options.address = server_.address();
    auto c = RedisConnection::Connect(options);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }
  GameMessage Game(const std::string& actor, uint64_t seq) {
    GameMessage g;
    g.actor = actor;
    g.seq = seq;
    g.weights_version = 7;
    g.record = std::string("rec\0ord-", 8) + actor + std::to_string(seq);
    return g;
  }

  RedisServer server_;
  std::unique_ptr<RedisConnection> redis_;
  RunKeys keys_{"c4-a"};
};

TEST(RunKeysTest, NamesAreCheckedAndKeysShareOneHashTag) {
  EXPECT_TRUE(ValidateRunName("c4_2026-12.3").ok());
  for (const char* bad : {"", "a b", "a:b", "a{b", "../x", "a*"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateRunName(bad))) << bad;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateRunName(std::string(65, 'a'))));
  RunKeys keys("r");
  EXPECT_EQ(keys.settings(), "az:{r}:settings");
  EXPECT_EQ(keys.weights(12), "az:{r}:weights:12");
  EXPECT_EQ(keys.games(), "az:{r}:games");
}

TEST_F(RunStoreTest, SettingsOfAMissingRunAreNotFound) {
  absl::StatusOr<std::map<std::string, std::string>> s =
      ReadSettings(*redis_, keys_);
  EXPECT_TRUE(absl::IsNotFound(s.status())) << s.status();
  EXPECT_NE(std::string(s.status().message()).find("no run 'c4-a'"),
            std::string::npos);
  ASSERT_TRUE(PublishSettings(*redis_, keys_, {{"game", "connect4"}, {"b", "2"}}).ok());
  ASSERT_TRUE(PublishSettings(*redis_, keys_, {{"game", "connect4"}}).ok());
  s = ReadSettings(*redis_, keys_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (std::map<std::string, std::string>{{"game", "connect4"}}));
  // Another run's settings are another run's.
  EXPECT_TRUE(absl::IsNotFound(ReadSettings(*redis_, RunKeys("other")).status()));
}

TEST_F(RunStoreTest, WeightsAreVersionedCheckedAndNeverGoBack) {
  EXPECT_TRUE(absl::IsNotFound(LatestWeights(*redis_, keys_).status()));
  const std::string v1(1000, '\1'), v2("two\0two", 7), v3(300, '3');
  ASSERT_TRUE(PublishWeights(*redis_, keys_, 1, v1).ok());
  ASSERT_TRUE(PublishWeights(*redis_, keys_, 2, v2).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(PublishWeights(*redis_, keys_, 2, v3)));
  absl::StatusOr<WeightsInfo> info = LatestWeights(*redis_, keys_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, 2);
  EXPECT_EQ(info->bytes, 7);
  absl::StatusOr<std::string> bytes = FetchWeights(*redis_, keys_, *info, 1 << 20);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, v2);
  // The previous version stays readable; the one before it is deleted.
  ASSERT_TRUE(PublishWeights(*redis_, keys_, 3, v3).ok());
  EXPECT_EQ(redis_->Command({"EXISTS", keys_.weights(2)})->integer, 1);
  EXPECT_EQ(redis_->Command({"EXISTS", keys_.weights(1)})->integer, 0);
  EXPECT_TRUE(absl::IsNotFound(FetchWeights(*redis_, keys_,
                                            WeightsInfo{1, 0, 1000}, 1 << 20)
                                   .status()));
  // Over the caller's limit: refused before reading.
  info = LatestWeights(*redis_, keys_);
  EXPECT_TRUE(absl::IsDataLoss(FetchWeights(*redis_, keys_, *info, 10).status()));
}

TEST_F(RunStoreTest, DamagedWeightsAreRefused) {
  ASSERT_TRUE(PublishWeights(*redis_, keys_, 5, std::string(100, 'w')).ok());
  absl::StatusOr<WeightsInfo> info = LatestWeights(*redis_, keys_);
  ASSERT_TRUE(info.ok());
  // A flipped byte: same size, other checksum.
  ASSERT_TRUE(redis_->Command({"SETRANGE", keys_.weights(5), "50", "x"}).ok());
  absl::StatusOr<std::string> bytes = FetchWeights(*redis_, keys_, *info, 1 << 20);
  EXPECT_TRUE(absl::IsDataLoss(bytes.status())) << bytes.status();
  // A longer value than announced.
  ASSERT_TRUE(redis_->Command({"APPEND", keys_.weights(5), "more"}).ok());
  EXPECT_TRUE(absl::IsDataLoss(FetchWeights(*redis_, keys_, *info, 1 << 20).status()));
}

TEST_F(RunStoreTest, GamesArriveOnceAcknowledgedAndSurviveALearnerKill) {
  auto reader = GameStreamReader::Open(*redis_, keys_, "learner-1");
  ASSERT_TRUE(reader.ok()) << reader.status();
  // Opening again (a restart) keeps the group.
  ASSERT_TRUE(GameStreamReader::Open(*redis_, keys_, "learner-1").ok());
  ASSERT_TRUE(SendGames(*redis_, keys_, {Game("a", 1), Game("a", 2), Game("b", 1)}).ok());
  EXPECT_EQ(*GamesBacklog(*redis_, keys_), 3);

  auto read = reader->ReadNew(*redis_, 2, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_TRUE((*read)[0].parsed.ok());
  EXPECT_EQ((*read)[0].game.actor, "a");
  EXPECT_EQ((*read)[0].game.seq, 1u);
  EXPECT_EQ((*read)[0].game.weights_version, 7);
  EXPECT_EQ((*read)[0].game.record, Game("a", 1).record);
  ASSERT_TRUE(reader->Acknowledge(*redis_, {(*read)[0].id}).ok());
  // The learner dies holding the second game. Its successor gets it back,
  // then the rest; nothing acknowledged comes again.
  auto next = GameStreamReader::Open(*redis_, keys_, "learner-1");
  auto pending = next->ReadUnacknowledged(*redis_, 10, 60000);
  ASSERT_TRUE(pending.ok()) << pending.status();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].game.seq, 2u);
  ASSERT_TRUE(next->Acknowledge(*redis_, {(*pending)[0].id}).ok());
  EXPECT_TRUE(next->ReadUnacknowledged(*redis_, 10, 60000)->empty());
  auto rest = next->ReadNew(*redis_, 10, 100);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().game.actor, "b");
  ASSERT_TRUE(next->Acknowledge(*redis_, {rest->front().id}).ok());
  EXPECT_TRUE(next->ReadNew(*redis_, 10, 50)->empty());
  EXPECT_EQ(*GamesBacklog(*redis_, keys_), 0);
}

TEST_F(RunStoreTest, ALearnerUnderAnotherNameClaimsWhatWasLeft) {
  auto old_reader = GameStreamReader::Open(*redis_, keys_, "old");
  ASSERT_TRUE(SendGames(*redis_, keys_, {Game("a", 1)}).ok());
  ASSERT_EQ(old_reader->ReadNew(*redis_, 10, 100)->size(), 1u);
  auto reader = GameStreamReader::Open(*redis_, keys_, "new");
  auto claimed = reader->ReadUnacknowledged(*redis_, 10, /*claim_idle_ms=*/0);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().game.actor, "a");
}

TEST_F(RunStoreTest, GarbageEntriesAreReadAsGarbage) {
  auto reader = GameStreamReader::Open(*redis_, keys_, "l");
  ASSERT_TRUE(redis_->Command({"XADD", keys_.games(), "*", "junk", "1"}).ok());
  ASSERT_TRUE(redis_->Command({"XADD", keys_.games(), "*", "actor", "a", "seq",
                               "-3", "weights_version", "1", "record", "r"}).ok());
  ASSERT_TRUE(redis_->Command({"XADD", keys_.games(), "*", "actor", "a", "seq",
                               "1", "weights_version", "x", "record", "r"}).ok());
  ASSERT_TRUE(SendGames(*redis_, keys_, {Game("a", 9)}).ok());
  auto read = reader->ReadNew(*redis_, 10, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 4u);
  EXPECT_TRUE(absl::IsDataLoss((*read)[0].parsed));
  EXPECT_TRUE(absl::IsDataLoss((*read)[1].parsed));
  EXPECT_TRUE(absl::IsDataLoss((*read)[2].parsed));
  EXPECT_TRUE((*read)[3].parsed.ok());
}

TEST_F(RunStoreTest, AnActorAclCanReadWeightsAndAppendGamesOnly) {
  // The README's actor user, on a server that has it.
  server_.Stop();
  RedisServer::Options with_acl;
  with_acl.acl = {
      "user learner on >lpw ~az:{c4-a}:* +@all",
      "user actor on >apw resetkeys %R~az:{c4-a}:settings "
      "%R~az:{c4-a}:weights* ~az:{c4-a}:games -@all +ping +select "
      "+hgetall +hmget +hget +strlen +get +xadd +xlen"};
  RedisServer server(with_acl);
  ASSERT_TRUE(server.Start());
  RedisOptions options;
  options.address = server.address();
  options.credentials = {"learner", "lpw"};
  auto learner = RedisConnection::Connect(options);
  ASSERT_TRUE(learner.ok()) << learner.status();
  ASSERT_TRUE(PublishSettings(**learner, keys_, {{"game", "tictactoe"}}).ok());
  ASSERT_TRUE(PublishWeights(**learner, keys_, 1, "weights").ok());
  options.credentials = {"actor", "apw"};
  auto actor = RedisConnection::Connect(options);
  ASSERT_TRUE(actor.ok()) << actor.status();
  EXPECT_TRUE(ReadSettings(**actor, keys_).ok());
  auto info = LatestWeights(**actor, keys_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(*FetchWeights(**actor, keys_, *info, 100), "weights");
  EXPECT_TRUE(SendGames(**actor, keys_, {Game("a", 1)}).ok());
  EXPECT_TRUE(GamesBacklog(**actor, keys_).ok());
  // What a compromised actor must not do.
  EXPECT_TRUE(absl::IsPermissionDenied(PublishWeights(**actor, keys_, 9, "evil")));
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*actor)->Command({"SET", keys_.weights(1), "evil"}).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      PublishSettings(**actor, keys_, {{"game", "connect4"}})));
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*actor)->Command({"DEL", keys_.games()}).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*actor)->Command({"XADD", "az:{other}:games", "*", "a", "b"}).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      (*actor)->Command({"FLUSHALL"}).status()));
}

}  // namespace
}  // namespace az::store
