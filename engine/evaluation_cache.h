// An evaluation cache: a decorator around any Evaluator that remembers
// evaluations by position hash, so that transpositions and searches of the
// same position again do not pay for them twice.
//
// Memory is bounded: a fixed number of entries in a set-associative table
// (4 ways per set, least recently used way replaced), split into shards
// with one mutex each so that threads rarely wait for one another. It never
// changes a result except by returning the very values the wrapped
// evaluator gave for the same position.
//
// Weights that change under it (an inference server whose weights are hot
// swapped during training) retire the old entries: an entry answers only
// while its weights_version is the newest the wrapped evaluator has
// returned, so no search is ever fed the values of weights it has already
// replaced, apart from the batch in flight at the swap.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/evaluator.h"

namespace az::engine {

class CachingEvaluator final : public Evaluator {
 public:
  // Wraps `inner` (owned: the cache is the evaluator its callers hold) for
  // a game with `num_actions` actions, holding at most about `capacity`
  // entries (rounded up to a multiple of the associativity; at least 64).
  CachingEvaluator(std::unique_ptr<Evaluator> inner, int num_actions,
                   int64_t capacity);
  // The same around an evaluator it does not own, which must outlive it.
  CachingEvaluator(Evaluator* inner, int num_actions, int64_t capacity);
  ~CachingEvaluator() override;

  std::string Name() const override;
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override;

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  // hits / (hits + misses); 0 before the first lookup.
  double hit_rate() const;
  int64_t capacity() const { return num_sets_ * kWays; }
  // Entries in use.
  int64_t size() const;
  // Forgets every entry (the counters too).
  void Clear();

 private:
  static constexpr int kWays = 4;
  static constexpr int kShards = 64;

  struct Entry {
    uint64_t key = 0;
    uint64_t last_used = 0;  // 0: empty
    LeafEvaluation evaluation;
  };
  struct Shard {
    std::mutex mutex;
    uint64_t clock = 0;
  };

  // Copies the entry for `key` into the outputs; false if absent.
  bool Lookup(uint64_t key, float* priors, LeafEvaluation* result);
  void Insert(uint64_t key, const float* priors,
              const LeafEvaluation& evaluation);
  int64_t SetOf(uint64_t key) const;
  Shard& ShardOf(int64_t set) { return shards_[set % kShards]; }

  std::unique_ptr<Evaluator> owned_;  // null when the caller owns inner_
  Evaluator* inner_;
  int num_actions_;
  int64_t num_sets_;
  std::vector<Entry> entries_;  // num_sets_ * kWays
  std::vector<float> priors_;   // one row of num_actions_ per entry
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  // The newest weights_version the wrapped evaluator has returned.
  std::atomic<int64_t> newest_version_{0};
};

}  // namespace az::engine
