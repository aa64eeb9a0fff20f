#include "engine/node.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace az::engine {

ProvenValue ProvenValue::Terminal(TerminalReward reward) {
  DCHECK(reward.is_ternary()) << "a graded payoff cannot be proven: "
                              << reward.ToString();
  const int sign = reward.is_win() ? 1 : reward.is_loss() ? -1 : 0;
  return ProvenValue(static_cast<int16_t>(sign * kKnownBase));
}

ProvenValue ProvenValue::Exact(ExactValue value) {
  if (value.reward.is_draw()) return ProvenValue(0);
  int magnitude = 1 + std::min(std::abs(value.score), kMaxScore);
  return ProvenValue(
      static_cast<int16_t>(value.reward.is_win() ? magnitude : -magnitude));
}

ProvenValue ProvenValue::ForParent() const {
  int rank = -rank_;
  int magnitude = std::abs(rank);
  if (magnitude > kKnownBase - kMaxKnownPlies) {
    // One ply further from the end; a distance beyond the packing's range
    // stays at its largest value.
    rank += rank > 0 ? -1 : 1;
  }
  return ProvenValue(static_cast<int16_t>(rank));
}

TerminalReward ProvenValue::reward() const {
  return rank_ > 0   ? TerminalReward::Win()
         : rank_ < 0 ? TerminalReward::Loss()
                     : TerminalReward::Draw();
}

std::optional<int> ProvenValue::plies_to_end() const {
  int magnitude = std::abs(rank_);
  if (magnitude >= kKnownBase - kMaxKnownPlies) return kKnownBase - magnitude;
  return std::nullopt;
}

std::optional<int> ProvenValue::score() const {
  if (rank_ == 0) return 0;
  int magnitude = std::abs(rank_);
  if (magnitude >= kKnownBase - kMaxKnownPlies) return std::nullopt;
  return rank_ > 0 ? magnitude - 1 : -(magnitude - 1);
}

std::string ProvenValue::ToString() const {
  std::string out = reward().ToString();
  if (rank_ == 0) return out;
  if (std::optional<int> plies = plies_to_end()) {
    absl::StrAppend(&out, " in ", *plies, *plies == 1 ? " ply" : " plies");
  } else if (std::optional<int> s = score()) {
    absl::StrAppend(&out, " (score ", *s, ")");
  }
  return out;
}

void Node::CopyStatsFrom(const Node& other) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  visits.store(other.visits.load(kRelaxed), kRelaxed);
  virtual_loss.store(0, kRelaxed);
  value_sum.store(other.value_sum.load(kRelaxed), kRelaxed);
  grounded_visits.store(other.grounded_visits.load(kRelaxed), kRelaxed);
  prior = other.prior;
  raw_value = other.raw_value;
  proven_rank.store(other.proven_rank.load(kRelaxed), kRelaxed);
  action = other.action;
  num_children = other.num_children;
  // A node caught mid-expansion is copied as unexpanded: it has no children
  // yet, and its evaluation will never arrive in the copy.
  NodeState s = other.state.load(std::memory_order_acquire);
  state.store(s == NodeState::kExpanding ? NodeState::kUnexpanded : s,
              kRelaxed);
  if (s != NodeState::kExpanded) num_children = 0;
}

NodeArena::NodeArena(int64_t max_nodes)
    : max_chunks_(static_cast<int>((max_nodes + kChunkSize - 1) / kChunkSize) +
                  1),
      chunks_(new std::atomic<Node*>[max_chunks_]) {
  for (int i = 0; i < max_chunks_; ++i) chunks_[i].store(nullptr);
}

NodeArena::~NodeArena() {
  for (int i = 0; i < allocated_chunks_; ++i) {
    std::free(chunks_[i].load(std::memory_order_relaxed));
  }
}

uint32_t NodeArena::AllocateLocked(int n) {
  CHECK(n >= 1 && static_cast<uint32_t>(n) <= kChunkSize) << n;
  uint64_t start = next_.load(std::memory_order_relaxed);
  // Children are contiguous: skip the tail of a chunk that cannot hold them.
  uint64_t chunk_end = (start | (kChunkSize - 1)) + 1;
  if (start + n > chunk_end) start = chunk_end;
  uint64_t chunk = start >> kChunkBits;
  if (chunk >= static_cast<uint64_t>(max_chunks_)) return kFull;
  while (static_cast<uint64_t>(allocated_chunks_) <= chunk) {
    // Nodes are plain data behind their atomics; Init() sets every field
    // before use, so raw storage is enough.
    auto* nodes = static_cast<Node*>(std::malloc(kChunkSize * sizeof(Node)));
    CHECK(nodes != nullptr) << "out of memory for the search tree";
    for (uint32_t i = 0; i < kChunkSize; ++i) new (&nodes[i]) Node;
    chunks_[allocated_chunks_].store(nodes, std::memory_order_release);
    ++allocated_chunks_;
  }
  next_.store(start + n, std::memory_order_relaxed);
  return static_cast<uint32_t>(start);
}

}  // namespace az::engine
