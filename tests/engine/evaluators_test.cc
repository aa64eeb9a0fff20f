#include "engine/evaluators.h"

#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>

#include "engine/search.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/engine/tree_game.h"
#include "tests/test_util.h"

namespace az::engine {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }
const Game& TicTacToe() { return **FindGame("tictactoe"); }

struct Evaluated {
  std::vector<float> priors;
  std::vector<LeafEvaluation> results;
};

Evaluated EvaluateAll(Evaluator& evaluator, const Game& game,
                      const std::vector<const State*>& states) {
  Evaluated out;
  out.priors.resize(states.size() * game.NumActions());
  out.results.resize(states.size());
  absl::Status status = evaluator.Evaluate(absl::MakeConstSpan(states),
                                           absl::MakeSpan(out.priors),
                                           absl::MakeSpan(out.results));
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

TEST(UniformEvaluatorTest, UniformOverLegalMovesWithValueZero) {
  auto state = *Connect4().NewStateFromMoves("1111112");  // column 1 full
  UniformEvaluator uniform(Connect4());
  Evaluated e = EvaluateAll(uniform, Connect4(), {state.get()});
  EXPECT_EQ(e.priors[0], 0.0f);
  for (int a = 1; a < 7; ++a) EXPECT_FLOAT_EQ(e.priors[a], 1.0f / 6);
  EXPECT_EQ(e.results[0].value.Scalar(), 0.0f);
  EXPECT_FALSE(e.results[0].exact.has_value());
}

TEST(EvaluatorTest, BuffersTooSmallAreAnError) {
  UniformEvaluator uniform(Connect4());
  auto state = Connect4().NewInitialState();
  const State* states[] = {state.get(), state.get()};
  std::vector<float> priors(7);  // room for one state only
  std::vector<LeafEvaluation> results(2);
  EXPECT_EQ(
      uniform.Evaluate(states, absl::MakeSpan(priors), absl::MakeSpan(results))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(RolloutEvaluatorTest, FrequenciesOfRandomPlayouts) {
  // X holds 1 and 5 and O holds 2 and 9; X to move wins most playouts.
  auto state = *TicTacToe().NewStateFromMoves("1259");
  auto rollout = *RolloutEvaluator::Create(TicTacToe(), 400, 3);
  Evaluated e = EvaluateAll(*rollout, TicTacToe(), {state.get()});
  const ValueEstimate& v = e.results[0].value;
  EXPECT_NEAR(v.win + v.draw + v.loss, 1.0f, 1e-5);
  EXPECT_GT(v.win, 0.5f);
  EXPECT_GT(v.win, v.loss + 0.2f);
  EXPECT_FALSE(e.results[0].exact.has_value());
  float total = std::accumulate(e.priors.begin(), e.priors.end(), 0.0f);
  EXPECT_NEAR(total, 1.0f, 1e-5);
  EXPECT_EQ(rollout->Name(), "rollout:k=400");
}

TEST(RolloutEvaluatorTest, APositionGetsTheSameValueInAnyBatchOrThread) {
  auto a = *Connect4().NewStateFromMoves("4455");
  auto b = *Connect4().NewStateFromMoves("1234567");
  auto rollout = *RolloutEvaluator::Create(Connect4(), 8, 11);
  Evaluated alone = EvaluateAll(*rollout, Connect4(), {a.get()});
  Evaluated batch = EvaluateAll(*rollout, Connect4(), {b.get(), a.get()});
  EXPECT_EQ(alone.results[0].value.win, batch.results[1].value.win);
  EXPECT_EQ(alone.results[0].value.loss, batch.results[1].value.loss);
  Evaluated other_thread;
  std::thread t(
      [&] { other_thread = EvaluateAll(*rollout, Connect4(), {a.get()}); });
  t.join();
  EXPECT_EQ(alone.results[0].value.win, other_thread.results[0].value.win);
  EXPECT_FALSE(RolloutEvaluator::Create(Connect4(), 0, 1).ok());
}

TEST(SolverEvaluatorTest, PriorOnOptimalMovesAndExactValue) {
  auto state = *TicTacToe().NewStateFromMoves("1259");
  auto solver = *SolverEvaluator::Create(TicTacToe());
  Evaluated e = EvaluateAll(*solver, TicTacToe(), {state.get()});
  ASSERT_TRUE(e.results[0].exact.has_value());
  EXPECT_TRUE(e.results[0].exact->reward.is_win());
  EXPECT_EQ(e.results[0].value.Scalar(), 1.0f);
  // Cells 4 and 7 (actions 3 and 6) win; the rest do not.
  for (int a = 0; a < 9; ++a) {
    EXPECT_FLOAT_EQ(e.priors[a], a == 3 || a == 6 ? 0.5f : 0.0f) << a;
  }
}

TEST(SolverEvaluatorTest, GamesWithoutASolverAreRefused) {
  az::testing::TreeGame game("(F S)");
  auto solver = SolverEvaluator::Create(game);
  ASSERT_FALSE(solver.ok());
  EXPECT_EQ(solver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(solver.status().message().find("no exact solver"),
            std::string::npos);
}

// Positions of Pascal Pons' benchmark set (shared data).
std::vector<std::string> BenchmarkPositions(const std::string& file, int n) {
  std::ifstream in(az::testing::SharedDataDir() + "/connect4/" + file);
  std::vector<std::string> out;
  std::string line;
  while (static_cast<int>(out.size()) < n && std::getline(in, line)) {
    std::istringstream fields(line);
    std::string moves;
    fields >> moves;
    out.push_back(moves);
  }
  return out;
}

TEST(SolverEvaluatorTest, SearchPlaysPerfectConnect4) {
  std::vector<std::string> positions = BenchmarkPositions("Test_L3_R1", 6);
  for (const std::string& p : BenchmarkPositions("Test_L2_R1", 4)) {
    positions.push_back(p);
  }
  if (positions.empty()) GTEST_SKIP() << "no shared Connect Four data";
  auto evaluator = *SolverEvaluator::Create(Connect4());
  auto solver = Connect4().NewExactSolver();
  SearchParams params;
  params.num_simulations = 200;
  auto search = *Search::Create(Connect4(), evaluator.get(), params);
  int moves_checked = 0;
  for (const std::string& moves : positions) {
    auto state = *Connect4().NewStateFromMoves(moves);
    ASSERT_TRUE(search->SetPosition(*state).ok());
    // Play the game out, both sides by the search.
    while (!state->IsTerminal()) {
      SearchResult result = *search->Run();
      auto solved = solver->SolveMoves(*state);
      ASSERT_TRUE(solved.ok());
      ExactValue best = (*solved)[0].value;
      ExactValue chosen;
      for (const MoveValue& m : *solved) {
        if (IsBetterExactValue(m.value, best)) best = m.value;
        if (m.action == result.best_action) chosen = m.value;
      }
      EXPECT_FALSE(IsBetterExactValue(best, chosen))
          << "after " << moves << ": played "
          << Connect4().ActionToString(result.best_action) << " scoring "
          << chosen.score << ", best scores " << best.score;
      ASSERT_TRUE(result.proven()) << moves;
      EXPECT_EQ(result.exact->reward(), best.reward) << moves;
      // The solver's score where the proof came from it; proofs found in
      // the tree count plies instead.
      if (result.exact->score().has_value()) {
        EXPECT_EQ(result.exact->score(), best.score) << moves;
      }
      ++moves_checked;
      state->Apply(result.best_action);
      ASSERT_TRUE(search->ApplyMove(result.best_action).ok());
    }
  }
  EXPECT_GT(moves_checked, 50);
}

}  // namespace
}  // namespace az::engine
