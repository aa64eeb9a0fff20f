// Monte-Carlo tree search with PUCT over one game tree: the planner of az.
//
// A Search owns one tree and the position at its root. It runs simulations
// in three ways that give identical trees for the same seed and a
// deterministic evaluator:
//  - Run() on one thread: select a leaf, evaluate it, back it up;
//  - Run() with params.num_threads > 1 (single-game mode): several threads
//    share the tree, spreading out with virtual loss;
//  - the stepping calls NextLeaf()/CompleteLeaf(), with which one thread
//    drives many searches and evaluates their leaves in one batch
//    (self-play mode, see multi_game_search.h).
// A terminal leaf backs up its TerminalReward (the payoff of the game's
// reward spec), an evaluated leaf its ValueEstimate (or the exact value when
// the evaluator knows it); under a win/draw/loss spec proven values
// propagate up the tree (MCTS-solver), and every result says how many of the
// root's visits were grounded in the rules.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "engine/node.h"
#include "base/random.h"
#include "engine/search_params.h"
#include "games/game.h"

namespace az::engine {

// Statistics of one root move.
struct MoveStats {
  Action action = kNoAction;
  int visits = 0;
  // Prior at the root (with noise, if the search added it).
  float prior = 0.0f;
  // Mean backed-up value for the side to move at the root; nullopt while
  // the move has no visit.
  std::optional<float> q;
  // Proven value of the move for the side to move at the root.
  std::optional<ProvenValue> proven;
};

// How much one search may spend, and whether its root gets Dirichlet noise.
// A search started without one takes both from its SearchParams; self-play
// with playout-cap randomization gives most moves a smaller budget without
// noise (see selfplay/actor_farm.h).
struct SearchBudget {
  int simulations = 0;  // at least 1
  bool root_noise = false;
};

struct SearchResult {
  // Every legal move at the root, in increasing action order.
  std::vector<MoveStats> moves;
  // Visit distribution over all game().NumActions() actions (sums to 1).
  std::vector<float> policy;
  // Root search value for the side to move: mean of the backed-up values.
  float q = 0.0f;
  // The evaluator's raw value at the root, for the side to move.
  float v = 0.0f;
  // Set when the root is proven: its exact value for the side to move.
  std::optional<ProvenValue> exact;
  bool proven() const { return exact.has_value(); }
  // The best move: the one that realises a proven value, else the most
  // visited (ties broken by Q, then prior).
  Action best_action = kNoAction;
  // Best moves from the root onwards, as far as the tree has visits.
  std::vector<Action> principal_variation;
  // Visits of the root, those grounded in terminal rewards or exact values
  // and those grounded in learned estimates.
  int root_visits = 0;
  int reward_visits = 0;
  int value_visits = 0;
  // Share of the root's visits grounded in rewards/exact values (0 if none).
  double reward_share() const {
    return root_visits > 0 ? static_cast<double>(reward_visits) / root_visits
                           : 0.0;
  }
  // Simulations this search ran (fewer than asked when it stopped early).
  int simulations = 0;
  // Why it stopped early, if it did: the root was proven, or the tree was
  // full.
  bool stopped_proven = false;
  bool stopped_tree_full = false;
  // Nodes in the tree and evaluator calls this search made.
  uint64_t tree_nodes = 0;
  uint64_t evaluations = 0;
};

class Search {
 public:
  // `game` and `evaluator` must outlive the search; `params` must be valid.
  static absl::StatusOr<std::unique_ptr<Search>> Create(
      const Game& game, Evaluator* evaluator, const SearchParams& params);
  ~Search();
  Search(const Search&) = delete;
  Search& operator=(const Search&) = delete;

  const Game& game() const { return game_; }
  const SearchParams& params() const { return params_; }
  const State& root_state() const { return *root_state_; }

  // Sets the root to `state` (a position of this game that is not over)
  // and forgets the tree.
  absl::Status SetPosition(const State& state);
  // Plays `action` at the root; with params.reuse_tree the subtree of that
  // move becomes the new tree. The game may end (then only SetPosition()
  // starts a new search).
  absl::Status ApplyMove(Action action);

  // Runs params.num_simulations simulations from the root (fewer if the
  // root gets proven or the tree fills up) and reports the result.
  absl::StatusOr<SearchResult> Run();

  // The move to play after a search: the proven best move when the root is
  // proven; otherwise sampled from visits^(1/temperature) while the game is
  // in its first params.temperature_moves plies, else the most visited.
  // Moves proven to lose are avoided whenever another move is not.
  Action ChooseMove(const SearchResult& result);

  // The statistics of the tree as it stands.
  SearchResult Result() const;

