#include "selfplay/record_io.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/crc32c.h"
#include "base/random.h"
#include "games/registry.h"
#include "glog/logging.h"
#include "gtest/gtest.h"
#include "tests/selfplay/legacy_shards.h"
#include "tests/selfplay/random_records.h"
#include "tests/test_util.h"

// The largest single allocation while `track_allocations` is set: a decoder
// must size nothing by a count it has not checked against the bytes left.
namespace {
std::atomic<bool> track_allocations{false};
std::atomic<size_t> largest_allocation{0};
}  // namespace

void* operator new(size_t size) {
  if (track_allocations.load(std::memory_order_relaxed)) {
    size_t seen = largest_allocation.load(std::memory_order_relaxed);
    while (size > seen &&
           !largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
// Not inlined: GCC would then see free() on memory from operator new and
// warn, not knowing that this operator new is malloc.
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace az::selfplay {
namespace {

using ::az::testing::ReadFileBytes;
using ::az::testing::WriteFileBytes;

using testing::LegacyShardBytes;
using testing::RandomGameRecord;
using testing::SameRecord;
using testing::ShardHeaderBytes;

const Game& Connect4() { return **FindGame("connect4"); }

std::string TempPath(const std::string& name) {
  std::string path =
      absl::StrCat(::testing::TempDir(), "/", getpid(), "_", name);
  ::unlink(path.c_str());
  return path;
}

std::vector<GameRecord> SomeRecords(int n) {
  std::vector<GameRecord> records;
  for (int i = 0; i < n; ++i) {
    // Every third game stops early: unfinished games round-trip too.
    records.push_back(
        RandomGameRecord(Connect4(), 100 + i, i % 3 == 2 ? 5 : 1 << 30));
  }
  return records;
}

// Writes `records` to a fresh shard; returns its path and the offset where
// each record's frame starts.
std::string WriteShard(const std::string& name,
                       const std::vector<GameRecord>& records,
                       std::vector<int64_t>* offsets = nullptr) {
  const std::string path = TempPath(name);
  auto writer = ShardWriter::Open(path, "connect4");
  CHECK((writer.status()).ok());
  for (const GameRecord& r : records) {
    if (offsets) offsets->push_back((*writer)->bytes());
    CHECK(((*writer)->Append(r)).ok());
  }
  CHECK(((*writer)->Flush()).ok());
  return path;
}

TEST(RecordIoTest, RoundTripIsExact) {
  std::vector<GameRecord> records = SomeRecords(6);
  records[0].weights_version = -7;
  records[1].weights_version = int64_t{1} << 40;
  records[1].seed = ~uint64_t{0};
  records[2].positions[0].v = -0.0f;
  records[2].positions[0].q = 1e-30f;
  // Quick searches of playout-cap randomization keep their mark.
  for (size_t i = 0; i < records[3].positions.size(); i += 2) {
    records[3].positions[i].full_search = false;
  }
  const std::string path = WriteShard("roundtrip.azr", records);
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->game, "connect4");
  EXPECT_EQ(contents->format_version, kRecordFormatVersion);
  EXPECT_EQ(contents->corrupt_records, 0);
  EXPECT_EQ(contents->truncated_tail_bytes, 0);
  ASSERT_EQ(contents->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(SameRecord(contents->records[i], records[i])) << i;
  }
  // z comes back as a reward, with the sign of the side to move.
  const GameRecord& first = contents->records[0];
  ASSERT_NE(first.outcome, GameOutcome::kOngoing);
  EXPECT_EQ(first.positions[0].z, RewardFor(first.outcome, Player::kFirst));
  EXPECT_EQ(first.positions[1].z, first.positions[0].z.ForOpponent());
}

TEST(RecordIoTest, ReopeningAppendsAfterExistingRecords) {
  std::vector<GameRecord> records = SomeRecords(4);
  const std::string path =
      WriteShard("reopen.azr", {records.begin(), records.begin() + 2});
  {
    auto writer = ShardWriter::Open(path, "connect4");
    ASSERT_TRUE(writer.ok()) << writer.status();
    EXPECT_EQ((*writer)->truncated_bytes_on_open(), 0);
    ASSERT_TRUE((*writer)->Append(records[2]).ok());
    ASSERT_TRUE((*writer)->Append(records[3]).ok());
  }  // the destructor flushes
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->records.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(SameRecord(contents->records[i], records[i])) << i;
  }
}

TEST(RecordIoTest, VersionOneShardsReadAsFullSearches) {
  std::vector<GameRecord> records = SomeRecords(3);
  const std::string v1 = TempPath("v1.azr");
  WriteFileBytes(v1, LegacyShardBytes(1, "connect4", records));
  absl::StatusOr<ShardContents> contents = ReadShard(v1);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->format_version, 1u);
  EXPECT_EQ(contents->corrupt_records, 0);
  ASSERT_EQ(contents->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(SameRecord(contents->records[i], records[i])) << i;
  }
  // Version 1 had no marks: a flag bit there is damage, not a quick search.
  records[1].positions[0].full_search = false;
  const std::string v1_marked = TempPath("v1_marked.azr");
  WriteFileBytes(v1_marked, LegacyShardBytes(1, "connect4", records));
  contents = ReadShard(v1_marked);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->corrupt_records, 1);
  EXPECT_EQ(contents->records.size(), 2u);
  // New games never go into an old shard (a run starts a new shard).
  absl::Status status = ShardWriter::Open(v1, "connect4").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("version 1"), std::string::npos) << status;

  // An unknown flag bit in a version 2 payload is damage too.
  std::string payload = EncodeGameRecord(records[0], 2);
  ASSERT_TRUE(DecodeGameRecord(payload, "connect4", 2).ok());
  payload.back() |= 0x08;  // the last position's reward-and-marks byte
  EXPECT_EQ(DecodeGameRecord(payload, "connect4", 2).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(RecordIoTest, TheOriginOfAGameFromAnotherMachineIsKept) {
  const Game& game = **FindGame("tictactoe");
  GameRecord record = testing::RandomGameRecord(game, 5);
  record.origin = {"host-7-1234", 99};
  absl::StatusOr<GameRecord> back =
      DecodeGameRecord(EncodeGameRecord(record), "tictactoe");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(testing::SameRecord(*back, record));
  // Version 3 has no origin: a record written so reads with none.
  absl::StatusOr<GameRecord> old =
      DecodeGameRecord(EncodeGameRecord(record, 3), "tictactoe", 3);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(old->origin.actor.empty());
  EXPECT_EQ(old->origin.seq, 0u);
  // An actor name longer than any az writes is damage.
  record.origin.actor = std::string(200, 'a');
  EXPECT_EQ(DecodeGameRecord(EncodeGameRecord(record), "tictactoe").status().code(),
            absl::StatusCode::kDataLoss);
}

const Game& SpecGame(const std::string& game, const std::string& spec) {
  absl::StatusOr<const Game*> found = FindGameWithReward(game, spec);
  CHECK(found.ok()) << found.status();
  return **found;
}

// Version 5 keeps a graded z bit for bit, the reward spec it was paid under
// and the intended verdict, with the ply where the real rules ended a game
// that a proxy spec played on.
TEST(RecordIoTest, VersionFiveKeepsGradedRewardsSpecAndVerdict) {
  const Game& quick = SpecGame("tictactoe", "quick");
  const Game& no_diagonals = SpecGame("tictactoe", "no_diagonals");
  std::vector<GameRecord> records;
  for (uint64_t seed = 1; records.size() < 4; ++seed) {
    GameRecord r = RandomGameRecord(quick, seed);
    if (!r.positions[0].z.is_ternary()) records.push_back(r);
  }
  records.push_back(
      testing::RecordOfMoves(no_diagonals, testing::DiagonalWinPlayedOn()));
  const std::string path = TempPath("v5.azr");
  {
    auto writer = ShardWriter::Open(path, "tictactoe");
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (const GameRecord& r : records) ASSERT_TRUE((*writer)->Append(r).ok());
    ASSERT_TRUE((*writer)->Flush().ok());
  }
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->format_version, 5u);
  ASSERT_EQ(contents->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(SameRecord(contents->records[i], records[i])) << i;
  }
  const GameRecord& graded = contents->records[0];
  EXPECT_EQ(graded.reward, "quick");
  EXPECT_EQ(graded.positions[0].z.value(), records[0].positions[0].z.value());
  EXPECT_GT(std::abs(graded.positions[0].z.value()), 0.0f);
  EXPECT_LT(std::abs(graded.positions[0].z.value()), 1.0f);
  EXPECT_EQ(graded.verdict.ply, static_cast<int>(graded.moves.size()));
  // The diagonal: the rules ended it at ply 5 (a first-player win), the
  // proxy played on to a draw; positions 5.. are outside the real game.
  const GameRecord& past = contents->records.back();
  EXPECT_EQ(past.reward, "no_diagonals");
  EXPECT_EQ(past.outcome, GameOutcome::kDraw);
  EXPECT_EQ(past.verdict,
            (IntendedVerdict{GameOutcome::kFirstPlayerWins, 5}));
  EXPECT_EQ(past.moves.size(), 9u);
  EXPECT_TRUE(past.InRealGame(4));
  EXPECT_FALSE(past.InRealGame(5));
  EXPECT_EQ(past.PositionsPastVerdict(), 4);
  EXPECT_TRUE(RewardDisagreesWithVerdict(past));
  EXPECT_FALSE(RewardDisagreesWithVerdict(graded));  // the sign agrees
}

// A version 4 shard (written by the az before reward specs) reads: its z
// bytes are the rules' rewards, its spec the rules, and its verdict the
// outcome at the game's last ply.
TEST(RecordIoTest, VersionFourShardsReadAsRulesGames) {
  std::vector<GameRecord> records = SomeRecords(4);
  const std::string path = TempPath("v4.azr");
  WriteFileBytes(path, testing::FramedShardBytes(4, "connect4", records));
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->format_version, 4u);
  EXPECT_EQ(contents->corrupt_records, 0);
  ASSERT_EQ(contents->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const GameRecord& r = contents->records[i];
    EXPECT_TRUE(SameRecord(r, records[i])) << i;
    EXPECT_EQ(r.reward, kRulesSpec);
    if (r.outcome == GameOutcome::kOngoing) {
      EXPECT_FALSE(r.verdict.decided());
    } else {
      EXPECT_EQ(r.verdict,
                (IntendedVerdict{r.outcome, static_cast<int>(r.moves.size())}));
      EXPECT_EQ(r.PositionsPastVerdict(), 0);
    }
  }
  // It is read, never appended to.
  EXPECT_EQ(ShardWriter::Open(path, "connect4").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A reward outside [-1, 1] or not a number, an unknown position flag, a
// verdict past the game's end or a decided one without a ply: damage.
TEST(RecordIoTest, VersionFiveRefusesImpossibleRewardsAndVerdicts) {
  const Game& game = SpecGame("tictactoe", "no_diagonals");
  const GameRecord record =
      testing::RecordOfMoves(game, testing::DiagonalWinPlayedOn());
  const std::string good = EncodeGameRecord(record);
  ASSERT_TRUE(DecodeGameRecord(good, "tictactoe").ok());
  // The first position: a visit count byte, v, q, the flags byte, then z.
  const size_t moves_end = 1 + 8 + 1 + 1 + record.moves.size();
  const size_t flags = moves_end + 1 + 4 + 4;
  const size_t z = flags + 1;
  auto decodes_with = [&](size_t offset, absl::string_view bytes) {
    std::string payload = good;
    payload.replace(offset, bytes.size(), bytes.data(), bytes.size());
    return DecodeGameRecord(payload, "tictactoe").status().code();
  };
  auto f32 = [](float x) {
    return std::string(reinterpret_cast<const char*>(&x), sizeof(x));
  };
  EXPECT_EQ(decodes_with(z, f32(0.5f)), absl::StatusCode::kOk);
  EXPECT_EQ(decodes_with(z, f32(1.5f)), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decodes_with(z, f32(std::nanf(""))), absl::StatusCode::kDataLoss);
  EXPECT_EQ(decodes_with(flags, std::string(1, '\x02')),
            absl::StatusCode::kDataLoss);
  // The last byte is the verdict ply + 1 (6 here), the one before it the
  // verdict outcome.
  const size_t ply = good.size() - 1;
  EXPECT_EQ(good[ply], 6);
  EXPECT_EQ(decodes_with(ply, std::string(1, '\x0b')),
            absl::StatusCode::kDataLoss);  // ply 10 of a 9-move game
  EXPECT_EQ(decodes_with(ply, std::string(1, '\x00')),
            absl::StatusCode::kDataLoss);  // decided, but at no ply
  EXPECT_EQ(decodes_with(ply - 1, std::string(1, '\x07')),
            absl::StatusCode::kDataLoss);  // no such outcome
}

// Version 2 shards (frames without a header checksum) still read, and damage
// in them is skipped the same way: one bad frame loses one record.
TEST(RecordIoTest, VersionTwoShardsStillReadAndResynchronise) {
  std::vector<GameRecord> records = SomeRecords(5);
  records[2].positions[1].full_search = false;
  std::vector<int64_t> offsets;
  const std::string bytes = LegacyShardBytes(2, "connect4", records, &offsets);
  const std::string path = TempPath("v2.azr");
  WriteFileBytes(path, bytes);
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->format_version, 2u);
  ASSERT_EQ(contents->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(SameRecord(contents->records[i], records[i])) << i;
  }
  EXPECT_EQ(ShardWriter::Open(path, "connect4").status().code(),
            absl::StatusCode::kFailedPrecondition);

  const int64_t frame = offsets[3] - offsets[2];
  for (const bool zeros : {false, true}) {
    SCOPED_TRACE(zeros ? "zeroed frame" : "damaged length");
    std::string damaged = bytes;
    if (zeros) {
      std::fill(damaged.begin() + offsets[2], damaged.begin() + offsets[3],
                '\0');
    } else {
      damaged[offsets[2] + 3] ^= 0x40;  // the length's top byte
    }
    WriteFileBytes(path, damaged);
    contents = ReadShard(path);
    ASSERT_TRUE(contents.ok()) << contents.status();
    EXPECT_EQ(contents->corrupt_records, 1);
    EXPECT_EQ(contents->corrupt_bytes, frame);
    EXPECT_EQ(contents->truncated_tail_bytes, 0);
    ASSERT_EQ(contents->records.size(), 4u);
    EXPECT_TRUE(SameRecord(contents->records[2], records[3]));
    EXPECT_TRUE(SameRecord(contents->records[3], records[4]));
  }
}

// A flipped bit in the header's version field is damage (the checksum says
// so), not a shard of a newer az.
TEST(RecordIoTest, HeaderChecksumIsCheckedBeforeTheVersion) {
  std::string bytes = ReadFileBytes(WriteShard("version_flip.azr", SomeRecords(2)));
  bytes[8 + 3] ^= 0x01;  // the version's top byte: version 2^24 + 3
  const std::string path = TempPath("version_flip_damaged.azr");
  WriteFileBytes(path, bytes);
  absl::Status status = ReadShard(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("checksum"), std::string::npos) << status;
  status = ShardWriter::Open(path, "connect4").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;

  // A name length pointing past the end of the file is damage too.
  bytes = ShardHeaderBytes(kRecordFormatVersion, "connect4");
  bytes[12 + 3] = 0x7f;
  WriteFileBytes(path, bytes);
  status = ReadShard(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
}

TEST(RecordIoTest, HeaderErrorsSayWhat) {
  EXPECT_EQ(ReadShard(TempPath("missing.azr")).status().code(),
            absl::StatusCode::kNotFound);

  const std::string not_shard = TempPath("not_shard.azr");
  WriteFileBytes(not_shard, "hello, this is not a shard at all");
  absl::Status status = ReadShard(not_shard).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("magic"), std::string::npos) << status;
  EXPECT_NE(status.message().find(not_shard), std::string::npos) << status;
  // A writer refuses it too instead of appending to someone else's file.
  EXPECT_FALSE(ShardWriter::Open(not_shard, "connect4").ok());

  const std::string good = WriteShard("header.azr", SomeRecords(1));
  std::string bytes = ReadFileBytes(good);
  // A newer az's shard: the version field with a matching header checksum.
  const std::string newer_path = TempPath("newer.azr");
  WriteFileBytes(newer_path,
             ShardHeaderBytes(kRecordFormatVersion + 1, "connect4"));
  status = ReadShard(newer_path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("newer"), std::string::npos) << status;

  std::string renamed = bytes;
  renamed[17] ^= 0x20;  // a letter of the game name: the header CRC catches it
  const std::string renamed_path = TempPath("renamed.azr");
  WriteFileBytes(renamed_path, renamed);
  status = ReadShard(renamed_path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("checksum"), std::string::npos) << status;

  const std::string cut_path = TempPath("cut_header.azr");
  WriteFileBytes(cut_path, bytes.substr(0, 14));
  EXPECT_EQ(ReadShard(cut_path).status().code(), absl::StatusCode::kDataLoss);

  // Another game's shard is not appended to.
  status = ShardWriter::Open(good, "othello").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("connect4"), std::string::npos) << status;
}

