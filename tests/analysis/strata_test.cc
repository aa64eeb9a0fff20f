#include "analysis/strata.h"

#include <memory>

#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

std::unique_ptr<State> After(const std::string& game_name,
                             const std::string& moves,
                             const std::string& spec = "rules") {
  const Game& game = **FindGameWithReward(game_name, spec);
  auto state = game.NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  return *std::move(state);
}

TEST(StrataTest, TicTacToeQuietAndTactical) {
  const Game& game = **FindGame("tictactoe");
  EXPECT_TRUE(IsQuiet(*game.NewInitialState()));
  // Squares are numbered 1-9; the first player holds 1 and 2: a threat the
  // second player must answer, so the position is not quiet.
  EXPECT_FALSE(IsQuiet(*After("tictactoe", "142")));
  // The first player to move with 1 and 2 taken can win at once.
  EXPECT_FALSE(IsQuiet(*After("tictactoe", "1425")));
  EXPECT_TRUE(IsQuiet(*After("tictactoe", "5")));
}

TEST(StrataTest, ConnectFourThreats) {
  EXPECT_TRUE(IsQuiet(*After("connect4", "44")));
  // Three stones stacked in column 4: an immediate win for the mover.
  EXPECT_FALSE(IsQuiet(*After("connect4", "434343")));
  // The opponent has three in column 4 and the mover cannot win at once:
  // every move but 4 lets the opponent win.
  EXPECT_FALSE(IsQuiet(*After("connect4", "43434")));
}

// X holds squares 1 and 5 (squares 1-9, row by row): whatever O plays, X's
// reply on 9 ends the game by the rules and not by no_diagonals.
TEST(StrataTest, TicTacToeDiagonalIsARewardThreat) {
  EXPECT_TRUE(HasRewardThreat(*After("tictactoe", "125", "no_diagonals")));
  // The same position played by the rules has no spec to disagree with.
  EXPECT_FALSE(HasRewardThreat(*After("tictactoe", "125")));
  // A row threat ends the game the same way under both.
  EXPECT_FALSE(HasRewardThreat(*After("tictactoe", "142", "no_diagonals")));
  EXPECT_FALSE(HasRewardThreat(*After("tictactoe", "5", "no_diagonals")));
  // After the diagonal the rules have ended the game: outside the real
  // game, not a threat any more.
  auto past = After("tictactoe", "12539", "no_diagonals");
  ASSERT_FALSE(past->IsTerminal());
  ASSERT_TRUE(past->Verdict().decided());
  EXPECT_FALSE(HasRewardThreat(*past));
}

TEST(StrataTest, ConnectFourDiagonalIsARewardThreat) {
  // X on a1, b2, c3 with column d three high: X's d4 completes a diagonal,
  // which only the rules count.
  EXPECT_TRUE(
      HasRewardThreat(*After("connect4", "122334344", "no_diagonals")));
  EXPECT_FALSE(HasRewardThreat(*After("connect4", "122334344")));
  EXPECT_FALSE(HasRewardThreat(*After("connect4", "44", "no_diagonals")));
  // A vertical three is a threat by both.
  EXPECT_FALSE(HasRewardThreat(*After("connect4", "434343", "no_diagonals")));
}

// A spec that only grades a result agrees with the rules on when a game
// ends and who won.
TEST(StrataTest, GradingSpecsHaveNoRewardThreats) {
  EXPECT_FALSE(HasRewardThreat(*After("othello", "", "discs")));
  EXPECT_FALSE(HasRewardThreat(*After("connect4", "434343", "quick")));
}

TEST(StrataTest, StagesSplitTheGameInFour) {
  const Game& ttt = **FindGame("tictactoe");
  EXPECT_EQ(StageWidth(ttt), 3);
  EXPECT_EQ(StageIndex(ttt, 0), 0);
  EXPECT_EQ(StageIndex(ttt, 8), 2);
  EXPECT_EQ(StageName(ttt, 1), "plies 3-5");
  const Game& c4 = **FindGame("connect4");
  EXPECT_EQ(StageWidth(c4), 11);
  EXPECT_EQ(StageIndex(c4, 41), 3);
}

}  // namespace
}  // namespace az::analysis
