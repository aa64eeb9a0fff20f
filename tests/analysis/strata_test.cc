#include "analysis/strata.h"

#include <memory>

#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

std::unique_ptr<State> After(const std::string& game_name,
                             const std::string& moves) {
  const Game& game = **FindGame(game_name);
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