TEST(RecordIoTest, AppendRejectsInconsistentRecords) {
  auto writer = ShardWriter::Open(TempPath("reject.azr"), "connect4");
  ASSERT_TRUE(writer.ok());
  GameRecord other = RandomGameRecord(**FindGame("tictactoe"), 1);
  EXPECT_EQ((*writer)->Append(other).code(),
            absl::StatusCode::kInvalidArgument);
  GameRecord uneven = RandomGameRecord(Connect4(), 1);
  uneven.positions.pop_back();
  EXPECT_EQ((*writer)->Append(uneven).code(),
            absl::StatusCode::kInvalidArgument);
  // Rejections are not write errors: the writer still works.
  EXPECT_TRUE((*writer)->Append(RandomGameRecord(Connect4(), 2)).ok());
  EXPECT_TRUE((*writer)->Flush().ok());
}

TEST(RecordIoTest, TruncatedTailAtEveryOffsetIsSkipped) {
  std::vector<GameRecord> records = SomeRecords(3);
  std::vector<int64_t> offsets;
  const std::string path = WriteShard("tail.azr", records, &offsets);
  const std::string bytes = ReadFileBytes(path);
  const std::string cut_path = TempPath("tail_cut.azr");
  const GameRecord extra = RandomGameRecord(Connect4(), 999);
  for (size_t cut = offsets[2]; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    WriteFileBytes(cut_path, bytes.substr(0, cut));
    absl::StatusOr<ShardContents> contents = ReadShard(cut_path);
    ASSERT_TRUE(contents.ok()) << contents.status();
    ASSERT_EQ(contents->records.size(), 2u);
    EXPECT_TRUE(SameRecord(contents->records[0], records[0]));
    EXPECT_TRUE(SameRecord(contents->records[1], records[1]));
    EXPECT_EQ(contents->truncated_tail_bytes,
              static_cast<int64_t>(cut) - offsets[2]);
    EXPECT_EQ(contents->corrupt_records, 0);

    // After the crash, a writer cuts the partial record and appends.
    {
      auto writer = ShardWriter::Open(cut_path, "connect4");
      ASSERT_TRUE(writer.ok()) << writer.status();
      EXPECT_EQ((*writer)->truncated_bytes_on_open(),
                static_cast<int64_t>(cut) - offsets[2]);
      ASSERT_TRUE((*writer)->Append(extra).ok());
      ASSERT_TRUE((*writer)->Flush().ok());
    }
    contents = ReadShard(cut_path);
    ASSERT_TRUE(contents.ok()) << contents.status();
    ASSERT_EQ(contents->records.size(), 3u);
    EXPECT_TRUE(SameRecord(contents->records[2], extra));
    EXPECT_EQ(contents->truncated_tail_bytes, 0);
    EXPECT_EQ(contents->corrupt_records, 0);
  }
}

