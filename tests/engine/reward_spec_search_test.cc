// The search under reward specs: a graded spec's finished games back up their
// exact payoff and prove nothing; a ternary proxy spec keeps its proofs; a
// position of another spec is refused.
#include <memory>
#include <string>

#include "engine/evaluators.h"
#include "engine/search.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::engine {
namespace {

const Game& TicTacToeWith(const std::string& spec) {
  absl::StatusOr<const Game*> game = FindGameWithReward("tictactoe", spec);
  EXPECT_TRUE(game.ok()) << game.status();
  return **game;
}

SearchResult SearchFrom(const Game& game, const std::string& moves,
                        Evaluator* evaluator, int sims) {
  SearchParams params;
  params.num_simulations = sims;
  auto search = Search::Create(game, evaluator, params);
  EXPECT_TRUE(search.ok()) << search.status();
  auto state = game.NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE((*search)->SetPosition(**state).ok());
  auto result = (*search)->Run();
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

TEST(RewardSpecSearchTest, GradedPayoffsAreBackedUpNotProven) {
  // X (1 2 against 4 5) wins at once with 3, at ply 5: quick pays 1 for it.
  const Game& quick = TicTacToeWith("quick");
  UniformEvaluator uniform(quick);
  SearchResult r = SearchFrom(quick, "1425", &uniform, 300);
  EXPECT_FALSE(r.proven());
  EXPECT_FALSE(r.stopped_proven);
  EXPECT_EQ(r.simulations, 300);
  EXPECT_EQ(r.best_action, 2);
  for (const MoveStats& m : r.moves) EXPECT_FALSE(m.proven.has_value());
  ASSERT_TRUE(r.moves[0].action == 2 && r.moves[0].q.has_value());
  EXPECT_EQ(*r.moves[0].q, 1.0f);
  EXPECT_GT(r.reward_visits, 0);

  // From an open position, with rollouts: finished games pay fractions,
  // and the root's value stays a payoff in range.
  RolloutEvaluator rollouts(quick, 4, 1);
  r = SearchFrom(quick, "15", &rollouts, 400);
  EXPECT_FALSE(r.proven());
  EXPECT_GE(r.q, -1.0f);
  EXPECT_LE(r.q, 1.0f);
}

TEST(RewardSpecSearchTest, ExactEvaluatorUnderAGradedSpecBacksUpThePayoff) {
  const Game& quick = TicTacToeWith("quick");
  absl::StatusOr<std::unique_ptr<SolverEvaluator>> solver =
      SolverEvaluator::Create(quick);
  ASSERT_TRUE(solver.ok()) << solver.status();
  // After "52" X wins, but not at once: the exact payoff is below 1.
  SearchResult r = SearchFrom(quick, "52", solver->get(), 50);
  EXPECT_FALSE(r.proven());
  const ExactValue exact =
      *quick.NewExactSolver()->Solve(**quick.NewStateFromMoves("52"));
  ASSERT_TRUE(exact.reward.is_win());
  ASSERT_LT(exact.reward.value(), 1.0f);
  // The first visit backs up the solver's payoff, later ones exact payoffs
  // of positions below (equal under perfect play on the best line).
  EXPECT_NEAR(r.q, exact.reward.value(), 0.2f);
  EXPECT_EQ(r.reward_visits, r.root_visits);
}

TEST(RewardSpecSearchTest, TernaryProxyKeepsItsProofs) {
  // X (1 2 against 4 5) completes the top row with 3: a win under the spec
  // too, proven as by the rules.
  const Game& proxy = TicTacToeWith("no_diagonals");
  UniformEvaluator uniform(proxy);
  SearchResult r = SearchFrom(proxy, "1425", &uniform, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_win());
  EXPECT_EQ(r.exact->plies_to_end(), 1);
  EXPECT_EQ(r.best_action, 2);

  // X (1 5 against 2 3) completes the diagonal with 9: an immediate win by
  // the rules, nothing under the spec.
  const Game& rules = TicTacToeWith("rules");
  UniformEvaluator rules_uniform(rules);
  r = SearchFrom(rules, "1253", &rules_uniform, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_EQ(r.exact->plies_to_end(), 1);
  EXPECT_EQ(r.best_action, 8);
  r = SearchFrom(proxy, "1253", &uniform, 1000);
  EXPECT_FALSE(r.proven() && r.exact->plies_to_end() == 1);
}

TEST(RewardSpecSearchTest, RefusesAPositionOfAnotherSpec) {
  const Game& proxy = TicTacToeWith("no_diagonals");
  UniformEvaluator uniform(proxy);
  auto search = Search::Create(proxy, &uniform, SearchParams());
  ASSERT_TRUE(search.ok());
  absl::Status status =
      (*search)->SetPosition(*(*FindGame("tictactoe"))->NewInitialState());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace az::engine
