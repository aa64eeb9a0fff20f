#include "engine/evaluation_cache.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/evaluators.h"
#include "base/hash.h"

namespace az::engine {

CachingEvaluator::CachingEvaluator(std::unique_ptr<Evaluator> inner,
                                   int num_actions, int64_t capacity)
    : CachingEvaluator(inner.get(), num_actions, capacity) {
  owned_ = std::move(inner);
}

CachingEvaluator::CachingEvaluator(Evaluator* inner, int num_actions,
                                   int64_t capacity)
    : inner_(inner),
      num_actions_(num_actions),
      num_sets_(std::max<int64_t>(16, (capacity + kWays - 1) / kWays)),
      entries_(num_sets_ * kWays),
      priors_(num_sets_ * kWays * num_actions),
      shards_(new Shard[kShards]) {}

CachingEvaluator::~CachingEvaluator() = default;

std::string CachingEvaluator::Name() const {
  return absl::StrCat(inner_->Name(), "+cache");
}

int64_t CachingEvaluator::SetOf(uint64_t key) const {
  // Position hashes are well mixed already; mixing once more keeps a weak
  // game hash from crowding a few sets.
  return static_cast<int64_t>(base::MixBits(key) % static_cast<uint64_t>(num_sets_));
}

bool CachingEvaluator::Lookup(uint64_t key, float* priors,
                              LeafEvaluation* result) {
  int64_t set = SetOf(key);
  Shard& shard = ShardOf(set);
  const int64_t newest = newest_version_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(shard.mutex);
  for (int w = 0; w < kWays; ++w) {
    int64_t index = set * kWays + w;
    Entry& entry = entries_[index];
    if (entry.last_used == 0 || entry.key != key) continue;
    // Values of replaced weights: the slot is reused by the next Insert.
    if (entry.evaluation.weights_version != newest) return false;
    entry.last_used = ++shard.clock;
    std::memcpy(priors, &priors_[index * num_actions_],
                sizeof(float) * num_actions_);
    *result = entry.evaluation;
    return true;
  }
  return false;
}

void CachingEvaluator::Insert(uint64_t key, const float* priors,
                              const LeafEvaluation& evaluation) {
  int64_t set = SetOf(key);
  Shard& shard = ShardOf(set);
  std::lock_guard<std::mutex> lock(shard.mutex);
  int64_t victim = set * kWays;
  for (int w = 0; w < kWays; ++w) {
    int64_t index = set * kWays + w;
    const Entry& entry = entries_[index];
    if (entry.last_used != 0 && entry.key == key) {
      // Another thread stored it meanwhile (the same values), or older
      // weights did: either way this slot is the one to overwrite.
      victim = index;
      break;
    }
    if (entry.last_used < entries_[victim].last_used) victim = index;
  }
  Entry& entry = entries_[victim];
  entry.key = key;
  entry.last_used = ++shard.clock;
  entry.evaluation = evaluation;
  std::memcpy(&priors_[victim * num_actions_], priors,
              sizeof(float) * num_actions_);
}

absl::Status CachingEvaluator::Evaluate(absl::Span<const State* const> states,
                                        absl::Span<float> priors,
                                        absl::Span<LeafEvaluation> results) {
  RETURN_IF_ERROR(CheckEvaluateBuffers(states.size(), num_actions_,
                                       priors.size(), results.size()));
  // Positions not in the cache go to the wrapped evaluator in one batch.
  std::vector<size_t> missing;
  std::vector<uint64_t> keys;
  std::vector<const State*> miss_states;
  std::vector<float> miss_priors;
  std::vector<LeafEvaluation> miss_results;
  for (size_t i = 0; i < states.size(); ++i) {
    uint64_t key = states[i]->Hash();
    if (Lookup(key, priors.data() + i * num_actions_, &results[i])) continue;
    missing.push_back(i);
    keys.push_back(key);
    miss_states.push_back(states[i]);
  }
  hits_.fetch_add(states.size() - missing.size(), std::memory_order_relaxed);
  misses_.fetch_add(missing.size(), std::memory_order_relaxed);
  if (missing.empty()) return absl::OkStatus();
  miss_priors.resize(missing.size() * num_actions_);
  miss_results.resize(missing.size());
  RETURN_IF_ERROR(inner_->Evaluate(absl::MakeConstSpan(miss_states),
                                   absl::MakeSpan(miss_priors),
                                   absl::MakeSpan(miss_results)));
  int64_t newest = newest_version_.load(std::memory_order_relaxed);
  for (const LeafEvaluation& r : miss_results) {
    while (r.weights_version > newest &&
           !newest_version_.compare_exchange_weak(newest, r.weights_version,
                                                  std::memory_order_relaxed)) {
    }
  }
  for (size_t j = 0; j < missing.size(); ++j) {
    const float* p = &miss_priors[j * num_actions_];
    std::copy(p, p + num_actions_, priors.data() + missing[j] * num_actions_);
    results[missing[j]] = miss_results[j];
    Insert(keys[j], p, miss_results[j]);
  }
  return absl::OkStatus();
}

double CachingEvaluator::hit_rate() const {
  const uint64_t h = hits(), lookups = h + misses();
  return lookups > 0 ? static_cast<double>(h) / lookups : 0.0;
}

int64_t CachingEvaluator::size() const {
  int64_t used = 0;
  for (int s = 0; s < kShards; ++s) {
    std::lock_guard<std::mutex> lock(shards_[s].mutex);
    for (int64_t set = s; set < num_sets_; set += kShards) {
      for (int w = 0; w < kWays; ++w) {
        used += entries_[set * kWays + w].last_used != 0;
      }
    }
  }
  return used;
}

void CachingEvaluator::Clear() {
  for (int s = 0; s < kShards; ++s) {
    std::lock_guard<std::mutex> lock(shards_[s].mutex);
    for (int64_t set = s; set < num_sets_; set += kShards) {
      for (int w = 0; w < kWays; ++w) entries_[set * kWays + w] = Entry{};
    }
  }
  hits_.store(0, std::memory_order_relaxed);
  misses_.store(0, std::memory_order_relaxed);
}

}  // namespace az::engine