TEST(RecordIoTest, FlippedByteInTheMiddleSkipsOnlyThatRecord) {
  std::vector<GameRecord> records = SomeRecords(3);
  std::vector<int64_t> offsets;
  const std::string path = WriteShard("flip.azr", records, &offsets);
  std::string bytes = ReadFileBytes(path);
  bytes[offsets[1] + 12] ^= 0x10;  // inside record 1's payload
  WriteFileBytes(path, bytes);
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->corrupt_records, 1);
  ASSERT_EQ(contents->records.size(), 2u);
  EXPECT_TRUE(SameRecord(contents->records[0], records[0]));
  EXPECT_TRUE(SameRecord(contents->records[1], records[2]));
  // A writer leaves a damaged record in the middle alone.
  auto writer = ShardWriter::Open(path, "connect4");
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->truncated_bytes_on_open(), 0);
}

// Any bit flipped in a frame's length or checksum loses that record only:
// the reader finds the next frame, says it skipped damage (not a tail), and
// a writer reopening the shard keeps the later records.
TEST(RecordIoTest, DamagedFrameHeaderLosesOnlyThatRecord) {
  const int saved_level = FLAGS_minloglevel;
  FLAGS_minloglevel = google::GLOG_ERROR;  // one warning per flipped bit
  std::vector<GameRecord> records = SomeRecords(5);
  std::vector<int64_t> offsets;
  const std::string bytes =
      ReadFileBytes(WriteShard("frame_header.azr", records, &offsets));
  const int64_t frame = offsets[3] - offsets[2];
  const std::string path = TempPath("frame_header_damaged.azr");
  for (int bit = 0; bit < 96; ++bit) {  // length, payload CRC, header CRC
    SCOPED_TRACE(bit);
    std::string damaged = bytes;
    damaged[offsets[2] + bit / 8] ^= static_cast<char>(1 << (bit % 8));
    WriteFileBytes(path, damaged);
    absl::StatusOr<ShardContents> contents = ReadShard(path);
    ASSERT_TRUE(contents.ok()) << contents.status();
    EXPECT_EQ(contents->corrupt_records, 1);
    EXPECT_EQ(contents->corrupt_bytes, frame);
    EXPECT_EQ(contents->truncated_tail_bytes, 0);
    ASSERT_EQ(contents->records.size(), 4u);
    EXPECT_TRUE(SameRecord(contents->records[1], records[1]));
    EXPECT_TRUE(SameRecord(contents->records[2], records[3]));
    EXPECT_TRUE(SameRecord(contents->records[3], records[4]));
  }
  FLAGS_minloglevel = saved_level;

  // A writer leaves the damage alone and appends after the last record.
  const GameRecord extra = RandomGameRecord(Connect4(), 777);
  {
    auto writer = ShardWriter::Open(path, "connect4");
    ASSERT_TRUE(writer.ok()) << writer.status();
    EXPECT_EQ((*writer)->truncated_bytes_on_open(), 0);
    ASSERT_TRUE((*writer)->Append(extra).ok());
    ASSERT_TRUE((*writer)->Flush().ok());
  }
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->records.size(), 5u);
  EXPECT_TRUE(SameRecord(contents->records[3], records[4]));
  EXPECT_TRUE(SameRecord(contents->records[4], extra));
  EXPECT_EQ(contents->corrupt_records, 1);
}

