// az solve's library side, in-process: the option checks, solving and
// checking positions parsed from a string, the bad inputs of a position
// file, and the two forms of the output.
#include "tools/solve_report.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/exit_code_testing.h"
#include "tools/command.h"

namespace az {
namespace {

const Game& TicTacToe() { return **FindGame("tictactoe"); }
const Game& ConnectFour() { return **FindGame("connect4"); }

SolveOptions Options(const std::string& positions, bool check, int threads) {
  SolveOptions options;
  options.positions = positions;
  options.check = check;
  options.threads = threads;
  return options;
}

absl::StatusOr<SolveReport> Solve(const Game& game, const std::string& text,
                                  const SolveOptions& options) {
  absl::StatusOr<std::vector<PositionRecord>> records =
      ParsePositions(game, text, options.positions);
  if (!records.ok()) return records.status();
  return SolvePositions(game, *std::move(records), options);
}

TEST(SolveReportTest, OptionsNeedAFileAndThreadsOfZeroOrMore) {
  SolveFlagValues flags;
  flags.positions = "p.txt";
  flags.check = true;
  absl::StatusOr<SolveOptions> options = ResolveSolveOptions(flags, 6);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->positions, "p.txt");
  EXPECT_TRUE(options->check);
  EXPECT_EQ(options->threads, 6);  // one per core
  EXPECT_EQ(ResolveSolveOptions(flags, 0)->threads, 1);
  flags.threads = 3;
  EXPECT_EQ(ResolveSolveOptions(flags, 6)->threads, 3);

  // As BadInputIsOneLineAndNonZeroExit of the binary: one line, exit 2.
  flags.threads = -3;
  testing::ExpectOneLineExit("solve", ResolveSolveOptions(flags, 6).status(),
                             "--threads");
  flags.positions = "";
  testing::ExpectOneLineExit("solve", ResolveSolveOptions(flags, 6).status(),
                             "--positions=FILE is required");
}

TEST(SolveReportTest, SolvesAndChecksPositions) {
  absl::StatusOr<SolveReport> report =
      Solve(TicTacToe(), "5 0\n12 1\n", Options("ttt.txt", true, 4));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->game, "tictactoe");
  ASSERT_EQ(report->scores.size(), 2u);
  EXPECT_EQ(report->scores[0], 0);  // a draw after the centre opening
  EXPECT_NE(report->scores[1], 0);  // X wins after O's edge reply
  EXPECT_EQ(report->threads, 2);    // no more threads than positions
  EXPECT_GT(report->nodes, 0u);
  EXPECT_EQ(report->checked, 2);
  // Whatever the exact score of 12, the file's 1 is right or the only miss.
  EXPECT_EQ(report->mismatches, report->scores[1] == 1 ? 0 : 1);
}

TEST(SolveReportTest, AMismatchIsARuntimeFailureNamingTheLine) {
  absl::StatusOr<SolveReport> report = Solve(
      TicTacToe(), "# a comment\n5 0\n5 7\n5 3\n", Options("f.txt", true, 1));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->mismatches, 2);
  EXPECT_EQ(report->first_mismatch, 1);
  absl::Status mismatch = ScoreMismatch(*report);
  EXPECT_EQ(mismatch.message(), "f.txt:3: 5: the solver scores 0, the file 7");
  testing::ExpectOneLineExit("solve", mismatch, "f.txt:3:", 1);
  EXPECT_TRUE(
      absl::StrContains(SolveText(*report), ", 2 mismatches of 3 checked\n"));

  // Without --check nothing is compared.
  report = Solve(TicTacToe(), "5 7\n", Options("f.txt", false, 1));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->mismatches, 0);
  EXPECT_TRUE(ScoreMismatch(*report).ok());
}

TEST(SolveReportTest, TextIsAPositionFileWithASummary) {
  absl::StatusOr<SolveReport> report =
      Solve(TicTacToe(), "5\n", Options("t.txt", false, 1));
  ASSERT_TRUE(report.ok()) << report.status();
  report->seconds = 0.5;
  report->nodes = 1000;
  EXPECT_EQ(SolveText(*report),
            "5 0\n# 1 positions in 0.500 s: 2.0 positions/s, 1000 nodes "
            "(2e+03 nodes/s), 1 threads\n");
  report->seconds = 0;  // too fast to time: no rates rather than infinity
  EXPECT_TRUE(absl::StrContains(SolveText(*report), ": 0.0 positions/s"));
}

TEST(SolveReportTest, JsonHasTheFigures) {
  absl::StatusOr<SolveReport> report =
      Solve(TicTacToe(), "5 0\n1\n", Options("t.txt", true, 2));
  ASSERT_TRUE(report.ok()) << report.status();
  report->seconds = 2;
  nlohmann::json j = nlohmann::json::parse(SolveJson(*report));
  EXPECT_EQ(j["game"], "tictactoe");
  EXPECT_EQ(j["positions"], 2);
  EXPECT_EQ(j["seconds"], 2.0);
  EXPECT_EQ(j["positions_per_s"], 1.0);
  EXPECT_EQ(j["mean_us_per_position"], 1e6);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["checked"], 1);  // the second line has no score
  EXPECT_EQ(j["mismatches"], 0);
  EXPECT_EQ(j["nodes"].get<uint64_t>(), report->nodes);
}

// The bad position files of BadInputIsOneLineAndNonZeroExit, in-process:
// each one line and exit 2.
TEST(SolveReportTest, BadFilesAndGamesAreUsageErrors) {
  const std::string missing = testing::WriteTempFile("m", "") + "-missing";
  testing::ExpectOneLineExit(
      "solve",
      SolvePositionFile(ConnectFour(), Options(missing, false, 1)).status(),
      "-missing");
  const std::string malformed =
      testing::WriteTempFile("malformed.txt", "4453 1\n\n44 x9\n");
  testing::ExpectOneLineExit(
      "solve",
      SolvePositionFile(ConnectFour(), Options(malformed, false, 1)).status(),
      "malformed.txt:3:");
  testing::ExpectOneLineExit(
      "solve",
      SolvePositionFile(**FindGame("othello"), Options(missing, false, 1))
          .status(),
      "the game othello has no exact solver");
}

}  // namespace
}  // namespace az
