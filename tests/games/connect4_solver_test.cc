#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "games/connect4/connect4.h"
#include "games/connect4/solver.h"
#include "games/position_file.h"
#include "games/registry.h"
#include "games/solver.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

const Game& Connect4() {
  static const Game* game = *FindGame("connect4");
  return *game;
}

std::unique_ptr<State> Play(absl::string_view moves) {
  auto state = Connect4().NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? std::move(*state) : Connect4().NewInitialState();
}

// One solver for the whole suite: building its table costs more than most
// of the positions here.
ExactSolver& Solver() {
  static ExactSolver* solver = Connect4().NewExactSolver().release();
  return *solver;
}

ExactValue SolveOrDie(const State& state) {
  absl::StatusOr<ExactValue> value = Solver().Solve(state);
  EXPECT_TRUE(value.ok()) << value.status();
  return value.ok() ? *value : ExactValue{};
}

std::vector<PositionRecord> ReadHead(const std::string& name) {
  std::string path = testing::TestDataDir() + "/connect4/" + name + "_head";
  auto records = ReadPositionFile(Connect4(), path);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *records : std::vector<PositionRecord>{};
}

TEST(Connect4SolverTest, GameProvidesTheSolver) {
  std::unique_ptr<ExactSolver> solver = Connect4().NewExactSolver();
  ASSERT_NE(solver, nullptr);
  EXPECT_NE(dynamic_cast<Connect4Solver*>(solver.get()), nullptr);
}

class BenchmarkHeadTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BenchmarkHeadTest, EveryScoreIsExact) {
  std::vector<PositionRecord> records = ReadHead(GetParam());
  ASSERT_GE(records.size(), 50u);
  for (const PositionRecord& record : records) {
    ASSERT_TRUE(record.score.has_value()) << "line " << record.line;
    ExactValue value = SolveOrDie(*Play(record.moves));
    EXPECT_EQ(value.score, *record.score) << record.moves;
    EXPECT_EQ(value.reward.value(), (value.score > 0) - (value.score < 0))
        << record.moves;
  }
}

INSTANTIATE_TEST_SUITE_P(Connect4, BenchmarkHeadTest,
                         ::testing::Values("Test_L3_R1", "Test_L2_R1",
                                           "Test_L2_R2", "Test_L1_R1"));

TEST(Connect4SolverTest, MirrorImagesScoreAlike) {
  // The solver's table shares entries between mirror images early on; the
  // mirrored benchmark positions must keep their scores.
  std::vector<PositionRecord> records = ReadHead("Test_L1_R1");
  ASSERT_GE(records.size(), 30u);
  for (size_t i = 0; i < 30; ++i) {
    std::string mirrored = records[i].moves;
    for (char& c : mirrored) c = static_cast<char>('1' + '7' - c);
    EXPECT_EQ(SolveOrDie(*Play(mirrored)).score, *records[i].score) << mirrored;
  }
}

TEST(Connect4SolverTest, FinishedGamesScoreTheirReward) {
  // X won with its 4th stone; O, to move, has lost: 22 - 4 = 18.
  ExactValue lost = SolveOrDie(*Play("1412171"));
  EXPECT_TRUE(lost.reward.is_loss());
  EXPECT_EQ(lost.score, -18);
  // O won with its 4th stone.
  ExactValue lost_too = SolveOrDie(*Play("12121232"));
  EXPECT_TRUE(lost_too.reward.is_loss());
  EXPECT_EQ(lost_too.score, -18);
  ExactValue draw =
      SolveOrDie(*Play("126613431456475467333341527215612225546777"));
  EXPECT_TRUE(draw.reward.is_draw());
  EXPECT_EQ(draw.score, 0);
}

TEST(Connect4SolverTest, WinAtOnceScoresTheNextStone) {
  // X has three in column 1 and wins with its 4th stone.
  ExactValue win = SolveOrDie(*Play("121212"));
  EXPECT_TRUE(win.reward.is_win());
  EXPECT_EQ(win.score, 18);
  // X holds 3 4 5 of the bottom row with 2 and 6 open: O blocks one end,
  // X wins at the other with its 4th stone.
  ExactValue loss = SolveOrDie(*Play("31475"));
  EXPECT_TRUE(loss.reward.is_loss());
  EXPECT_EQ(loss.score, -18);
}

TEST(Connect4SolverTest, LastEmptyCell) {
  // The draw game without its last stone: one cell left, no four for X.
  ExactValue value =
      SolveOrDie(*Play("12661343145647546733334152721561222554677"));
  EXPECT_EQ(value.score, 0);
}

// Every move's value must be the negated value of its child, and the best of
// them the position's value.
void ExpectMovesConsistent(absl::string_view moves) {
  SCOPED_TRACE(std::string(moves));
  std::unique_ptr<State> state = Play(moves);
  ExactValue value = SolveOrDie(*state);
  absl::StatusOr<std::vector<MoveValue>> move_values =
      Solver().SolveMoves(*state);
  ASSERT_TRUE(move_values.ok()) << move_values.status();
  std::vector<Action> legal = state->LegalActions();
  ASSERT_EQ(move_values->size(), legal.size());
  int best = -100;
  // Another solver, so that its answers owe nothing to the first's table.
  static ExactSolver* other = Connect4().NewExactSolver().release();
  for (size_t i = 0; i < legal.size(); ++i) {
    const MoveValue& mv = (*move_values)[i];
    EXPECT_EQ(mv.action, legal[i]);
    std::unique_ptr<State> child = state->Clone();
    child->Apply(mv.action);
    absl::StatusOr<ExactValue> child_value = other->Solve(*child);
    ASSERT_TRUE(child_value.ok());
    EXPECT_EQ(mv.value.score, -child_value->score) << "move " << mv.action + 1;
    EXPECT_EQ(mv.value.reward, child_value->reward.ForOpponent());
    best = std::max(best, mv.value.score);
  }
  EXPECT_EQ(best, value.score);
}

TEST(Connect4SolverTest, SolveMovesAgreesWithSolve) {
  ExpectMovesConsistent("121212");  // a move wins at once
  ExpectMovesConsistent("31475");   // every move loses
  ExpectMovesConsistent("12661343145647546733334152721561222554677");
  std::vector<PositionRecord> records = ReadHead("Test_L2_R1");
  ASSERT_GE(records.size(), 10u);
  for (size_t i = 0; i < 10; ++i) ExpectMovesConsistent(records[i].moves);
  records = ReadHead("Test_L3_R1");
  ASSERT_GE(records.size(), 10u);
  for (size_t i = 0; i < 10; ++i) ExpectMovesConsistent(records[i].moves);
}

TEST(Connect4SolverTest, SolveMovesOfFinishedGameIsEmpty) {
  auto values = Solver().SolveMoves(*Play("1412171"));
  ASSERT_TRUE(values.ok());
  EXPECT_TRUE(values->empty());
}

TEST(Connect4SolverTest, RejectsOtherGames) {
  const Game& tictactoe = **FindGame("tictactoe");
  auto value = Solver().Solve(*tictactoe.NewInitialState());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Solver().SolveMoves(*tictactoe.NewInitialState()).ok());
}

TEST(Connect4SolverTest, CountsNodes) {
  std::unique_ptr<ExactSolver> solver = Connect4().NewExactSolver();
  EXPECT_EQ(solver->nodes_searched(), 0u);
  ASSERT_TRUE(
      solver->Solve(*Play("2252576253462244111563365343671351441")).ok());
  EXPECT_GT(solver->nodes_searched(), 0u);
}

}  // namespace
}  // namespace az
