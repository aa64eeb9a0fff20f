#include "engine/search.h"

#include <cmath>
#include <map>
#include <memory>
#include <numeric>

#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/engine/search_test_util.h"
#include "tests/engine/tree_game.h"

namespace az::engine {
namespace {

using testing::ForcedWinPositions;
using testing::IsWinningMove;
using testing::SingleBlockPositions;

const Game& Connect4() { return **FindGame("connect4"); }
const Game& TicTacToe() { return **FindGame("tictactoe"); }

std::unique_ptr<Search> MakeSearch(const Game& game, Evaluator* evaluator,
                                   SearchParams params) {
  auto search = Search::Create(game, evaluator, params);
  EXPECT_TRUE(search.ok()) << search.status();
  return std::move(*search);
}

SearchParams Params(int sims) {
  SearchParams params;
  params.num_simulations = sims;
  return params;
}

TEST(SearchTest, VisitsAddUpAndPolicyIsADistribution) {
  UniformEvaluator uniform(Connect4());
  auto search = MakeSearch(Connect4(), &uniform, Params(500));
  auto result = search->Run();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->simulations, 500);
  EXPECT_EQ(result->root_visits, 500);
  EXPECT_EQ(result->moves.size(), 7u);
  int child_visits = 0;
  for (const MoveStats& m : result->moves) child_visits += m.visits;
  // The first simulation evaluates the root itself.
  EXPECT_EQ(child_visits, 499);
  float total =
      std::accumulate(result->policy.begin(), result->policy.end(), 0.0f);
  EXPECT_NEAR(total, 1.0f, 1e-5);
  EXPECT_EQ(result->value_visits, 500);
  EXPECT_EQ(result->reward_visits, 0);
  EXPECT_FALSE(result->proven());
  EXPECT_EQ(result->v, 0.0f);
}

TEST(SearchTest, ReportsTheEvaluatorValueAtTheRootAsV) {
  auto rollout = *RolloutEvaluator::Create(Connect4(), 16, 5);
  auto state = *Connect4().NewStateFromMoves("444455");
  float priors[7];
  LeafEvaluation eval;
  const State* states[] = {state.get()};
  ASSERT_TRUE(rollout->Evaluate(states, priors, absl::MakeSpan(&eval, 1)).ok());
  auto search = MakeSearch(Connect4(), rollout.get(), Params(200));
  ASSERT_TRUE(search->SetPosition(*state).ok());
  auto result = search->Run();
  ASSERT_TRUE(result.ok());
  EXPECT_FLOAT_EQ(result->v, eval.value.Scalar());
  EXPECT_NE(result->q, result->v);
}

TEST(SearchTest, SameSeedSameSearch) {
  auto rollout = *RolloutEvaluator::Create(Connect4(), 1, 3);
  SearchParams params = Params(300);
  params.root_noise = true;
  auto a = MakeSearch(Connect4(), rollout.get(), params);
  auto b = MakeSearch(Connect4(), rollout.get(), params);
  params.seed = 2;
  auto c = MakeSearch(Connect4(), rollout.get(), params);
  auto ra = a->Run(), rb = b->Run(), rc = c->Run();
  EXPECT_EQ(ra->policy, rb->policy);
  EXPECT_EQ(ra->q, rb->q);
  EXPECT_NE(ra->policy, rc->policy);
}

TEST(SearchTest, RootNoiseChangesPriorsButKeepsADistribution) {
  UniformEvaluator uniform(Connect4());
  SearchParams params = Params(50);
  params.root_noise = true;
  params.dirichlet_alpha = 0.3f;
  params.dirichlet_epsilon = 0.5f;
  auto search = MakeSearch(Connect4(), &uniform, params);
  auto result = search->Run();
  float total = 0.0f;
  bool all_uniform = true;
  for (const MoveStats& m : result->moves) {
    total += m.prior;
    all_uniform &= std::abs(m.prior - 1.0f / 7) < 1e-4;
  }
  EXPECT_NEAR(total, 1.0f, 1e-5);
  EXPECT_FALSE(all_uniform);
  // Without noise the priors stay uniform.
  auto plain = MakeSearch(Connect4(), &uniform, Params(50));
  SearchResult plain_result = *plain->Run();
  for (const MoveStats& m : plain_result.moves) {
    EXPECT_NEAR(m.prior, 1.0f / 7, 1e-6);
  }
}

TEST(SearchTest, TreeReuseKeepsTheSubtreeOfThePlayedMove) {
  auto rollout = *RolloutEvaluator::Create(Connect4(), 1, 3);
  auto search = MakeSearch(Connect4(), rollout.get(), Params(400));
  auto first = search->Run();
  ASSERT_TRUE(first.ok());
  Action best = first->best_action;
  int kept = 0;
  for (const MoveStats& m : first->moves) {
    if (m.action == best) kept = m.visits;
  }
  ASSERT_GT(kept, 1);
  ASSERT_TRUE(search->ApplyMove(best).ok());
  SearchResult before = search->Result();
  EXPECT_EQ(before.root_visits, kept);
  // The old root's other subtrees are gone.
  EXPECT_LT(before.tree_nodes, first->tree_nodes);
  auto second = search->Run();
  EXPECT_EQ(second->root_visits, kept + 400);
  EXPECT_EQ(second->simulations, 400);

  SearchParams no_reuse = Params(400);
  no_reuse.reuse_tree = false;
  auto fresh = MakeSearch(Connect4(), rollout.get(), no_reuse);
  ASSERT_TRUE(fresh->Run().ok());
  ASSERT_TRUE(fresh->ApplyMove(best).ok());
  EXPECT_EQ(fresh->Run()->root_visits, 400);
}

TEST(SearchTest, RejectsFinishedGamesAndIllegalMoves) {
  UniformEvaluator uniform(TicTacToe());
  auto search = MakeSearch(TicTacToe(), &uniform, Params(10));
  auto over = *TicTacToe().NewStateFromMoves("14253");
  absl::Status status = search->SetPosition(*over);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("over"), std::string::npos);
  ASSERT_TRUE(search->ApplyMove(4).ok());
  EXPECT_FALSE(search->ApplyMove(4).ok());  // already taken
  for (Action a : {0, 3, 1, 2}) ASSERT_TRUE(search->ApplyMove(a).ok());
  // Now X has 5, 4... and the game may be over: Run says so if it is.
  SearchResult unused;
  auto state = *TicTacToe().NewStateFromMoves("51423");
  if (state->IsTerminal()) {
    EXPECT_EQ(search->Run().status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  // Another game's position is refused.
  EXPECT_FALSE(search->SetPosition(*Connect4().NewInitialState()).ok());
}

TEST(SearchTest, InvalidParametersAreRefused) {
  UniformEvaluator uniform(Connect4());
  SearchParams params = Params(-3);
  auto search = Search::Create(Connect4(), &uniform, params);
  ASSERT_FALSE(search.ok());
  EXPECT_NE(search.status().message().find("num_simulations"),
            std::string::npos);
  params = Params(10);
  params.dirichlet_alpha = 0.0f;
  EXPECT_FALSE(Search::Create(Connect4(), &uniform, params).ok());
  EXPECT_FALSE(Search::Create(Connect4(), nullptr, Params(10)).ok());
}

class FailingEvaluator : public Evaluator {
 public:
  explicit FailingEvaluator(const Game& game, int fail_at)
      : inner_(game), fail_at_(fail_at) {}
  std::string Name() const override { return "failing"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override {
    if (++calls_ == fail_at_) return absl::UnavailableError("backend down");
    return inner_.Evaluate(states, priors, results);
  }

 private:
  UniformEvaluator inner_;
  int fail_at_;
  int calls_ = 0;
};

TEST(SearchTest, EvaluatorErrorsStopTheSearchAndLeaveTheTreeUsable) {
  FailingEvaluator failing(Connect4(), 20);
  auto search = MakeSearch(Connect4(), &failing, Params(100));
  auto result = search->Run();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  // The failed leaf was given back: the next search completes.
  auto again = search->Run();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->root_visits, 19 + 100);
}

TEST(SearchTest, StopsWhenTheTreeIsFull) {
  UniformEvaluator uniform(Connect4());
  SearchParams params = Params(100000);
  params.max_tree_nodes = 2000;
  auto search = MakeSearch(Connect4(), &uniform, params);
  auto result = search->Run();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->stopped_tree_full);
  EXPECT_LT(result->simulations, 100000);
  EXPECT_GT(result->simulations, 100);
}

TEST(SearchTest, ChooseMoveSamplesEarlyAndPlaysGreedilyLater) {
  auto rollout = *RolloutEvaluator::Create(Connect4(), 1, 9);
  SearchParams params = Params(300);
  params.temperature = 1.0f;
  params.temperature_moves = 2;
  auto search = MakeSearch(Connect4(), rollout.get(), params);
  SearchResult result = *search->Run();
  std::map<Action, int> chosen;
  for (int i = 0; i < 3000; ++i) ++chosen[search->ChooseMove(result)];
  EXPECT_GT(chosen.size(), 3u);
  for (const MoveStats& m : result.moves) {
    EXPECT_NEAR(chosen[m.action] / 3000.0, result.policy[m.action], 0.04)
        << "move " << m.action;
  }
  // Past the temperature phase: always the best move.
  ASSERT_TRUE(search->ApplyMove(3).ok());
  ASSERT_TRUE(search->ApplyMove(3).ok());
  result = *search->Run();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(search->ChooseMove(result), result.best_action);
  }
}

