// Storage of the search tree: what a leaf backs up (LeafValue, which keeps a
// terminal reward, an exact result and a learned estimate apart), proven
// values (MCTS-solver), compact nodes and the chunked arena that holds them.
//
// Children of a node are allocated contiguously when it is expanded, so a
// node only stores the index of its first child and their count. The arena
// grows by whole chunks, so a node's address never changes while other
// threads expand the tree.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/evaluator.h"
#include "games/reward.h"
#include "games/solver.h"

namespace az::engine {

// Where the number a simulation backs up comes from.
enum class ValueSource : uint8_t {
  // The rules: the leaf is a finished game (TerminalReward).
  kTerminalReward,
  // An exact game-theoretic value: a node proven in the tree or a position
  // the evaluator solved exactly. Grounded in the rules as well.
  kExact,
  // A learned or heuristic ValueEstimate (network, rollouts, uniform).
  kEstimate,
};

// The number one simulation backs up, for the side to move at its leaf,
// tagged with its source. Only the factories make one, so a reward can
// never pass for an estimate or the reverse.
class LeafValue {
 public:
  // The payoff of a finished game (a graded spec's may be fractional).
  static LeafValue FromReward(TerminalReward reward) {
    return LeafValue(ValueSource::kTerminalReward, reward.value());
  }
  // The exact minimax payoff of a position.
  static LeafValue FromExact(TerminalReward reward) {
    return LeafValue(ValueSource::kExact, reward.value());
  }
  static LeafValue FromEstimate(const ValueEstimate& estimate) {
    return LeafValue(ValueSource::kEstimate, estimate.Scalar());
  }

  ValueSource source() const { return source_; }
  // In [-1, 1], for the side to move at the leaf.
  float value() const { return value_; }
  // Whether the value is grounded in the rules (reward or exact result)
  // rather than estimated.
  bool grounded() const { return source_ != ValueSource::kEstimate; }

 private:
  LeafValue(ValueSource source, float value) : source_(source), value_(value) {}
  ValueSource source_;
  float value_;
};

// A game-theoretic value proven for a node's side to move, packed in 16 bits
// so that a node can hold it in one atomic. The packing is a "rank": larger
// is better for the side to move, its sign is the reward.
//  - Proven in the tree (terminal positions and values propagated from
//    them): the distance to the end of the game is known, and a sooner win
//    (a later loss) ranks higher. |rank| = kKnownBase - plies.
//  - Given by an exact evaluator: the distance is unknown; the game's own
//    score (ExactValue::score, larger = sooner win) orders these values,
//    |rank| = 1 + |score|. They rank below known wins (above known losses):
//    a win proven within the tree is at most as far as the tree is deep.
// Proofs are win/draw/loss: they apply to games whose reward spec is
// ternary (RewardSpecInfo::ternary); the search proves nothing under a
// graded spec.
class ProvenValue {
 public:
  // A finished game's ternary reward (+1, 0, -1).
  static ProvenValue Terminal(TerminalReward reward);
  static ProvenValue Exact(ExactValue value);
  static ProvenValue FromRank(int16_t rank) { return ProvenValue(rank); }

  // The same outcome for the player who moved into this position.
  ProvenValue ForParent() const;

  TerminalReward reward() const;
  // The expected reward, -1, 0 or +1.
  float Scalar() const { return rank_ > 0 ? 1.0f : rank_ < 0 ? -1.0f : 0.0f; }
  // Plies to the end of the game under the proof, where known (not for
  // draws).
  std::optional<int> plies_to_end() const;
  // The game's score (ExactValue::score) where the value came from an exact
  // evaluator.
  std::optional<int> score() const;
  int16_t rank() const { return rank_; }

  // "win in 3 plies", "loss (score -5)", "draw".
  std::string ToString() const;

  bool operator==(ProvenValue o) const { return rank_ == o.rank_; }
  bool operator!=(ProvenValue o) const { return rank_ != o.rank_; }
  // Whether this value is better than `o` for the same side to move.
  bool BetterThan(ProvenValue o) const { return rank_ > o.rank_; }

  // The rank a node holds while it is not proven.
  static constexpr int16_t kUnproven = std::numeric_limits<int16_t>::min();