// A damaged byte anywhere after the shard header costs at most the record
// it falls in; every other record is read, and none is misread.
TEST(RecordIoTest, OneDamagedByteAnywhereLosesOnlyItsRecord) {
  const int saved_level = FLAGS_minloglevel;
  FLAGS_minloglevel = google::GLOG_ERROR;  // one warning per damaged byte
  std::vector<GameRecord> records = SomeRecords(3);
  std::vector<int64_t> offsets;
  const std::string bytes =
      ReadFileBytes(WriteShard("one_byte.azr", records, &offsets));
  const std::string path = TempPath("one_byte_damaged.azr");
  constexpr char kMasks[3] = {'\x01', '\x80', '\xff'};
  for (size_t at = offsets[0]; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] ^= kMasks[at % 3];  // one bit, the top bit, every bit
    WriteFileBytes(path, damaged);
    absl::StatusOr<ShardContents> contents = ReadShard(path);
    ASSERT_TRUE(contents.ok()) << at << ": " << contents.status();
    // The record whose frame holds the damaged byte.
    size_t hit = 0;
    while (hit + 1 < offsets.size() &&
           offsets[hit + 1] <= static_cast<int64_t>(at)) {
      ++hit;
    }
    ASSERT_EQ(contents->records.size(), records.size() - 1) << at;
    for (size_t i = 0, j = 0; i < records.size(); ++i) {
      if (i == hit) continue;
      EXPECT_TRUE(SameRecord(contents->records[j++], records[i])) << at;
    }
  }
  FLAGS_minloglevel = saved_level;
}