  // --- Stepping interface (self-play mode, one thread). ---
  // Starts a search of params.num_simulations simulations, with root noise
  // when params.root_noise is set.
  void StartSearch();
  // Starts a search with its own budget instead of the params' one.
  void StartSearch(const SearchBudget& budget);
  // Whether the current search has run all its simulations or stopped.
  bool SearchDone() const;
  // Runs the simulations that need no evaluation (terminal or proven
  // leaves) and returns the state of the next leaf that does, or null when
  // the search is done. The state stays valid until CompleteLeaf().
  const State* NextLeaf();
  // Completes the leaf returned by NextLeaf() with its evaluation:
  // `priors` holds game().NumActions() values.
  void CompleteLeaf(const float* priors, const LeafEvaluation& evaluation);
  // Gives up the leaf returned by NextLeaf() (its evaluation failed): the
  // tree is left as if that simulation had never started.
  void AbandonLeaf();

 private:
  struct Worker;
  enum class Step { kDone, kNeedsEvaluation, kCollision };

  Search(const Game& game, Evaluator* evaluator, const SearchParams& params);

  Node& root() { return arena_->at(root_); }
  const Node& root() const { return arena_->at(root_); }

  void ResetTree();
  // Whether no further simulation should start.
  bool ShouldStop() const;
  void MixRootNoise();

  // One simulation up to a leaf. kDone: the leaf was terminal or proven and
  // its value is backed up; kNeedsEvaluation: the worker's scratch state is
  // the leaf, to be evaluated and passed to Expand(); kCollision: another
  // thread is expanding the leaf, nothing changed.
  template <bool kConcurrent>
  Step SelectLeaf(Worker& worker);
  // The PUCT choice among the children of `node`. With avoid_proven_wins,
  // children already proven to win are passed over (at a root whose win is
  // proven, visits go where a sooner win may be found).
  template <bool kConcurrent>
  uint32_t SelectChild(const Node& node, bool avoid_proven_wins);
  template <bool kConcurrent>
  void ExpandAndBackup(Worker& worker, const float* priors,
                       const LeafEvaluation& evaluation);
  template <bool kConcurrent>
  void Backup(Worker& worker, LeafValue value);
  template <bool kConcurrent>
  void UndoVirtualLoss(Worker& worker);
  // Proves the ancestors of the worker's leaf that its proof decides, up to
  // the root.
  void PropagateProof(Worker& worker);
  // The value proven for `node` by its children alone, if any; sets
  // *all_proven to whether every child is proven.
  std::optional<ProvenValue> ProvenFromChildren(const Node& node,
                                                bool* all_proven) const;
  // Proves the root from its children where they decide it; the search is
  // solved when no further visit can improve the best move (see .cc).
  void UpdateRootProof();

  // A worker with its scratch states and buffers sized for this game.
  std::unique_ptr<Worker> NewWorker() const;
  absl::Status RunThreaded();
  void ThreadLoop(Worker& worker, absl::Status* status);

  // The best child of `node` (see SearchResult::best_action), or null.
  const Node* BestChild(const Node& node) const;
  // Copies the subtree of `new_root` into the spare arena and swaps.
  void CompactTo(uint32_t new_root);

  const Game& game_;
  // Whether the game's reward spec pays only win/draw/loss, so that proven
  // values (MCTS-solver) apply. Under a graded spec (a payoff in [-1, 1])
  // nothing is proven: a finished game backs up its exact payoff, and an
  // exact evaluator's value is backed up without a proof.
  const bool proofs_;
  Evaluator* evaluator_;
  SearchParams params_;
  int num_actions_;
  std::unique_ptr<State> root_state_;
  std::unique_ptr<NodeArena> arena_;
  std::unique_ptr<NodeArena> spare_arena_;
  uint32_t root_ = 0;
  base::Rng rng_;
  // Worker 0 serves Run() on one thread and the stepping interface.
  std::vector<std::unique_ptr<Worker>> workers_;

  // The current search.
  int budget_simulations_ = 0;
  bool noise_pending_ = false;
  std::atomic<int> started_{0};
  std::atomic<int> completed_{0};
  std::atomic<bool> root_solved_{false};
  // The root's value as known before its children prove it (from the
  // evaluator, or kept from an earlier search); kUnproven if none.
  std::atomic<int16_t> root_target_rank_{ProvenValue::kUnproven};
  std::atomic<bool> tree_full_{false};
  // An evaluation failed in a multi-threaded search: every thread stops.
  std::atomic<bool> aborted_{false};
  std::atomic<uint64_t> evaluations_{0};
  bool leaf_pending_ = false;
};

}  // namespace az::engine
