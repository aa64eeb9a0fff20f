#include "tools/records.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/record_io.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "tests/selfplay/random_records.h"
#include "tests/test_util.h"
#include "tests/tools/exit_code_testing.h"

namespace az {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const Game& Connect4() { return **FindGame("connect4"); }

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/records_test_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Writes `games` random Connect Four games to shard `index` of `dir`.
std::vector<selfplay::GameRecord> WriteGames(const std::string& dir, int index,
                                             int games, uint64_t seed) {
  fs::create_directories(dir);
  auto writer = selfplay::ShardWriter::Open(
      dir + "/" + selfplay::ShardFileName(index), "connect4");
  EXPECT_TRUE(writer.ok()) << writer.status();
  std::vector<selfplay::GameRecord> written;
  for (int g = 0; g < games; ++g) {
    written.push_back(
        selfplay::testing::RandomGameRecord(Connect4(), seed * 100 + g));
    EXPECT_TRUE((*writer)->Append(written.back()).ok());
  }
  EXPECT_TRUE((*writer)->Flush().ok());
  return written;
}

std::vector<Json> JsonLines(const std::string& text) {
  std::vector<Json> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.push_back(Json::parse(line));
  }
  return lines;
}

// Every position of `records` in order, as the lines of `shard` must say.
void ExpectSameGames(const std::vector<selfplay::GameRecord>& records,
                     const std::string& shard, const Json* lines,
                     size_t* next) {
  const Game& game = Connect4();
  for (size_t g = 0; g < records.size(); ++g) {
    const selfplay::GameRecord& r = records[g];
    for (size_t ply = 0; ply < r.positions.size(); ++ply) {
      const Json& j = lines[(*next)++];
      EXPECT_EQ(j["game_id"], shard + ":" + std::to_string(g));
      EXPECT_EQ(j["ply"], ply);
      const std::vector<Action> before(r.moves.begin(), r.moves.begin() + ply);
      EXPECT_EQ(j["moves"], game.FormatMoves(before));
      const selfplay::PositionRecord& p = r.positions[ply];
      ASSERT_EQ(j["visits"].size(), p.visits.size());
      for (const auto& [action, n] : p.visits) {
        EXPECT_EQ(j["visits"][game.ActionToString(action)], n);
      }
      EXPECT_EQ(j["v"].get<float>(), p.v);
      EXPECT_EQ(j["q"].get<float>(), p.q);
      EXPECT_EQ(j["z"].get<float>(), p.z.value());
      EXPECT_EQ(j["weights_version"], r.weights_version);
    }
  }
}

TEST(RecordsTest, RoundTripsARunAgainstTheReaders) {
  const std::string run = FreshDir("run");
  const selfplay::RunPaths paths(run);
  auto first = WriteGames(paths.replay(), 0, 3, 1);
  auto second = WriteGames(paths.replay(), 1, 2, 2);
  auto heldout = WriteGames(paths.heldout(), 0, 1, 3);
  RecordsRequest request;
  request.inputs = {run};
  request.format = RecordsFormat::kJsonl;
  std::ostringstream out;
  absl::StatusOr<RecordsStats> stats = WriteRecords(request, out);
  ASSERT_TRUE(stats.ok()) << stats.status();
  // The readers' own view of the shards is what must come out.
  auto read0 = selfplay::ReadShard(paths.replay() + "/shard-00000000.azr");
  ASSERT_TRUE(read0.ok());
  ASSERT_EQ(read0->records.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(selfplay::testing::SameRecord(read0->records[i], first[i]));
  }
  const std::vector<Json> lines = JsonLines(out.str());
  int64_t positions = 0;
  for (const auto& r : first) positions += r.positions.size();
  for (const auto& r : second) positions += r.positions.size();
  ASSERT_EQ(lines.size(), static_cast<size_t>(positions));
  size_t next = 0;
  ExpectSameGames(first, "shard-00000000.azr", lines.data(), &next);
  ExpectSameGames(second, "shard-00000001.azr", lines.data(), &next);
  EXPECT_EQ(stats->games, 5);
  EXPECT_EQ(stats->positions, positions);
  EXPECT_EQ(stats->shards_read, 2);
  EXPECT_EQ(stats->damaged_records, 0);

  request.heldout = true;
  std::ostringstream held;
  ASSERT_TRUE(WriteRecords(request, held).ok());
  const std::vector<Json> held_lines = JsonLines(held.str());
  ASSERT_EQ(held_lines.size(), heldout[0].positions.size());
  next = 0;
  ExpectSameGames(heldout, "shard-00000000.azr", held_lines.data(), &next);
}