// Bytes that are no frame at all (overwritten, or from another file) between
// records: skipped as one damaged stretch, every record around them kept.
TEST(RecordIoTest, GarbageBetweenRecordsIsSkippedAsDamage) {
  std::vector<GameRecord> records = SomeRecords(5);
  std::vector<int64_t> offsets;
  std::string bytes = ReadFileBytes(WriteShard("garbage.azr", records, &offsets));
  base::Rng rng(11);
  std::string garbage(1000, '\0');
  for (char& c : garbage) c = static_cast<char>(rng.Below(256));
  bytes.insert(offsets[2], garbage);
  const std::string path = TempPath("garbage_damaged.azr");
  WriteFileBytes(path, bytes);
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->corrupt_records, 1);
  EXPECT_EQ(contents->corrupt_bytes, 1000);
  EXPECT_EQ(contents->truncated_tail_bytes, 0);
  ASSERT_EQ(contents->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE(SameRecord(contents->records[i], records[i])) << i;
  }
}

// Zeros (blocks a crash left unwritten, a zeroed sector) are no record: not
// an empty frame each eight bytes, but one damaged stretch.
TEST(RecordIoTest, ZeroedRegionsReadAsDamageNotRecords) {
  std::vector<GameRecord> records = SomeRecords(3);
  std::vector<int64_t> offsets;
  const std::string bytes =
      ReadFileBytes(WriteShard("zeros.azr", records, &offsets));
  const std::string path = TempPath("zeros_damaged.azr");

  // Zeros after the last record.
  WriteFileBytes(path, bytes + std::string(4096, '\0'));
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->records.size(), 3u);
  EXPECT_EQ(contents->corrupt_records, 1);
  EXPECT_EQ(contents->corrupt_bytes, 4096);
  EXPECT_EQ(contents->truncated_tail_bytes, 0);

  // A record's frame zeroed in place.
  std::string zeroed = bytes;
  std::fill(zeroed.begin() + offsets[1], zeroed.begin() + offsets[2], '\0');
  WriteFileBytes(path, zeroed);
  contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->records.size(), 2u);
  EXPECT_TRUE(SameRecord(contents->records[0], records[0]));
  EXPECT_TRUE(SameRecord(contents->records[1], records[2]));
  EXPECT_EQ(contents->corrupt_records, 1);
  EXPECT_EQ(contents->corrupt_bytes, offsets[2] - offsets[1]);
  EXPECT_EQ(contents->truncated_tail_bytes, 0);
}

