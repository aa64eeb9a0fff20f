#include "engine/evaluation_cache.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "engine/evaluators.h"
#include "engine/search.h"
#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::engine {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }

// Counts the positions that reach the wrapped evaluator.
class CountingEvaluator : public Evaluator {
 public:
  explicit CountingEvaluator(std::unique_ptr<Evaluator> inner)
      : inner_(std::move(inner)) {}
  std::string Name() const override { return "counting"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override {
    evaluated += states.size();
    ++calls;
    if (fail) return absl::InternalError("inner failure");
    return inner_->Evaluate(states, priors, results);
  }
  int evaluated = 0;
  int calls = 0;
  bool fail = false;

 private:
  std::unique_ptr<Evaluator> inner_;
};

// A cache around a CountingEvaluator around `inner`; the cache owns both,
// and `counting` is left pointing at the counter.
std::unique_ptr<CachingEvaluator> CountedCache(std::unique_ptr<Evaluator> inner,
                                               int64_t capacity,
                                               CountingEvaluator** counting) {
  auto counter = std::make_unique<CountingEvaluator>(std::move(inner));
  *counting = counter.get();
  return std::make_unique<CachingEvaluator>(std::move(counter), 7, capacity);
}

TEST(CachingEvaluatorTest, SecondLookupIsAHitWithIdenticalValues) {
  CountingEvaluator* counting = nullptr;
  auto owned = CountedCache(*RolloutEvaluator::Create(Connect4(), 4, 1), 1000,
                            &counting);
  CachingEvaluator& cache = *owned;
  auto a = *Connect4().NewStateFromMoves("44");
  auto b = *Connect4().NewStateFromMoves("45");
  const State* states[] = {a.get(), b.get()};
  std::vector<float> p1(14), p2(14);
  std::vector<LeafEvaluation> r1(2), r2(2);
  ASSERT_TRUE(
      cache.Evaluate(states, absl::MakeSpan(p1), absl::MakeSpan(r1)).ok());
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.hits(), 0u);
  ASSERT_TRUE(
      cache.Evaluate(states, absl::MakeSpan(p2), absl::MakeSpan(r2)).ok());
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(counting->evaluated, 2);
  EXPECT_EQ(p1, p2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(r1[i].value.win, r2[i].value.win);
    EXPECT_EQ(r1[i].value.loss, r2[i].value.loss);
  }
  // A batch mixing hits and misses sends only the misses on.
  auto c = *Connect4().NewStateFromMoves("46");
  const State* mixed[] = {a.get(), c.get()};
  ASSERT_TRUE(
      cache.Evaluate(mixed, absl::MakeSpan(p2), absl::MakeSpan(r2)).ok());
  EXPECT_EQ(counting->evaluated, 3);
  EXPECT_EQ(counting->calls, 2);
  EXPECT_EQ(cache.Name(), "counting+cache");
}

TEST(CachingEvaluatorTest, KeepsExactValues) {
  CachingEvaluator cache(*SolverEvaluator::Create(**FindGame("tictactoe")), 9,
                         100);
  auto s = *(*FindGame("tictactoe"))->NewStateFromMoves("1259");
  const State* states[] = {s.get()};
  std::vector<float> p(9);
  std::vector<LeafEvaluation> r(1);
  ASSERT_TRUE(
      cache.Evaluate(states, absl::MakeSpan(p), absl::MakeSpan(r)).ok());
  ASSERT_TRUE(
      cache.Evaluate(states, absl::MakeSpan(p), absl::MakeSpan(r)).ok());
  EXPECT_EQ(cache.hits(), 1u);
  ASSERT_TRUE(r[0].exact.has_value());
  EXPECT_TRUE(r[0].exact->reward.is_win());
}

TEST(CachingEvaluatorTest, MemoryIsBounded) {
  CachingEvaluator cache(std::make_unique<UniformEvaluator>(Connect4()), 7,
                         256);
  EXPECT_EQ(cache.capacity(), 256);
  // Thousands of distinct positions: the cache holds at most its capacity.
  base::Rng rng(3);
  std::vector<float> p(7);
  std::vector<LeafEvaluation> r(1);
  for (int g = 0; g < 300; ++g) {
    auto s = Connect4().NewInitialState();
    while (!s->IsTerminal()) {
      const State* states[] = {s.get()};
      ASSERT_TRUE(
          cache.Evaluate(states, absl::MakeSpan(p), absl::MakeSpan(r)).ok());
      std::vector<Action> legal = s->LegalActions();
      s->Apply(legal[rng.Below(legal.size())]);
    }
  }
  EXPECT_LE(cache.size(), 256);
  EXPECT_GT(cache.size(), 200);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0);
  EXPECT_EQ(cache.hits() + cache.misses(), 0u);
}