 private:
  static constexpr int kKnownBase = 30000;
  static constexpr int kMaxKnownPlies = 10000;
  static constexpr int kMaxScore = 19998;
  explicit ProvenValue(int16_t rank) : rank_(rank) {}
  int16_t rank_;
};

// Expansion state of a node.
enum class NodeState : uint8_t {
  kUnexpanded = 0,
  // One thread is evaluating it (single-game mode with several threads).
  kExpanding = 1,
  // Children allocated (none for a terminal node); first_child/num_children
  // may be read after an acquire load of this state.
  kExpanded = 2,
};

// One node of the search tree: the position reached by `action` from its
// parent. Statistics are atomics so that several threads can share a tree;
// the single-threaded paths use plain loads and stores on them.
struct Node {
  // Completed visits (simulations through this node).
  std::atomic<int32_t> visits;
  // Simulations in flight through this node (multi-threaded mode).
  std::atomic<int32_t> virtual_loss;
  // Sum of backed-up values, for the player who moved into this node (so
  // the parent reads its children's Q directly).
  std::atomic<float> value_sum;
  // Visits whose backed-up value was a terminal reward or an exact value.
  std::atomic<int32_t> grounded_visits;
  // Prior probability of `action` at the parent (noise included at a root).
  float prior;
  // The evaluator's scalar value for the side to move here (NaN until the
  // node is evaluated; it stays NaN for terminal positions).
  float raw_value;
  uint32_t first_child;
  // ProvenValue rank, or ProvenValue::kUnproven.
  std::atomic<int16_t> proven_rank;
  int16_t action;
  uint16_t num_children;
  std::atomic<NodeState> state;

  // Resets every field (a node of a reused chunk).
  void Init(Action a, float p) {
    visits.store(0, std::memory_order_relaxed);
    virtual_loss.store(0, std::memory_order_relaxed);
    value_sum.store(0.0f, std::memory_order_relaxed);
    grounded_visits.store(0, std::memory_order_relaxed);
    prior = p;
    raw_value = std::numeric_limits<float>::quiet_NaN();
    first_child = 0;
    proven_rank.store(ProvenValue::kUnproven, std::memory_order_relaxed);
    action = static_cast<int16_t>(a);
    num_children = 0;
    state.store(NodeState::kUnexpanded, std::memory_order_relaxed);
  }

  // Copies the statistics of `other` (not its children's location). Only
  // while no other thread touches either node.
  void CopyStatsFrom(const Node& other);

  bool proven() const {
    return proven_rank.load(std::memory_order_relaxed) !=
           ProvenValue::kUnproven;
  }
  ProvenValue proven_value() const {
    return ProvenValue::FromRank(proven_rank.load(std::memory_order_relaxed));
  }
};

// Nodes indexed by 32-bit integers, in chunks of kChunkSize that are never
// moved or freed until the arena is destroyed (Reset() keeps them for reuse,
// so a fresh tree per search allocates nothing once warm).
class NodeArena {
 public:
  // 4096 nodes (about 150 kB) per chunk: small enough for hundreds of
  // trees in self-play, large enough that growing is rare.
  static constexpr int kChunkBits = 12;
  static constexpr uint32_t kChunkSize = uint32_t{1} << kChunkBits;

  // An arena that can hold at least `max_nodes` nodes.
  explicit NodeArena(int64_t max_nodes);
  ~NodeArena();
  NodeArena(const NodeArena&) = delete;
  NodeArena& operator=(const NodeArena&) = delete;

  // Allocates `n` (1..kChunkSize) contiguous nodes and returns the index of
  // the first, or kFull when the arena has no room left. The caller Init()s
  // each node before anyone else can reach it.
  // kConcurrent: other threads may allocate at the same time.
  template <bool kConcurrent>
  uint32_t Allocate(int n) {
    if constexpr (kConcurrent) {
      std::lock_guard<std::mutex> lock(mutex_);
      return AllocateLocked(n);
    } else {
      return AllocateLocked(n);
    }
  }

  Node& at(uint32_t index) {
    return chunks_[index >> kChunkBits].load(
        std::memory_order_acquire)[index & (kChunkSize - 1)];
  }
  const Node& at(uint32_t index) const {
    return chunks_[index >> kChunkBits].load(
        std::memory_order_acquire)[index & (kChunkSize - 1)];
  }

  static constexpr uint32_t kFull = ~uint32_t{0};

  // Nodes handed out since the last Reset() (gaps at chunk ends included).
  uint64_t size() const { return next_.load(std::memory_order_relaxed); }
  // How many nodes it can hold.
  uint64_t capacity() const {
    return static_cast<uint64_t>(max_chunks_) * kChunkSize;
  }
  // Bytes of node storage allocated so far.
  uint64_t bytes_allocated() const {
    return static_cast<uint64_t>(allocated_chunks_) * kChunkSize * sizeof(Node);
  }
  // Forgets every node; the chunks stay allocated.
  void Reset() { next_.store(0, std::memory_order_relaxed); }

 private:
  uint32_t AllocateLocked(int n);

  std::mutex mutex_;
  std::atomic<uint64_t> next_{0};
  int max_chunks_;
  int allocated_chunks_ = 0;
  std::unique_ptr<std::atomic<Node*>[]> chunks_;
};

}  // namespace az::engine
