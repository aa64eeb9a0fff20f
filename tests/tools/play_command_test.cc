#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(PlayCommandTest, HumansPlayAFullGameFromAPipe) {
  // A malformed move, then an occupied square, then legal moves: X takes the
  // top row.
  auto r = RunAz("play --game=tictactoe --players=human,human",
                 "1\nx\n4\n1\n2\n5\n3\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "result: first player wins (human)"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "moves: 14253")) << r.out;
  // Both bad inputs were explained on stderr, and asked for again.
  EXPECT_TRUE(absl::StrContains(r.err, "\"x\"")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "1 is not a legal move")) << r.err;
  // No prompt noise when stdin is not a terminal; a board per move plus the
  // initial one.
  EXPECT_FALSE(absl::StrContains(r.out, "to move (help")) << r.out;
  EXPECT_EQ(Count(r.out, "plays "), 5) << r.out;
}

TEST(PlayCommandTest, UndoTakesBackTheMovePairAndQuitStops) {
  auto r = RunAz("play --game=tictactoe --players=human,solver",
                 "5\nundo\nundo\nhelp\nquit\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "first (human) plays 5")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "second (solver) plays")) << r.out;
  // Back at the start: the human's move and the solver's reply are gone.
  EXPECT_TRUE(absl::StrContains(r.out, "undo: back to move 1")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "nothing to undo")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "Legal moves now: 1 2 3 4 5 6 7 8 9"))
      << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "quit")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "result:")) << r.out;
}

TEST(PlayCommandTest, AHumanNeverBeatsTheSolver) {
  // The human tries every square in order; those taken are refused.
  auto r = RunAz("play --game=tictactoe --players=human,solver --seed=3",
                 "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "result: ")) << r.out;
  EXPECT_FALSE(absl::StrContains(r.out, "first player wins")) << r.out;
}

TEST(PlayCommandTest, EndOfInputQuits) {
  auto r = RunAz("play --game=connect4 --players=human,random --start=44", "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "quit after 0 moves")) << r.err;
}

TEST(PlayCommandTest, EnginesPlayEachOtherWithAnalysis) {
  auto r = RunAz(
      "play --game=tictactoe --players=mcts:sims=100,solver --analysis", "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "result: ")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "heuristic v (random rollouts"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "search  q (")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "rules   exact value (solver)"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "top moves:")) << r.out;
}

TEST(PlayCommandTest, NetworkAnalysisSeparatesLearnedFromProven) {
  std::string path = ::testing::TempDir() + "/play_ttt.ckpt";
  auto init =
      RunAz("init --game=tictactoe --blocks=1 --channels=8 --out=" + path);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  // X to move can win at once (1 2 _ with 4 5 for O): the search proves it.
  auto r = RunAz("play --game=tictactoe --start=1425 --players=net:" + path +
                     ":sims=50,human --analysis",
                 "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "learned v (raw network value"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "rules   proven: win")) << r.out;
  auto raw = RunAz(
      "play --game=tictactoe --players=net:" + path + ":raw,random --analysis",
      "");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_TRUE(absl::StrContains(raw.out, "policy head alone")) << raw.out;
  EXPECT_TRUE(absl::StrContains(raw.out, "result: ")) << raw.out;
}

// Every bad option and player is checked in-process (play_session_test);
// these show the binary's wiring of the option checks and of the players.
TEST(PlayCommandTest, BadPlayersAreOneLineErrors) {
  for (std::string players : {"a,b,c", "net:/missing,human"}) {
    az::testing::ExpectOneLineError(
        "play --game=tictactoe --players=" + players,
        "az play: ");
  }
  az::testing::ExpectOneLineError(
      "play --game=tictactoe --start=11 --players=human,human",
      "--start");
}

TEST(PlayCommandTest, OptionsOutOfFloatRangeAreUsageErrors) {
  az::testing::ExpectOneLineError(
      "play --game=tictactoe --players=random,mcts:c_init=1e39", "c_init");
  az::testing::ExpectOneLineError(
      "play --game=tictactoe --players=mcts:fpu=1e39,random", "fpu");
}

}  // namespace
}  // namespace az