TEST(RecordsTest, CsvHasOneRowPerPosition) {
  const std::string dir = FreshDir("csv");
  auto games = WriteGames(dir, 4, 2, 7);
  RecordsRequest request;
  request.inputs = {dir + "/shard-00000004.azr"};
  std::ostringstream out;
  ASSERT_TRUE(WriteRecords(request, out).ok());
  std::vector<std::string> rows =
      absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(rows.size(),
            1 + games[0].positions.size() + games[1].positions.size());
  EXPECT_EQ(rows[0] + "\n", RecordsCsvHeader());
  std::vector<std::string> cells = absl::StrSplit(rows[2], ',');
  ASSERT_EQ(cells.size(), 8u);
  EXPECT_EQ(cells[0], "shard-00000004.azr:0");
  EXPECT_EQ(cells[1], "1");
  EXPECT_EQ(cells[2], Connect4().ActionToString(games[0].moves[0]));
  EXPECT_EQ(std::stof(cells[4]), games[0].positions[1].v);
  EXPECT_EQ(std::stof(cells[6]), games[0].positions[1].z.value());
  EXPECT_EQ(std::stoll(cells[7]), games[0].weights_version);
}

TEST(RecordsTest, SkipsAndCountsDamageAsTheReadersDo) {
  const std::string run = FreshDir("damaged");
  const selfplay::RunPaths paths(run);
  auto games = WriteGames(paths.replay(), 0, 4, 11);
  WriteGames(paths.replay(), 1, 2, 12);
  // A flipped byte in the middle of the first shard (inside a record).
  const std::string shard0 = paths.replay() + "/shard-00000000.azr";
  std::string bytes = testing::ReadFileBytes(shard0);
  bytes[bytes.size() / 2] ^= 0x5a;
  testing::WriteFileBytes(shard0, bytes);
  // The second shard loses its header.
  const std::string shard1 = paths.replay() + "/shard-00000001.azr";
  std::string bytes1 = testing::ReadFileBytes(shard1);
  bytes1[5] ^= 0xff;
  testing::WriteFileBytes(shard1, bytes1);
  auto read = selfplay::ReadShard(shard0);
  ASSERT_TRUE(read.ok());
  ASSERT_GE(read->corrupt_records, 1);
  RecordsRequest request;
  request.inputs = {run};
  request.format = RecordsFormat::kJsonl;
  std::ostringstream out;
  absl::StatusOr<RecordsStats> stats = WriteRecords(request, out);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->damaged_records, read->corrupt_records);
  EXPECT_EQ(stats->damaged_shards, 1);
  EXPECT_EQ(stats->games, static_cast<int64_t>(read->records.size()));
  int64_t positions = 0;
  for (const auto& r : read->records) positions += r.positions.size();
  EXPECT_EQ(JsonLines(out.str()).size(), static_cast<size_t>(positions));
  EXPECT_TRUE(absl::StrContains(RecordsSummary(*stats), "skipped"));
}

TEST(RecordsTest, BadInputIsAUsageError) {
  RecordsRequest request;
  request.inputs = {FreshDir("missing") + "/nothing"};
  std::ostringstream out;
  testing::ExpectOneLineExit("records", WriteRecords(request, out).status(),
                             "no such run");
  testing::ExpectOneLineExit("records", ParseRecordsFormat("xml").status(),
                             "--format");
}

TEST(RecordsTest, TheCommandWritesCsv) {
  const std::string run = FreshDir("command");
  WriteGames(selfplay::RunPaths(run).replay(), 0, 1, 5);
  auto r = testing::RunAz("records " + run);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, RecordsCsvHeader()));
  EXPECT_TRUE(absl::StrContains(r.err, "1 games")) << r.err;
  testing::ExpectOneLineError("records --format=xml " + run, "--format");
  testing::ExpectOneLineError("records", "at least one");
}

}  // namespace
}  // namespace az
