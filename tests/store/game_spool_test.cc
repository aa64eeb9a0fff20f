#include "store/game_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az::store {
namespace {

GameMessage Game(uint64_t seq, size_t record_bytes = 100) {
  GameMessage g;
  g.actor = "host-1-42";
  g.seq = seq;
  g.weights_version = static_cast<int64_t>(seq) * 10;
  g.record = std::string(record_bytes, static_cast<char>('a' + seq % 26));
  return g;
}

std::string SpoolPath(const std::string& name) {
  const std::string path = ::testing::TempDir() + name;
  ::unlink(path.c_str());
  return path;
}

TEST(GameSpoolTest, KeepsGamesAcrossARestartInOrder) {
  const std::string path = SpoolPath("spool-restart");
  {
    auto spool = GameSpool::Open(path, 1 << 20);
    ASSERT_TRUE(spool.ok()) << spool.status();
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*spool)->Append(Game(i)).ok());
  }
  auto spool = GameSpool::Open(path, 1 << 20);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ((*spool)->games(), 3u);
  std::vector<GameMessage> sent;
  ASSERT_TRUE((*spool)->Drain([&](const std::vector<GameMessage>& batch) {
    sent.insert(sent.end(), batch.begin(), batch.end());
    return absl::OkStatus();
  }, 2).ok());
  ASSERT_EQ(sent.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sent[i].seq, i + 1);
    EXPECT_EQ(sent[i].actor, "host-1-42");
    EXPECT_EQ(sent[i].weights_version, static_cast<int64_t>(i + 1) * 10);
    EXPECT_EQ(sent[i].record, Game(i + 1).record);
  }
  EXPECT_EQ((*spool)->games(), 0u);
  EXPECT_EQ((*spool)->bytes(), 0);
}

TEST(GameSpoolTest, AFailedSendKeepsWhatWasNotSent) {
  const std::string path = SpoolPath("spool-fail");
  auto spool = GameSpool::Open(path, 1 << 20);
  ASSERT_TRUE(spool.ok());
  for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE((*spool)->Append(Game(i)).ok());
  int calls = 0;
  absl::Status drained = (*spool)->Drain([&](const std::vector<GameMessage>&) {
    return ++calls == 1 ? absl::OkStatus() : absl::UnavailableError("down");
  }, 2);
  EXPECT_TRUE(absl::IsUnavailable(drained));
  ASSERT_EQ((*spool)->games(), 3u);
  spool->reset();
  auto again = GameSpool::Open(path, 1 << 20);
  ASSERT_TRUE(again.ok());
  std::vector<uint64_t> seqs;
  ASSERT_TRUE((*again)->Drain([&](const std::vector<GameMessage>& b) {
    for (const auto& g : b) seqs.push_back(g.seq);
    return absl::OkStatus();
  }, 10).ok());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{3, 4, 5}));
}

TEST(GameSpoolTest, IsBoundedInBytes) {
  const std::string path = SpoolPath("spool-full");
  auto spool = GameSpool::Open(path, 1000);
  ASSERT_TRUE(spool.ok());
  int appended = 0;
  absl::Status s;
  while ((s = (*spool)->Append(Game(appended + 1))).ok()) ++appended;
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_EQ(appended, 7);  // 7 x (8 + 4 + 9 + 16 + 100) = 959 bytes
  EXPECT_LE((*spool)->bytes(), 1000);
}

TEST(GameSpoolTest, ATornTailIsDroppedOnOpen) {
  const std::string path = SpoolPath("spool-torn");
  {
    auto spool = GameSpool::Open(path, 1 << 20);
    ASSERT_TRUE(spool.ok());
    ASSERT_TRUE((*spool)->Append(Game(1)).ok());
    ASSERT_TRUE((*spool)->Append(Game(2)).ok());
  }
  std::string bytes = az::testing::ReadFileBytes(path);
  az::testing::WriteFileBytes(path, bytes.substr(0, bytes.size() - 30));
  auto spool = GameSpool::Open(path, 1 << 20);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ((*spool)->games(), 1u);
  EXPECT_EQ((*spool)->dropped_on_open(), 1);
  // The file was repaired: appends go after the good entry.
  ASSERT_TRUE((*spool)->Append(Game(3)).ok());
  spool->reset();
  auto again = GameSpool::Open(path, 1 << 20);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->games(), 2u);
  EXPECT_EQ((*again)->dropped_on_open(), 0);
}

TEST(GameSpoolTest, AFlippedByteDropsTheRestButNotWhatCameBefore) {
  const std::string path = SpoolPath("spool-flip");
  {
    auto spool = GameSpool::Open(path, 1 << 20);
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_TRUE((*spool)->Append(Game(i)).ok());
  }
  std::string bytes = az::testing::ReadFileBytes(path);
  bytes[bytes.size() - 150] ^= 1;  // inside the second entry
  az::testing::WriteFileBytes(path, bytes);
  auto spool = GameSpool::Open(path, 1 << 20);
  ASSERT_TRUE(spool.ok()) << spool.status();
  EXPECT_EQ((*spool)->games(), 1u);
}

TEST(GameSpoolTest, AnotherFileOrAnotherHolderIsRefused) {
  const std::string path = SpoolPath("spool-other");
  az::testing::WriteFileBytes(path, "not a spool at all\n");
  EXPECT_TRUE(absl::IsDataLoss(GameSpool::Open(path, 1 << 20).status()));
  const std::string mine = SpoolPath("spool-held");
  auto first = GameSpool::Open(mine, 1 << 20);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(GameSpool::Open(mine, 1 << 20).status()));
}

TEST(GameMessageTest, MalformedPayloadsAreDataLoss) {
  for (const std::string& bad :
       {std::string(), std::string("\x05\0\0\0ab", 6),
        std::string("\xff\xff\0\0", 4) + std::string(100, 'x')}) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeGameMessage(bad).status()));
  }
  absl::StatusOr<GameMessage> g = DecodeGameMessage(EncodeGameMessage(Game(9)));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->seq, 9u);
}

}  // namespace
}  // namespace az::store