TEST(SearchTest, ChooseMoveAvoidsProvenLosses) {
  // Move 1 lets the second player win; move 2 leads to draws the search
  // cannot finish.
  az::testing::TreeGame game(
      "((S D) ((((D D) (D D)) ((D D) (D D))) (((D D) (D D)) ((D D) (D "
      "D)))))");
  UniformEvaluator uniform(game);
  SearchParams params = Params(12);
  params.temperature = 5.0f;
  params.temperature_moves = 10;
  params.stop_when_proven = false;
  auto search = MakeSearch(game, &uniform, params);
  SearchResult result = *search->Run();
  ASSERT_TRUE(result.moves[0].proven.has_value());
  ASSERT_GT(result.moves[0].visits, 0);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(search->ChooseMove(result), 1);
}

// The forced-win and blocking tests: uniform prior and random rollouts.
void ExpectFindsForcedWins(const Game& game, int moves, int sims,
                           int rollouts) {
  auto positions = ForcedWinPositions(game, moves, 6, 100 + moves);
  ASSERT_GE(positions.size(), 3u) << "too few test positions";
  auto evaluator = *RolloutEvaluator::Create(game, rollouts, 1);
  for (const auto& position : positions) {
    auto search = MakeSearch(game, evaluator.get(), Params(sims));
    ASSERT_TRUE(search->SetPosition(*position).ok());
    SearchResult result = *search->Run();
    // Proofs in the tree give an upper bound on the distance to the win:
    // a three-move win may be played as a proven four-move win.
    const int horizon = moves <= 2 ? 2 * moves - 1 : 2 * moves + 1;
    EXPECT_TRUE(result.proven() && result.exact->reward().is_win() &&
                IsWinningMove(*position, result.best_action, horizon))
        << game.Name() << ": win in " << moves << " missed in\n"
        << position->ToString()
        << "proven: " << (result.proven() ? result.exact->ToString() : "no")
        << ", played " << game.ActionToString(result.best_action);
    if (moves == 1) {
      ASSERT_TRUE(result.proven());
      EXPECT_EQ(result.exact->plies_to_end(), 1);
    }
  }
}

