#include "analysis/evaluation.h"

#include <memory>

#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::analysis {
namespace {

std::vector<std::unique_ptr<State>> States(const Game& game,
                                           const std::vector<std::string>& m) {
  std::vector<std::unique_ptr<State>> states;
  for (const std::string& moves : m) {
    states.push_back(*game.NewStateFromMoves(moves));
  }
  return states;
}

std::vector<const State*> Pointers(
    const std::vector<std::unique_ptr<State>>& states) {
  std::vector<const State*> out;
  for (const auto& s : states) out.push_back(s.get());
  return out;
}

TEST(EvaluationTest, RawValuesOfTheSolverAreExact) {
  const Game& game = **FindGame("tictactoe");
  // A win for the mover (it completes 1-2-3 with 3), a draw (the start), a
  // lost position for the mover (two threats against it).
  auto states = States(game, {"1425", "", "5129"});
  auto solver = engine::SolverEvaluator::Create(game);
  ASSERT_TRUE(solver.ok());
  EvaluationOptions options;
  options.batch = 2;  // more than one call, from two threads
  auto raw = EvaluateRaw(game, solver->get(), Pointers(states), options);
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ(raw->size(), 3u);
  EXPECT_EQ((*raw)[0].v.value, 1.0);
  EXPECT_EQ((*raw)[0].policy_move, 2);  // cell 3
  EXPECT_TRUE((*raw)[0].exact);
  EXPECT_TRUE((*raw)[0].v.has_wdl);
  EXPECT_EQ((*raw)[1].v.value, 0.0);
}

TEST(EvaluationTest, SearchesFindTheWinAndScalarQIsDrawFree) {
  const Game& game = **FindGame("tictactoe");
  std::vector<std::string> moves;
  for (int i = 0; i < 70; ++i) moves.push_back(i % 2 ? "1425" : "5");
  auto states = States(game, moves);
  engine::UniformEvaluator uniform(game);
  engine::SearchParams params = engine::DefaultSearchParams(game);
  params.num_simulations = 30;
  EvaluationOptions options;
  options.searches_per_thread = 16;  // full and partial chunks
  auto result =
      EvaluateSearch(game, &uniform, params, Pointers(states), options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->size(), 70u);
  for (int i = 0; i < 70; ++i) {
    const SearchEvaluation& e = (*result)[i];
    if (i % 2) {
      EXPECT_TRUE(e.proven);
      EXPECT_EQ(e.q.value, 1.0);
      EXPECT_EQ(e.search_move, 2);
    } else {
      EXPECT_FALSE(e.proven);
      EXPECT_FALSE(e.q.has_wdl);
      EXPECT_EQ(e.q.wdl.draw, 0.0);
      EXPECT_NEAR(e.q.wdl.win - e.q.wdl.loss, e.q.value, 1e-9);
      // Deterministic: equal positions, equal results.
      EXPECT_EQ(e.q.value, (*result)[0].q.value);
    }
  }
}

}  // namespace
}  // namespace az::analysis
