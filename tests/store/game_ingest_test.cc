#include "store/game_ingest.h"

#include <string>
#include <vector>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/record_io.h"
#include "tests/store/redis_server.h"
#include "tests/selfplay/random_records.h"

namespace az::store {
namespace {

using ::az::testing::RedisServer;
using selfplay::testing::RandomGameRecord;

class GameIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AZ_REQUIRE_REDIS_SERVER();
    ASSERT_TRUE(server_.Start());
    RedisOptions o;
    o.address = server_.address();
    redis_ = RedisConnection::Connect(o).value();
  }
  static const Game& TicTacToe() { return **FindGame("tictactoe"); }

  GameMessage Message(uint64_t seq) {
    GameMessage m;
    m.actor = "a";
    m.seq = seq;
    selfplay::GameRecord r = RandomGameRecord(TicTacToe(), seq);
    r.weights_version = 3;
    m.weights_version = 3;
    m.record = selfplay::EncodeGameRecord(r);
    return m;
  }

  GameIngest Ingest(SeenGames seen, std::vector<GameMessage>* stored,
                    int* commits, int fail_after = -1) {
    return GameIngest(
        TicTacToe(), GameStreamReader::Open(*redis_, keys_, "learner").value(),
        std::move(seen),
        [stored, fail_after](const GameMessage& origin, selfplay::GameRecord) {
          if (fail_after >= 0 && static_cast<int>(stored->size()) >= fail_after) {
            return absl::UnavailableError("disk full");
          }
          stored->push_back(origin);
          return absl::OkStatus();
        },
        [commits] {
          ++*commits;
          return absl::OkStatus();
        });
  }

  RedisServer server_;
  std::unique_ptr<RedisConnection> redis_;
  RunKeys keys_{"r"};
};

TEST_F(GameIngestTest, StoresCommitsThenAcknowledges) {
  std::vector<GameMessage> stored;
  int commits = 0;
  GameIngest ingest = Ingest(SeenGames(), &stored, &commits);
  ASSERT_TRUE(SendGames(*redis_, keys_, {Message(1), Message(2), Message(3)}).ok());
  absl::StatusOr<int> n = ingest.Poll(*redis_, 100, 100, /*learner_version=*/5);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(stored.size(), 3u);
  EXPECT_EQ(commits, 1);
  EXPECT_EQ(ingest.counts().accepted, 3);
  EXPECT_EQ(ingest.counts().version_lag_sum, 3 * 2);
  EXPECT_GT(ingest.counts().positions, 3 * 4);
  EXPECT_EQ(*GamesBacklog(*redis_, keys_), 0);  // acknowledged and deleted
  EXPECT_EQ(*ingest.Poll(*redis_, 100, 10, 5), 0);
}

TEST_F(GameIngestTest, AFailedStoreAcknowledgesNothingAndResendsAreDropped) {
  ASSERT_TRUE(SendGames(*redis_, keys_, {Message(1), Message(2), Message(3)}).ok());
  std::vector<GameMessage> stored;
  int commits = 0;
  {
    GameIngest ingest = Ingest(SeenGames(), &stored, &commits, /*fail_after=*/2);
    EXPECT_FALSE(ingest.Poll(*redis_, 100, 100, 0).ok());
  }
  EXPECT_EQ(commits, 0);
  EXPECT_EQ(*GamesBacklog(*redis_, keys_), 3);
  // The restarted learner knows what it stored (from its shards) and gets
  // the three entries back: two are duplicates, one is new.
  SeenGames seen;
  for (const GameMessage& m : stored) seen.Insert(m.actor, m.seq);
  std::vector<GameMessage> after;
  GameIngest ingest = Ingest(seen, &after, &commits);
  ASSERT_EQ(*ingest.Poll(*redis_, 100, 100, 0), 3);
  EXPECT_EQ(ingest.counts().duplicates, 2);
  EXPECT_EQ(ingest.counts().accepted, 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].seq, 3u);
  // An actor that resends a stored game later: dropped again.
  ASSERT_TRUE(SendGames(*redis_, keys_, {Message(1)}).ok());
  ASSERT_EQ(*ingest.Poll(*redis_, 100, 100, 0), 1);
  EXPECT_EQ(ingest.counts().duplicates, 3);
  EXPECT_EQ(*GamesBacklog(*redis_, keys_), 0);
}

TEST_F(GameIngestTest, BadEntriesAreCountedByKindAndTheIngestGoesOn) {
  std::vector<GameMessage> stored;
  int commits = 0;
  GameIngest ingest = Ingest(SeenGames(), &stored, &commits);
  GameMessage forged = Message(2);
  {
    selfplay::GameRecord r = RandomGameRecord(TicTacToe(), 2);
    for (auto& p : r.positions) p.z = TerminalReward::Win();
    forged.record = selfplay::EncodeGameRecord(r);
  }
  GameMessage garbage = Message(3);
  garbage.record = "garbage";
  ASSERT_TRUE(redis_->Command({"XADD", keys_.games(), "*", "nonsense", "1"}).ok());
  ASSERT_TRUE(SendGames(*redis_, keys_, {Message(1), forged, garbage, Message(4)}).ok());
  ASSERT_EQ(*ingest.Poll(*redis_, 100, 100, 0), 5);
  const IngestCounts& c = ingest.counts();
  EXPECT_EQ(c.accepted, 2);
  EXPECT_EQ(c.rejected, 3);
  EXPECT_EQ(c.rejected_by_kind[static_cast<int>(Rejection::kMalformedEntry)], 1);
  EXPECT_EQ(c.rejected_by_kind[static_cast<int>(Rejection::kForgedReward)], 1);
  EXPECT_EQ(c.rejected_by_kind[static_cast<int>(Rejection::kUndecodable)], 1);
  EXPECT_EQ(*GamesBacklog(*redis_, keys_), 0);  // rejected for good
}

}  // namespace
}  // namespace az::store