TEST(SearchTest, FindsWinsInOneTwoAndThreeMovesInTicTacToe) {
  for (int moves = 1; moves <= 3; ++moves) {
    ExpectFindsForcedWins(TicTacToe(), moves, 1000, 4);
  }
}

TEST(SearchTest, FindsWinsInOneTwoAndThreeMovesInConnect4) {
  for (int moves = 1; moves <= 3; ++moves) {
    ExpectFindsForcedWins(Connect4(), moves, 3000, 4);
  }
}

TEST(SearchTest, BlocksAnImmediateThreat) {
  for (const Game* game : {&TicTacToe(), &Connect4()}) {
    auto positions = SingleBlockPositions(*game, 6, 7);
    ASSERT_GE(positions.size(), 3u);
    auto evaluator = *RolloutEvaluator::Create(*game, 4, 1);
    for (const auto& position : positions) {
      auto search = MakeSearch(*game, evaluator.get(), Params(1000));
      ASSERT_TRUE(search->SetPosition(*position).ok());
      SearchResult result = *search->Run();
      std::unique_ptr<State> after = position->Clone();
      after->Apply(result.best_action);
      EXPECT_TRUE(after->IsTerminal() || !testing::ForcedWin(*after, 1))
          << game->Name() << ": threat not blocked in\n"
          << position->ToString();
    }
  }
}

}  // namespace
}  // namespace az::engine
