// The evaluation cache under concurrent use (run under ThreadSanitizer by
// the tsan preset).
#include <memory>
#include <thread>

#include "engine/evaluation_cache.h"
#include "engine/evaluators.h"
#include "base/random.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::engine {
namespace {

TEST(EvaluationCacheThreadsTest, ConcurrentCallsGetTheInnerValues) {
  const Game& game = **FindGame("connect4");
  // The same playouts, bare and (small enough that threads keep evicting
  // each other's entries) behind the cache.
  auto rollout = *RolloutEvaluator::Create(game, 2, 5);
  CachingEvaluator cache(*RolloutEvaluator::Create(game, 2, 5), 7, 512);
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      base::Rng rng(t % 2);  // pairs of threads walk the same games
      std::vector<float> cached(7 * 2), direct(7 * 2);
      std::vector<LeafEvaluation> rc(2), rd(2);
      for (int g = 0; g < 150; ++g) {
        auto s = game.NewInitialState();
        auto prev = game.NewInitialState();
        while (!s->IsTerminal()) {
          const State* states[] = {s.get(), prev.get()};
          ASSERT_TRUE(
              cache.Evaluate(states, absl::MakeSpan(cached), absl::MakeSpan(rc))
                  .ok());
          ASSERT_TRUE(
              rollout
                  ->Evaluate(states, absl::MakeSpan(direct), absl::MakeSpan(rd))
                  .ok());
          for (int i = 0; i < 2; ++i) {
            mismatches[t] += rc[i].value.win != rd[i].value.win ||
                             rc[i].value.loss != rd[i].value.loss;
          }
          mismatches[t] += cached != direct;
          prev->CopyFrom(*s);
          std::vector<Action> legal = s->LegalActions();
          s->Apply(legal[rng.Below(legal.size())]);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
  EXPECT_GT(cache.hits(), 0u);
  EXPECT_LE(cache.size(), cache.capacity());
}

}  // namespace
}  // namespace az::engine
