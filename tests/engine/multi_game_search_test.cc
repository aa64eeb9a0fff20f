#include "engine/multi_game_search.h"

#include <cmath>
#include <memory>

#include "engine/evaluators.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::engine {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }

// Counts batches and their sizes.
class BatchRecorder : public Evaluator {
 public:
  explicit BatchRecorder(Evaluator* inner) : inner_(inner) {}
  std::string Name() const override { return "recorder"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override {
    batch_sizes.push_back(states.size());
    return inner_->Evaluate(states, priors, results);
  }
  std::vector<size_t> batch_sizes;

 private:
  Evaluator* inner_;
};

std::string Opening(int i) {
  const char* openings[] = {"", "4", "44", "43", "1", "7", "4455", "3344"};
  return openings[i % 8];
}

TEST(MultiGameSearchTest, EachGameGetsWhatItWouldGetAlone) {
  constexpr int kGames = 24;
  auto rollout = *RolloutEvaluator::Create(Connect4(), 1, 4);
  BatchRecorder recorder(rollout.get());
  SearchParams params = DefaultSearchParams(Connect4());
  params.num_simulations = 200;
  params.root_noise = true;
  auto multi = *MultiGameSearch::Create(Connect4(), &recorder, params, kGames);
  for (int i = 0; i < kGames; ++i) {
    ASSERT_TRUE(multi->search(i)
                    .SetPosition(**Connect4().NewStateFromMoves(Opening(i)))
                    .ok());
  }
  // Three moves of self-play in every game, with tree reuse and noise.
  std::vector<std::vector<SearchResult>> batched(kGames);
  for (int move = 0; move < 3; ++move) {
    ASSERT_TRUE(multi->RunSearches().ok());
    for (int i = 0; i < kGames; ++i) {
      SearchResult r = multi->search(i).Result();
      batched[i].push_back(r);
      ASSERT_TRUE(multi->search(i).ApplyMove(r.best_action).ok());
    }
  }
  // Batches were full: the first rounds hold one leaf of every game.
  ASSERT_FALSE(recorder.batch_sizes.empty());
  EXPECT_EQ(recorder.batch_sizes[0], static_cast<size_t>(kGames));
  EXPECT_GT(multi->leaves_evaluated(), multi->rounds());

  for (int i = 0; i < kGames; ++i) {
    SearchParams alone_params = params;
    alone_params.seed = params.seed + i;
    auto alone = *Search::Create(Connect4(), rollout.get(), alone_params);
    ASSERT_TRUE(
        alone->SetPosition(**Connect4().NewStateFromMoves(Opening(i))).ok());
    for (int move = 0; move < 3; ++move) {
      SearchResult r = *alone->Run();
      const SearchResult& b = batched[i][move];
      EXPECT_EQ(r.policy, b.policy) << "game " << i << " move " << move;
      EXPECT_EQ(r.q, b.q);
      EXPECT_EQ(r.best_action, b.best_action);
      EXPECT_EQ(r.root_visits, b.root_visits);
      ASSERT_TRUE(alone->ApplyMove(r.best_action).ok());
    }
  }
}

TEST(MultiGameSearchTest, EachGameSearchesWithItsOwnBudget) {
  UniformEvaluator uniform(Connect4());
  SearchParams params = DefaultSearchParams(Connect4());
  params.num_simulations = 60;
  params.root_noise = true;
  params.reuse_tree = false;
  params.stop_when_proven = false;
  auto multi = *MultiGameSearch::Create(Connect4(), &uniform, params, 3);
  // Game 0 keeps the params' budget; game 1 gets a quick search without
  // noise; game 2 a longer one with noise.
  multi->SetBudget(1, {12, false});
  multi->SetBudget(2, {90, true});
  EXPECT_EQ(multi->budget(0).simulations, 60);
  EXPECT_TRUE(multi->budget(0).root_noise);
  EXPECT_EQ(multi->budget(1).simulations, 12);
  for (int move = 0; move < 2; ++move) {
    ASSERT_TRUE(multi->RunSearches().ok());
    const int expected[3] = {60, 12, 90};
    for (int i = 0; i < 3; ++i) {
      SearchResult r = multi->search(i).Result();
      EXPECT_EQ(r.simulations, expected[i]) << "game " << i;
      EXPECT_EQ(r.root_visits, expected[i]) << "game " << i;
      EXPECT_FALSE(r.stopped_proven);
      // The uniform prior is 1/7 for every move: noise moves it away.
      bool noisy = false;
      for (const MoveStats& m : r.moves) {
        noisy |= std::abs(m.prior - 1.0f / 7) > 1e-6f;
      }
      EXPECT_EQ(noisy, i != 1) << "game " << i << " move " << move;
      ASSERT_TRUE(multi->search(i).ApplyMove(r.best_action).ok());
    }
  }
  EXPECT_EQ(multi->leaves_evaluated(), 60 + 12 + 90);
}

TEST(MultiGameSearchTest, FinishedGamesAreSkippedAndErrorsReported) {
  UniformEvaluator uniform(Connect4());
  SearchParams params;
  params.num_simulations = 50;
  auto multi = *MultiGameSearch::Create(Connect4(), &uniform, params, 2);
  // Game 1 is played to its end; only game 0 is searched.
  Search& done = multi->search(1);
  for (Action a : {0, 1, 0, 1, 0, 1, 0}) ASSERT_TRUE(done.ApplyMove(a).ok());
  ASSERT_TRUE(done.root_state().IsTerminal());
  ASSERT_TRUE(multi->RunSearches().ok());
  EXPECT_EQ(multi->search(0).Result().root_visits, 50);
  EXPECT_EQ(multi->leaves_evaluated(), 50);

  params.num_threads = 2;
  EXPECT_FALSE(MultiGameSearch::Create(Connect4(), &uniform, params, 2).ok());
  params.num_threads = 1;
  EXPECT_FALSE(MultiGameSearch::Create(Connect4(), &uniform, params, 0).ok());
}

}  // namespace
}  // namespace az::engine