// Bytes crafted to hold a frame header that checks every 32 bytes, each
// claiming the rest of the file with a wrong payload checksum: looking for
// the next frame must not checksum the rest of the file from every one.
TEST(RecordIoTest, CraftedFalseFramesCannotMakeReadingQuadratic) {
  std::vector<GameRecord> records = SomeRecords(2);
  std::string bytes = ReadFileBytes(WriteShard("crafted.azr", records));
  constexpr size_t kFalseFrames = 1 << 16;  // 2 MiB of them
  const size_t end = bytes.size() + 32 * kFalseFrames;
  for (size_t i = 0; i < kFalseFrames; ++i) {
    std::string header;
    testing::AppendU32(&header, static_cast<uint32_t>(end - bytes.size() - 12));
    testing::AppendU32(&header, 0x12345678);  // not the payload's CRC
    const uint32_t crc = base::Crc32c(header.data(), 8);
    testing::AppendU32(&header, ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    bytes += header;
    bytes += std::string(20, '\0');  // a payload that starts like a record
  }
  const std::string path = TempPath("crafted_damaged.azr");
  WriteFileBytes(path, bytes);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->records.size(), 2u);
  EXPECT_EQ(contents->corrupt_bytes + contents->truncated_tail_bytes,
            static_cast<int64_t>(32 * kFalseFrames));
  // Checksumming the rest from every false frame would be 64 GiB of CRC.
  EXPECT_LT(seconds, 20.0);
}

