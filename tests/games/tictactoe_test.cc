#include "games/tictactoe/tictactoe.h"

#include <memory>

#include "games/registry.h"
#include "games/solver.h"
#include "gtest/gtest.h"
#include "tests/games/game_conformance.h"

namespace az {
namespace {

const Game& TicTacToe() {
  static const Game* game = *FindGame("tictactoe");
  return *game;
}

std::unique_ptr<State> Play(absl::string_view moves) {
  auto state = TicTacToe().NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  return std::move(*state);
}

TEST(TicTacToeTest, RandomGamesKeepEveryInvariantUnderEverySpec) {
  testing::CheckRandomGamesEverySpec("tictactoe", 3000, 7);
}

TEST(TicTacToeTest, RowWinEndsTheGameWithRewards) {
  auto s = Play("14253");  // X: 1 2 3 across the top row
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->Outcome(), GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  EXPECT_EQ(s->Reward(Player::kSecond), TerminalReward::Loss());
}

TEST(TicTacToeTest, FullBoardWithoutLineIsDraw) {
  auto s = Play("512873469");
  EXPECT_EQ(s->Outcome(), GameOutcome::kDraw);
  EXPECT_TRUE(s->Reward(Player::kFirst).is_draw());
}

TEST(TicTacToeTest, SolverKnowsTheGameIsADraw) {
  auto solver = TicTacToe().NewExactSolver();
  ASSERT_NE(solver, nullptr);
  auto value = solver->Solve(*TicTacToe().NewInitialState());
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(value->reward.is_draw());
  EXPECT_EQ(value->score, 0);
}

TEST(TicTacToeTest, SolverFindsForcedWinAndLoss) {
  auto solver = TicTacToe().NewExactSolver();
  // X holds 1 and 5, O holds 2 and 9: X wins by the double threats 4 (6 and
  // 7) and 7 (3 and 4); 3 threatens only 7, and O's block there threatens 8.
  auto s = Play("1259");
  auto value = solver->Solve(*s);
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(value->reward.is_win());
  auto moves = solver->SolveMoves(*s);
  ASSERT_TRUE(moves.ok());
  ASSERT_EQ(moves->size(), 5u);
  for (const MoveValue& m : *moves) {
    bool wins = m.action == 3 || m.action == 6;
    EXPECT_EQ(m.value.reward.is_win(), wins) << "move " << m.action + 1;
  }
  // An edge reply next to X's corner opening loses for O.
  auto lost = solver->Solve(*Play("12"));
  ASSERT_TRUE(lost.ok());
  EXPECT_TRUE(lost->reward.is_win());
}

TEST(TicTacToeTest, MalformedAndIllegalMovesAreNamed) {
  auto bad = TicTacToe().NewStateFromMoves("15x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("move 3"), std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("character 3"), std::string::npos);
  auto repeated = TicTacToe().NewStateFromMoves("155");
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.status().message().find("not a legal move"),
            std::string::npos)
      << repeated.status();
  auto after_end = TicTacToe().NewStateFromMoves("142536");
  ASSERT_FALSE(after_end.ok());
  EXPECT_NE(after_end.status().message().find("over"), std::string::npos);
}

}  // namespace
}  // namespace az
