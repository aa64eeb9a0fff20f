// Single-game mode (several threads on one tree, virtual loss) and several
// self-play drivers on separate threads. Run under ThreadSanitizer by the
// tsan preset.
#include <atomic>
#include <memory>
#include <numeric>
#include <thread>

#include "engine/evaluation_cache.h"
#include "engine/evaluators.h"
#include "engine/multi_game_search.h"
#include "engine/search.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/engine/search_test_util.h"

namespace az::engine {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }
const Game& TicTacToe() { return **FindGame("tictactoe"); }

SearchParams Threaded(int sims, int threads) {
  SearchParams params;
  params.num_simulations = sims;
  params.num_threads = threads;
  return params;
}

TEST(SearchThreadsTest, VisitsAddUpWithSeveralThreads) {
  auto rollout = *RolloutEvaluator::Create(Connect4(), 1, 2);
  auto search = *Search::Create(Connect4(), rollout.get(), Threaded(4000, 4));
  SearchResult r = *search->Run();
  EXPECT_EQ(r.simulations, 4000);
  EXPECT_EQ(r.root_visits, 4000);
  int child_visits = 0;
  for (const MoveStats& m : r.moves) child_visits += m.visits;
  EXPECT_EQ(child_visits, 3999);
  float total = std::accumulate(r.policy.begin(), r.policy.end(), 0.0f);
  EXPECT_NEAR(total, 1.0f, 1e-5);
  // Tree reuse works after a threaded search, and the next one adds to it.
  int kept = 0;
  for (const MoveStats& m : r.moves) {
    if (m.action == r.best_action) kept = m.visits;
  }
  ASSERT_TRUE(search->ApplyMove(r.best_action).ok());
  EXPECT_EQ(search->Run()->root_visits, kept + 4000);
}

TEST(SearchThreadsTest, ThreadsSolveTicTacToe) {
  // After a corner opening the game tree is small enough for the threads
  // to prove the draw together.
  UniformEvaluator uniform(TicTacToe());
  auto search = *Search::Create(TicTacToe(), &uniform, Threaded(200000, 3));
  ASSERT_TRUE(search->SetPosition(**TicTacToe().NewStateFromMoves("1")).ok());
  SearchResult r = *search->Run();
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_draw());
  EXPECT_TRUE(r.stopped_proven);
}

TEST(SearchThreadsTest, ThreadsFindAWinInTwoAndBlockThreats) {
  auto rollout = *RolloutEvaluator::Create(Connect4(), 4, 1);
  for (const auto& position :
       testing::ForcedWinPositions(Connect4(), 2, 4, 17)) {
    auto search = *Search::Create(Connect4(), rollout.get(), Threaded(3000, 4));
    ASSERT_TRUE(search->SetPosition(*position).ok());
    SearchResult r = *search->Run();
    EXPECT_TRUE(testing::IsWinningMove(*position, r.best_action, 3))
        << position->ToString();
    EXPECT_TRUE(r.proven());
  }
  for (const auto& position :
       testing::SingleBlockPositions(Connect4(), 4, 23)) {
    auto search = *Search::Create(Connect4(), rollout.get(), Threaded(1000, 4));
    ASSERT_TRUE(search->SetPosition(*position).ok());
    SearchResult r = *search->Run();
    std::unique_ptr<State> after = position->Clone();
    after->Apply(r.best_action);
    EXPECT_TRUE(after->IsTerminal() || !testing::ForcedWin(*after, 1));
  }
}

TEST(SearchThreadsTest, SolverEvaluatorFromSeveralThreads) {
  auto solver = *SolverEvaluator::Create(TicTacToe());
  auto search = *Search::Create(TicTacToe(), solver.get(), Threaded(500, 4));
  ASSERT_TRUE(
      search->SetPosition(**TicTacToe().NewStateFromMoves("1259")).ok());
  SearchResult r = *search->Run();
  ASSERT_TRUE(r.proven());
  EXPECT_TRUE(r.exact->reward().is_win());
  EXPECT_TRUE(r.best_action == 3 || r.best_action == 6);
}

// Fails from some call on, from whichever thread makes it.
class FlakyEvaluator : public Evaluator {
 public:
  explicit FlakyEvaluator(const Game& game) : inner_(game) {}
  std::string Name() const override { return "flaky"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override {
    if (calls_.fetch_add(1) >= 300) return absl::UnavailableError("gone");
    return inner_.Evaluate(states, priors, results);
  }

 private:
  UniformEvaluator inner_;
  std::atomic<int> calls_{0};
};

TEST(SearchThreadsTest, AnEvaluatorErrorStopsEveryThread) {
  FlakyEvaluator flaky(Connect4());
  auto search = *Search::Create(Connect4(), &flaky, Threaded(5000, 4));
  EXPECT_EQ(search->Run().status().code(), absl::StatusCode::kUnavailable);
}

TEST(SearchThreadsTest, SelfPlayDriversShareOneEvaluator) {
  CachingEvaluator cache(*RolloutEvaluator::Create(Connect4(), 1, 6), 7, 50000);
  SearchParams params = DefaultSearchParams(Connect4());
  params.num_simulations = 100;
  params.root_noise = true;
  constexpr int kDrivers = 3;
  std::vector<std::unique_ptr<MultiGameSearch>> drivers;
  for (int d = 0; d < kDrivers; ++d) {
    params.seed = 1000 * d;
    drivers.push_back(*MultiGameSearch::Create(Connect4(), &cache, params, 8));
  }
  std::vector<absl::Status> statuses(kDrivers);
  std::vector<std::thread> threads;
  for (int d = 0; d < kDrivers; ++d) {
    threads.emplace_back([&, d] {
      MultiGameSearch& driver = *drivers[d];
      for (int move = 0; move < 4 && statuses[d].ok(); ++move) {
        statuses[d] = driver.RunSearches();
        for (int g = 0; g < driver.num_games(); ++g) {
          Search& s = driver.search(g);
          if (s.root_state().IsTerminal()) continue;
          statuses[d].Update(s.ApplyMove(s.ChooseMove(s.Result())));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : statuses) EXPECT_TRUE(s.ok()) << s;
  for (const auto& driver : drivers) {
    for (int g = 0; g < driver->num_games(); ++g) {
      EXPECT_EQ(driver->search(g).root_state().MoveNumber(), 4);
    }
  }
  EXPECT_GT(cache.hits(), 0u);
}

}  // namespace
}  // namespace az::engine
