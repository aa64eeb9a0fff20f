// The Connect Four solver under each reward spec against an independent slow
// reference: plain minimax over the game's own states on random positions
// deep enough for it to finish.
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "games/connect4/connect4.h"
#include "games/connect4/solver.h"
#include "games/registry.h"
#include "games/solver.h"
#include "gtest/gtest.h"

namespace az {
namespace {

const Game& Connect4With(const std::string& spec) {
  absl::StatusOr<const Game*> game = FindGameWithReward("connect4", spec);
  EXPECT_TRUE(game.ok()) << game.status();
  return **game;
}

// Pons' score and the spec's payoff for the side to move, each maximised on
// its own by plain minimax (no pruning, no table), from the states' own
// terminal test and reward.
struct SlowValue {
  int score;
  float payoff;
};

SlowValue SlowMinimax(const Connect4State& s) {
  if (s.IsTerminal()) {
    const int m = s.MoveNumber();
    // The previous player won with its ((m + 1) / 2)-th stone.
    const int score = s.Outcome() == GameOutcome::kDraw
                          ? 0
                          : -(connect4::kCells / 2 + 1 - (m + 1) / 2);
    return {score, s.Reward(s.ToMove()).value()};
  }
  SlowValue best{-100, -2.0f};
  for (Action a = 0; a < connect4::kWidth; ++a) {
    if (!s.IsLegal(a)) continue;
    Connect4State child = s;
    child.Apply(a);
    const SlowValue v = SlowMinimax(child);
    best.score = std::max(best.score, -v.score);
    best.payoff = std::max(best.payoff, -v.payoff);
  }
  return best;
}

// Random unfinished positions of `game` with `min_stones` to `max_stones`
// stones, from random play (which, under no_diagonals, runs past diagonal
// fours).
std::vector<std::unique_ptr<State>> RandomPositions(const Game& game,
                                                    int count, int min_stones,
                                                    int max_stones,
                                                    uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::unique_ptr<State>> positions;
  while (static_cast<int>(positions.size()) < count) {
    const int stones =
        min_stones + static_cast<int>(rng() % (max_stones - min_stones + 1));
    std::unique_ptr<State> s = game.NewInitialState();
    while (!s->IsTerminal() && s->MoveNumber() < stones) {
      std::vector<Action> legal = s->LegalActions();
      s->Apply(legal[rng() % legal.size()]);
    }
    if (!s->IsTerminal()) positions.push_back(std::move(s));
  }
  return positions;
}

// Checks Solve() and SolveMoves() of `spec`'s solver against the reference;
// returns how many positions the rules' verdict has already decided.
int ExpectSolverMatchesMinimax(const std::string& spec, int count,
                               uint64_t seed) {
  SCOPED_TRACE(spec);
  const Game& game = Connect4With(spec);
  std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
  EXPECT_NE(solver, nullptr);
  if (solver == nullptr) return 0;
  int decided = 0;
  for (const std::unique_ptr<State>& s : RandomPositions(game, count, 30, 36,
                                                         seed)) {
    const auto& c4 = static_cast<const Connect4State&>(*s);
    SCOPED_TRACE(s->ToString());
    absl::StatusOr<ExactValue> exact = solver->Solve(*s);
    EXPECT_TRUE(exact.ok()) << exact.status();
    if (!exact.ok()) continue;
    const SlowValue slow = SlowMinimax(c4);
    EXPECT_EQ(exact->score, slow.score);
    EXPECT_EQ(exact->reward.value(), slow.payoff);
    decided += s->Verdict().decided();

    absl::StatusOr<std::vector<MoveValue>> moves = solver->SolveMoves(*s);
    EXPECT_TRUE(moves.ok()) << moves.status();
    if (!moves.ok()) continue;
    for (const MoveValue& m : *moves) {
      Connect4State child = c4;
      child.Apply(m.action);
      const SlowValue v = SlowMinimax(child);
      EXPECT_EQ(m.value.score, -v.score) << "move " << m.action + 1;
      EXPECT_EQ(m.value.reward.value(), -v.payoff) << "move " << m.action + 1;
    }
  }
  return decided;
}

TEST(Connect4SpecSolverTest, RulesMatchPlainMinimax) {
  ExpectSolverMatchesMinimax("rules", 25, 1);
}

TEST(Connect4SpecSolverTest, NoDiagonalsMatchesPlainMinimax) {
  // Some positions lie past a diagonal four that the rules call a win: the
  // game goes on, and the solver must not count that four.
  EXPECT_GT(ExpectSolverMatchesMinimax("no_diagonals", 60, 2), 0);
}

TEST(Connect4SpecSolverTest, QuickPayoffsMatchPlainMinimax) {
  ExpectSolverMatchesMinimax("quick", 25, 3);
}

TEST(Connect4SpecSolverTest, NoDiagonalsIsAnotherGame) {
  // A diagonal threat wins for the rules' solver and nothing for the spec's:
  // X threatens to complete 1-2-3-4 diagonally by playing column 4.
  const std::string moves = "1223433454";
  std::unique_ptr<State> by_rules =
      *(*FindGame("connect4"))->NewStateFromMoves(moves);
  std::unique_ptr<State> proxy =
      *Connect4With("no_diagonals").NewStateFromMoves(moves);
  ExactValue rules_value =
      *(*FindGame("connect4"))->NewExactSolver()->Solve(*by_rules);
  ExactValue proxy_value =
      *Connect4With("no_diagonals").NewExactSolver()->Solve(*proxy);
  // X wins at once with its 6th stone (22 - 6) by the rules; without
  // diagonals it has no four to complete at once.
  EXPECT_EQ(rules_value.score, 16);
  EXPECT_LT(proxy_value.score, 16);
}

TEST(Connect4SpecSolverTest, RefusesAnotherSpecsPositions) {
  std::unique_ptr<ExactSolver> solver =
      Connect4With("no_diagonals").NewExactSolver();
  std::unique_ptr<State> by_rules = (*FindGame("connect4"))->NewInitialState();
  absl::StatusOr<ExactValue> value = solver->Solve(*by_rules);
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(value.status().message(), "no_diagonals"));
  EXPECT_FALSE(solver->SolveMoves(*by_rules).ok());
  EXPECT_NE(dynamic_cast<Connect4Solver*>(solver.get()), nullptr);
}

}  // namespace
}  // namespace az