// Random damage anywhere: reading never crashes and never returns a record
// that was not written.
TEST(RecordIoTest, RandomCorruptionNeverMisreads) {
  const int saved_level = FLAGS_minloglevel;
  FLAGS_minloglevel = google::GLOG_ERROR;  // thousands of expected warnings
  std::vector<GameRecord> records = SomeRecords(5);
  const std::string bytes = ReadFileBytes(WriteShard("fuzz.azr", records));
  const std::string path = TempPath("fuzz_damaged.azr");
  base::Rng rng(7);
  int read_ok = 0, recovered = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    std::string damaged = bytes;
    const int flips = 1 + rng.Below(4);
    for (int f = 0; f < flips; ++f) {
      damaged[rng.Below(damaged.size())] ^=
          static_cast<char>(1 + rng.Below(255));
    }
    if (rng.Below(2)) damaged.resize(rng.Below(damaged.size() + 1));
    WriteFileBytes(path, damaged);
    absl::StatusOr<ShardContents> contents = ReadShard(path);
    if (!contents.ok()) {
      EXPECT_TRUE(contents.status().code() == absl::StatusCode::kDataLoss ||
                  contents.status().code() ==
                      absl::StatusCode::kFailedPrecondition)
          << contents.status();
      continue;
    }
    ++read_ok;
    for (const GameRecord& r : contents->records) {
      bool known = false;
      for (const GameRecord& original : records) {
        known = known || SameRecord(r, original);
      }
      ASSERT_TRUE(known) << "trial " << trial << " misread a record";
      ++recovered;
    }
  }
  FLAGS_minloglevel = saved_level;
  EXPECT_GT(read_ok, 500);  // most damage is past the header
  EXPECT_GT(recovered, 1000);
}

// A payload that passes its checksum yet claims more moves than its bytes
// could hold fails before anything is sized by that count.
TEST(RecordIoTest, DecodeBoundsCountsByTheBytesLeft) {
  constexpr size_t kMoves = 1 << 20;
  std::string payload;
  payload.push_back(0);                  // weights version 0
  payload.append(8, '\0');               // seed
  payload.push_back(0);                  // outcome
  for (uint64_t n = kMoves;; n >>= 7) {  // the move count, a varint
    payload.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
    if (n < 0x80) break;
  }
  payload.append(kMoves, '\0');  // one byte per move, nothing for positions
  largest_allocation = 0;
  track_allocations = true;
  absl::Status status = DecodeGameRecord(payload, "connect4").status();
  track_allocations = false;
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  // Before, this one megabyte asked for 44 (a move and a position per byte).
  EXPECT_LE(largest_allocation.load(), 8 * payload.size());

  // The same count with a position per move: decodes whole.
  GameRecord record;
  record.game = "connect4";
  record.outcome = GameOutcome::kDraw;
  record.moves.assign(1000, 3);
  record.positions.resize(1000);
  payload = EncodeGameRecord(record);
  absl::StatusOr<GameRecord> decoded = DecodeGameRecord(payload, "connect4");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(SameRecord(*decoded, record));
  // A visit count larger than the bytes left for this and later positions.
  record.positions.assign(3, PositionRecord{});
  record.moves.assign(3, 3);
  payload = EncodeGameRecord(record);
  // After the moves: three positions of 14 bytes, then the two bytes of an
  // empty origin and the eight of the reward spec ("rules") and verdict.
  const size_t first_visits = payload.size() - 2 - 8 - 3 * 14;
  ASSERT_EQ(payload[first_visits], 0);
  payload[first_visits] = 8;  // 8 entries (16 bytes) fit only by eating v, q
  EXPECT_EQ(DecodeGameRecord(payload, "connect4").status().code(),
            absl::StatusCode::kDataLoss);
}

// How one writer of a race to create a shard fared.
enum class RaceResult { kWon, kRefused, kFailed };

// Opens `path` and appends `record`; the writer is handed back so that it
// stays open (and keeps its lock) until the race is judged.
RaceResult OpenAndAppend(const std::string& path, const GameRecord& record,
                         std::unique_ptr<ShardWriter>* writer_out) {
  absl::StatusOr<std::unique_ptr<ShardWriter>> writer =
      ShardWriter::Open(path, "connect4");
  if (!writer.ok()) {
    if (writer.status().code() == absl::StatusCode::kFailedPrecondition) {
      return RaceResult::kRefused;
    }
    LOG(ERROR) << writer.status();
    return RaceResult::kFailed;
  }
  if (!(*writer)->Append(record).ok() || !(*writer)->Flush().ok()) {
    return RaceResult::kFailed;
  }
  *writer_out = *std::move(writer);
  return RaceResult::kWon;
}

// One writer won, the other was refused (not failed), and the shard holds
// the winner's record.
void ExpectOneWinner(const std::string& path, const RaceResult results[2],
                     const GameRecord games[2]) {
  const int winners =
      (results[0] == RaceResult::kWon) + (results[1] == RaceResult::kWon);
  ASSERT_EQ(winners, 1) << "two writers on one shard, or none";
  const int winner = results[0] == RaceResult::kWon ? 0 : 1;
  EXPECT_EQ(results[1 - winner], RaceResult::kRefused);
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->records.size(), 1u);
  EXPECT_TRUE(SameRecord(contents->records[0], games[winner]));
}

// Two threads creating the same new shard at once.
TEST(RecordIoTest, ThreadsRacingToCreateAShardGetOneWriter) {
  const GameRecord games[2] = {RandomGameRecord(Connect4(), 61),
                               RandomGameRecord(Connect4(), 62)};
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE(round);
    const std::string path = TempPath(absl::StrCat("race_", round, ".azr"));
    std::atomic<int> ready{0};
    std::unique_ptr<ShardWriter> writers[2];
    RaceResult results[2];
    auto race = [&](int i) {
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      results[i] = OpenAndAppend(path, games[i], &writers[i]);
    };
    std::thread first(race, 0), second(race, 1);
    first.join();
    second.join();
    writers[0].reset();
    writers[1].reset();
    ExpectOneWinner(path, results, games);
  }
}

