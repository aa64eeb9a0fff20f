#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace az {
namespace {

using ::az::testing::ReadFileBytes;

using testing::RunAz;

std::string HeadFile() {
  return testing::TestDataDir() + "/connect4/Test_L3_R1_head";
}

int CountLines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(SolveCommandTest, PrintsEveryPositionWithItsScoreThenASummary) {
  testing::CommandResult r =
      RunAz("solve --game=connect4 --positions='" + HeadFile() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 101u) << r.out;
  // The file holds exact scores, so the output repeats its lines.
  std::vector<std::string> expected =
      absl::StrSplit(ReadFileBytes(HeadFile()), '\n', absl::SkipEmpty());
  ASSERT_EQ(expected.size(), 100u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(lines[i], expected[i]);
  }
  EXPECT_TRUE(absl::StartsWith(lines[100], "# 100 positions in "))
      << lines[100];
  EXPECT_TRUE(absl::StrContains(lines[100], "positions/s")) << lines[100];
}

TEST(SolveCommandTest, JsonIsExactlyOneObjectWithTheFigures) {
  testing::CommandResult r = RunAz("solve --game=connect4 --positions='" +
                                   HeadFile() + "' --json --check --threads=2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(CountLines(r.out), 1) << r.out;
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << r.out;
  for (const char* key : {"positions", "seconds", "positions_per_s",
                          "mismatches", "nodes", "nodes_per_s", "threads"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["positions"], 100);
  EXPECT_EQ(json["mismatches"], 0);
  EXPECT_EQ(json["checked"], 100);
  EXPECT_EQ(json["threads"], 2);
  EXPECT_GT(json["nodes"].get<double>(), 0);
  EXPECT_GE(json["seconds"].get<double>(), 0);
}

TEST(SolveCommandTest, CheckFailsOnAWrongScoreNamingTheLine) {
  std::string path =
      testing::WriteTempFile("wrong.txt",
                             "# a comment\n"
                             "2252576253462244111563365343671351"
                             "441 -1\n"
                             "7422341735647741166133573473242566 "
                             "5\n");
  testing::CommandResult r =
      RunAz("solve --game=connect4 --check --positions='" + path + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "wrong.txt:3:")) << r.err;
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "7422341735647741166133573473242566 1"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "1 mismatches of 2 checked")) << r.out;

  // The same file without --check only reports.
  r = RunAz("solve --game=connect4 --positions='" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // With --json the mismatch is in the figures.
  r = RunAz("solve --game=connect4 --check --json --positions='" + path + "'");
  EXPECT_EQ(r.exit_code, 1);
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << r.out;
  EXPECT_EQ(json["mismatches"], 1);
}

TEST(SolveCommandTest, SolvesTicTacToe) {
  std::string path = testing::WriteTempFile("ttt.txt", "5\n12\n");
  testing::CommandResult r =
      RunAz("solve --game=tictactoe --threads=1 --positions='" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "5 0");  // a draw after the centre opening
  EXPECT_TRUE(absl::StartsWith(lines[1], "12 ")) << lines[1];
  EXPECT_NE(lines[1], "12 0");  // X wins after O's edge reply
}

void ExpectBadInput(const std::string& args, const std::string& needle) {
  testing::ExpectOneLineError(args, needle, testing::kAnyFailure);
}

// The bad options and files are also checked in-process
// (solve_report_test); here the binary's wiring of the checks, the game and
// the flags gflags cannot read.
TEST(SolveCommandTest, BadInputIsOneLineAndNonZeroExit) {
  std::string missing = testing::WriteTempFile("m", "") + "-missing";
  ExpectBadInput("solve --game=connect4 --positions='" + missing + "'",
                 "-missing");
  EXPECT_EQ(RunAz("solve --positions='" + missing + "'").exit_code, 2);
  ExpectBadInput("solve --game=chess --positions='" + HeadFile() + "'",
                 "unknown game \"chess\"");
  EXPECT_EQ(
      RunAz("solve --game=chess --positions='" + HeadFile() + "'").exit_code,
      2);
  ExpectBadInput("solve --game=connect4", "--positions=FILE is required");
  ExpectBadInput("solve --threads=many --positions='" + HeadFile() + "'",
                 "threads");
  ExpectBadInput("solve --no-such-flag --positions='" + HeadFile() + "'",
                 "no-such-flag");
  ExpectBadInput("solve --positions='" + HeadFile() + "' extra",
                 "unexpected argument \"extra\"");
}

TEST(SolveCommandTest, HelpDescribesTheCommand) {
  testing::CommandResult r = RunAz("help solve");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* text : {"az solve", "--positions", "--check", "--threads",
                           "--json", "22 - k"}) {
    EXPECT_TRUE(absl::StrContains(r.out, text)) << text;
  }
}

}  // namespace
}  // namespace az
