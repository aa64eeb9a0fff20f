// MCTS-solver on hand-built trees whose proven values are known.
#include <memory>
#include <set>

#include "engine/evaluators.h"
#include "engine/search.h"
#include "gtest/gtest.h"
#include "tests/engine/tree_game.h"

namespace az::engine {
namespace {

using az::testing::TreeGame;
using az::testing::TreeState;

SearchResult SearchTree(const TreeGame& game, int sims,
                        bool stop_when_proven = true,
                        Evaluator* evaluator = nullptr) {
  UniformEvaluator uniform(game);
  SearchParams params;
  params.num_simulations = sims;
  params.stop_when_proven = stop_when_proven;
  auto search = Search::Create(game, evaluator ? evaluator : &uniform, params);
  EXPECT_TRUE(search.ok()) << search.status();
  auto result = (*search)->Run();
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

TEST(ProvenTest, AWinningMoveProvesTheRoot) {
  TreeGame game("(S F S)");
  SearchResult r = SearchTree(game, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_win());
  EXPECT_EQ(r.exact->plies_to_end(), 1);
  EXPECT_EQ(r.best_action, 1);
  EXPECT_TRUE(r.stopped_proven);
  EXPECT_LT(r.simulations, 1000);
  ASSERT_TRUE(r.moves[1].proven.has_value());
  EXPECT_TRUE(r.moves[1].proven->reward().is_win());
}

TEST(ProvenTest, EveryMoveLosingProvesALoss) {
  // Whatever the first player does, the second wins at once.
  TreeGame game("((S F) (D S))");
  SearchResult r = SearchTree(game, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_loss());
  EXPECT_EQ(r.exact->plies_to_end(), 2);
  EXPECT_TRUE(r.moves[0].proven->reward().is_loss());
  EXPECT_TRUE(r.moves[1].proven->reward().is_loss());
}

TEST(ProvenTest, AllDrawsProveADraw) {
  SearchResult r = SearchTree(TreeGame("(D D D)"), 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_draw());
  // Every move ends the game, which the root's expansion sees at once: the
  // one visit backs up the proven draw, not the evaluator's estimate.
  EXPECT_EQ(r.root_visits, 1);
  EXPECT_EQ(r.reward_visits, 1);
}

TEST(ProvenTest, TheDrawIsChosenOverAProvenLoss) {
  // Move 2 lets the second player win (by choosing S), so only the draw
  // holds.
  TreeGame game("(D ((F S) S))");
  SearchResult r = SearchTree(game, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_draw());
  EXPECT_EQ(r.best_action, 0);
  EXPECT_TRUE(r.moves[1].proven->reward().is_loss());
}

TEST(ProvenTest, UnresolvedSubtreesLeaveTheRootOpen) {
  // A deep line that the search cannot finish in 4 simulations.
  TreeGame game(
      "(S ((((D D) (D D)) ((D D) (D D))) (((D D) (D D)) ((D D) (D D)))))");
  SearchResult r = SearchTree(game, 4);
  EXPECT_FALSE(r.proven());
  EXPECT_EQ(r.best_action, 1);  // the other move loses at once
  ASSERT_TRUE(r.moves[0].proven.has_value());
  EXPECT_TRUE(r.moves[0].proven->reward().is_loss());
}

TEST(ProvenTest, PrefersTheFastestWin) {
  // Move 1 wins in 3 plies, move 2 at once. Move 1 comes first in the
  // tree, so a search that stopped at its first proof would play it.
  TreeGame game("(((F F) (F F)) F)");
  SearchResult r = SearchTree(game, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_EQ(r.exact->plies_to_end(), 1);
  EXPECT_EQ(r.best_action, 1);
  EXPECT_EQ(r.principal_variation, std::vector<Action>{1});
}

TEST(ProvenTest, PrefersTheSlowestLoss) {
  // Move 1 loses at once; move 2 loses in 4 plies.
  TreeGame game("((S S) (((S))))");
  SearchResult r = SearchTree(game, 1000);
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_loss());
  EXPECT_EQ(r.exact->plies_to_end(), 4);
  EXPECT_EQ(r.best_action, 1);
}

// Records which positions were evaluated.
class RecordingEvaluator : public Evaluator {
 public:
  explicit RecordingEvaluator(const Game& game) : inner_(game) {}
  std::string Name() const override { return "recording"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override {
    for (const State* s : states) {
      evaluated.insert(static_cast<const TreeState*>(s)->id());
      ++calls;
    }
    return inner_.Evaluate(states, priors, results);
  }
  std::multiset<int> evaluated;
  int calls = 0;

 private:
  UniformEvaluator inner_;
};

TEST(ProvenTest, NoVisitsAreWastedBelowAProvenNode) {
  // Move 1 is a proven draw after two plies; move 2 is a long unresolved
  // line with value 0, so the search keeps visiting both.
  TreeGame game("(((D D) (D D)) ((((((((D D))))))) (((((((D D)))))))))");
  RecordingEvaluator evaluator(game);
  SearchResult r =
      SearchTree(game, 2000, /*stop_when_proven=*/false, &evaluator);
  ASSERT_TRUE(r.moves[0].proven.has_value());
  EXPECT_TRUE(r.moves[0].proven->reward().is_draw());
  // Move 1's subtree holds 3 non-terminal positions, each evaluated once;
  // after its proof its many visits back up the draw itself.
  int below_move1 = 0;
  for (int id : evaluator.evaluated) below_move1 += id >= 1 && id <= 7;
  EXPECT_LE(below_move1, 3);
  EXPECT_GT(r.moves[0].visits, 100);
  // No position is ever evaluated twice.
  for (int id : evaluator.evaluated)
    EXPECT_EQ(evaluator.evaluated.count(id), 1u);
  // Those proven visits are grounded in rewards.
  EXPECT_GT(r.reward_visits, 100);
}

TEST(ProvenTest, ResultSaysWhatIsGroundedInRewards) {
  // The root's first move ends the game: every visit there backs up the
  // terminal reward; the other goes to an evaluated position.
  TreeGame game("(D ((D D) (D D)))");
  SearchResult r = SearchTree(game, 10, /*stop_when_proven=*/false);
  EXPECT_EQ(r.root_visits, r.reward_visits + r.value_visits);
  EXPECT_GT(r.reward_visits, 0);
  EXPECT_GT(r.value_visits, 0);
}

}  // namespace
}  // namespace az::engine