// Two processes creating the same new shard at once (two self-play workers
// given the same directory). Each keeps its writer open until both are done.
TEST(RecordIoTest, ProcessesRacingToCreateAShardGetOneWriter) {
  const GameRecord games[2] = {RandomGameRecord(Connect4(), 63),
                               RandomGameRecord(Connect4(), 64)};
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE(round);
    const std::string path =
        TempPath(absl::StrCat("process_race_", round, ".azr"));
    int start[2], done[2], release[2];
    ASSERT_EQ(::pipe(start), 0);
    ASSERT_EQ(::pipe(done), 0);
    ASSERT_EQ(::pipe(release), 0);
    pid_t children[2];
    for (int i = 0; i < 2; ++i) {
      children[i] = ::fork();
      ASSERT_GE(children[i], 0);
      if (children[i] == 0) {
        char byte;
        if (::read(start[0], &byte, 1) != 1) ::_exit(2);
        std::unique_ptr<ShardWriter> writer;
        const char result =
            static_cast<char>(OpenAndAppend(path, games[i], &writer));
        const char message[2] = {static_cast<char>(i), result};
        if (::write(done[1], message, 2) != 2) ::_exit(2);
        if (::read(release[0], &byte, 1) != 1) ::_exit(2);
        ::_exit(0);  // the writer's file closes with the process
      }
    }
    ASSERT_EQ(::write(start[1], "go", 2), 2);
    RaceResult results[2];
    for (int n = 0; n < 2; ++n) {
      char message[2];
      ASSERT_EQ(::read(done[0], message, 2), 2);
      results[static_cast<int>(message[0])] =
          static_cast<RaceResult>(message[1]);
    }
    ASSERT_EQ(::write(release[1], "go", 2), 2);
    for (pid_t child : children) {
      int status;
      ASSERT_EQ(::waitpid(child, &status, 0), child);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
    for (int fd :
         {start[0], start[1], done[0], done[1], release[0], release[1]}) {
      ::close(fd);
    }
    ExpectOneWinner(path, results, games);
  }
}

TEST(RecordIoTest, UnwritablePlacesAreErrorsWithThePath) {
  const std::string missing_dir = TempPath("no_such_dir") + "/shard.azr";
  absl::Status status = ShardWriter::Open(missing_dir, "connect4").status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("no_such_dir"), std::string::npos) << status;

  // A file where a directory should be.
  const std::string file = WriteShard("plain_file.azr", {});
  status = ShardWriter::Open(file + "/shard.azr", "connect4").status();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("plain_file.azr"), std::string::npos)
      << status;

  // A full disk.
  if (::access("/dev/full", W_OK) == 0) {
    status = ShardWriter::Open("/dev/full", "connect4").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    EXPECT_NE(status.message().find("/dev/full"), std::string::npos) << status;
  }
}

TEST(RecordIoTest, SecondWriterIsRefused) {
  const std::string path = TempPath("locked.azr");
  auto first = ShardWriter::Open(path, "connect4");
  ASSERT_TRUE(first.ok());
  absl::Status status = ShardWriter::Open(path, "connect4").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST(RecordIoTest, ThroughputAndSize) {
  // Not a benchmark: logs the figures and checks the format stays compact.
  std::vector<GameRecord> records = SomeRecords(30);
  int64_t positions = 0;
  for (const GameRecord& r : records) positions += r.positions.size();
  const std::string path = TempPath("speed.azr");
  constexpr int kRounds = 20;
  auto start = std::chrono::steady_clock::now();
  {
    auto writer = ShardWriter::Open(path, "connect4");
    ASSERT_TRUE(writer.ok());
    for (int round = 0; round < kRounds; ++round) {
      for (const GameRecord& r : records)
        ASSERT_TRUE((*writer)->Append(r).ok());
    }
    ASSERT_TRUE((*writer)->Flush().ok());
  }
  auto mid = std::chrono::steady_clock::now();
  absl::StatusOr<ShardContents> contents = ReadShard(path);
  auto end = std::chrono::steady_clock::now();
  ASSERT_TRUE(contents.ok());
  ASSERT_EQ(contents->records.size(), records.size() * kRounds);
  const double n = static_cast<double>(records.size() * kRounds);
  const double bytes_per_position =
      static_cast<double>(ReadFileBytes(path).size()) / (positions * kRounds);
  LOG(INFO) << "records: write "
            << n / std::chrono::duration<double>(mid - start).count()
            << "/s, read "
            << n / std::chrono::duration<double>(end - mid).count() << "/s, "
            << bytes_per_position << " bytes per position";
  // Connect Four: ~7 visit entries of 3 bytes, v, q, z and the move.
  EXPECT_LT(bytes_per_position, 40.0);
}

}  // namespace
}  // namespace az::selfplay