TEST(CachingEvaluatorTest, InnerErrorsPassThroughAndAreNotCached) {
  CountingEvaluator* counting = nullptr;
  auto owned = CountedCache(std::make_unique<UniformEvaluator>(Connect4()), 100,
                            &counting);
  CachingEvaluator& cache = *owned;
  auto s = Connect4().NewInitialState();
  const State* states[] = {s.get()};
  std::vector<float> p(7);
  std::vector<LeafEvaluation> r(1);
  counting->fail = true;
  EXPECT_EQ(cache.Evaluate(states, absl::MakeSpan(p), absl::MakeSpan(r)).code(),
            absl::StatusCode::kInternal);
  counting->fail = false;
  ASSERT_TRUE(
      cache.Evaluate(states, absl::MakeSpan(p), absl::MakeSpan(r)).ok());
  EXPECT_EQ(counting->evaluated, 2);
}

// Weights that change under the cache: a value per version, as a network
// hot swapped by training would give.
class VersionedEvaluator : public Evaluator {
 public:
  std::string Name() const override { return "versioned"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override {
    std::fill(priors.begin(), priors.end(), 1.0f / 7);
    for (size_t i = 0; i < states.size(); ++i) {
      results[i].value = ValueEstimate::FromScalar(0.1f * version);
      results[i].weights_version = version;
    }
    evaluated += states.size();
    return absl::OkStatus();
  }
  int64_t version = 1;
  int evaluated = 0;
};

TEST(CachingEvaluatorTest, NewWeightsRetireTheOldEntries) {
  VersionedEvaluator weights;  // not owned by the cache
  CachingEvaluator cache(&weights, 7, 1000);
  auto a = *Connect4().NewStateFromMoves("44");
  auto b = *Connect4().NewStateFromMoves("45");
  std::vector<float> p(7);
  std::vector<LeafEvaluation> r(1);
  auto evaluate = [&](const State& s) {
    const State* states[] = {&s};
    EXPECT_TRUE(
        cache.Evaluate(states, absl::MakeSpan(p), absl::MakeSpan(r)).ok());
    return r[0];
  };
  evaluate(*a);
  EXPECT_EQ(evaluate(*a).weights_version, 1);
  EXPECT_EQ(weights.evaluated, 1);
  // The swap shows with the first evaluation of the new weights; from then
  // on a's old entry no longer answers, and its new value replaces it.
  weights.version = 2;
  EXPECT_EQ(evaluate(*b).weights_version, 2);
  LeafEvaluation fresh = evaluate(*a);
  EXPECT_EQ(fresh.weights_version, 2);
  EXPECT_FLOAT_EQ(fresh.value.Scalar(), 0.2f);
  EXPECT_EQ(weights.evaluated, 3);
  EXPECT_EQ(evaluate(*a).weights_version, 2);
  EXPECT_EQ(weights.evaluated, 3);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_DOUBLE_EQ(cache.hit_rate(), 2.0 / 5.0);
}

TEST(CachingEvaluatorTest, ASearchThroughTheCacheGivesTheSameResult) {
  // The same playouts, once bare and once behind the cache.
  auto bare = *RolloutEvaluator::Create(Connect4(), 2, 8);
  CachingEvaluator cache(*RolloutEvaluator::Create(Connect4(), 2, 8), 7,
                         100000);
  SearchParams params;
  params.num_simulations = 2000;
  auto plain = *Search::Create(Connect4(), bare.get(), params);
  auto cached = *Search::Create(Connect4(), &cache, params);
  SearchResult a = *plain->Run();
  SearchResult b = *cached->Run();
  EXPECT_EQ(a.policy, b.policy);
  EXPECT_EQ(a.q, b.q);
  // Transpositions within one search are already hits.
  EXPECT_GT(cache.hits(), 0u);
  // Searching the same position again costs no evaluation.
  uint64_t misses = cache.misses();
  auto again = *Search::Create(Connect4(), &cache, params);
  EXPECT_EQ(again->Run()->policy, a.policy);
  EXPECT_EQ(cache.misses(), misses);
}

}  // namespace
}  // namespace az::engine
