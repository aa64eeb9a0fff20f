#include "engine/search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace az::engine {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// counter += delta: an atomic read-modify-write when threads share the
// tree, a plain load and store (no lock prefix) when one thread owns it.
template <bool kConcurrent, typename T>
inline void Add(std::atomic<T>& counter, T delta) {
  if constexpr (kConcurrent) {
    if constexpr (std::is_floating_point_v<T>) {
      T old = counter.load(kRelaxed);
      while (!counter.compare_exchange_weak(old, old + delta, kRelaxed)) {
      }
    } else {
      counter.fetch_add(delta, kRelaxed);
    }
  } else {
    counter.store(counter.load(kRelaxed) + delta, kRelaxed);
  }
}

}  // namespace

struct Search::Worker {
  // The position of the current simulation: a copy of the root with the
  // path's actions applied.
  std::unique_ptr<State> scratch;
  // Where the children of a leaf are tried for a game end.
  std::unique_ptr<State> probe;
  // Nodes from the root to the current leaf.
  std::vector<Node*> path;
  std::vector<Action> legal;
  std::vector<float> priors;
  LeafEvaluation evaluation;
};

Search::Search(const Game& game, Evaluator* evaluator,
               const SearchParams& params)
    : game_(game),
      proofs_(game.RewardSpec().ternary),
      evaluator_(evaluator),
      params_(params),
      num_actions_(game.NumActions()),
      root_state_(game.NewInitialState()),
      arena_(std::make_unique<NodeArena>(params.max_tree_nodes)),
      spare_arena_(std::make_unique<NodeArena>(params.max_tree_nodes)),
      rng_(params.seed) {
  ResetTree();
}

Search::~Search() = default;

absl::StatusOr<std::unique_ptr<Search>> Search::Create(
    const Game& game, Evaluator* evaluator, const SearchParams& params) {
  if (absl::Status status = params.Validate(); !status.ok()) return status;
  if (evaluator == nullptr) {
    return absl::InvalidArgumentError("the search needs an evaluator");
  }
  if (game.NumActions() > static_cast<int>(NodeArena::kChunkSize) ||
      game.NumActions() > std::numeric_limits<int16_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(game.Name(), " has too many actions for the search (",
                     game.NumActions(), ")"));
  }
  return std::unique_ptr<Search>(new Search(game, evaluator, params));
}

void Search::ResetTree() {
  arena_->Reset();
  root_ = arena_->Allocate<false>(1);
  root().Init(kNoAction, 1.0f);
}

absl::Status Search::SetPosition(const State& state) {
  if (state.game().Name() != game_.Name()) {
    return absl::InvalidArgumentError(absl::StrCat("a ", state.game().Name(),
                                                   " position given to a ",
                                                   game_.Name(), " search"));
  }
  if (state.game().RewardSpec().name != game_.RewardSpec().name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a position played by reward spec ", state.game().RewardSpec().name,
        " given to a search under ", game_.RewardSpec().name));
  }
  if (state.IsTerminal()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the game is already over (", OutcomeName(state.Outcome()),
                     "): there is nothing to search"));
  }
  CHECK(!leaf_pending_) << "SetPosition() during a stepped search";
  root_state_->CopyFrom(state);
  ResetTree();
  return absl::OkStatus();
}

absl::Status Search::ApplyMove(Action action) {
  CHECK(!leaf_pending_) << "ApplyMove() during a stepped search";
  if (absl::Status legal = root_state_->CheckLegal(action); !legal.ok()) {
    return legal;
  }
  uint32_t child = NodeArena::kFull;
  const Node& r = root();
  if (r.state.load(std::memory_order_acquire) == NodeState::kExpanded) {
    for (int i = 0; i < r.num_children; ++i) {
      if (arena_->at(r.first_child + i).action == action) {
        child = r.first_child + i;
      }
    }
  }
  root_state_->Apply(action);
  if (params_.reuse_tree && child != NodeArena::kFull &&
      !root_state_->IsTerminal()) {
    CompactTo(child);
  } else {
    ResetTree();
  }
  return absl::OkStatus();
}

void Search::CompactTo(uint32_t new_root) {
  // Copying the kept subtree into the spare arena frees the rest of the old
  // tree at once and keeps each node's children contiguous.
  NodeArena& to = *spare_arena_;
  to.Reset();
  uint32_t root_copy = to.Allocate<false>(1);
  Node& copied_root = to.at(root_copy);
  copied_root.Init(kNoAction, 1.0f);
  copied_root.CopyStatsFrom(arena_->at(new_root));
  std::vector<std::pair<uint32_t, uint32_t>> queue = {{new_root, root_copy}};
  for (size_t next = 0; next < queue.size(); ++next) {
    auto [from_index, to_index] = queue[next];
    const Node& from = arena_->at(from_index);
    Node& copy = to.at(to_index);
    if (copy.num_children == 0) continue;
    uint32_t first = to.Allocate<false>(copy.num_children);
    CHECK_NE(first, NodeArena::kFull) << "a subtree is larger than its tree";
    copy.first_child = first;
    for (int i = 0; i < copy.num_children; ++i) {
      Node& child = to.at(first + i);
      child.Init(kNoAction, 0.0f);
      child.CopyStatsFrom(arena_->at(from.first_child + i));
      queue.emplace_back(from.first_child + i, first + i);
    }
  }
  std::swap(arena_, spare_arena_);
  root_ = root_copy;
}

void Search::MixRootNoise() {
  Node& r = root();
  int n = r.num_children;
  if (n == 0) return;
  std::vector<float> noise(n);
  base::SampleDirichlet(params_.dirichlet_alpha, n, rng_, noise.data());
  const float eps = params_.dirichlet_epsilon;
  for (int i = 0; i < n; ++i) {
    Node& child = arena_->at(r.first_child + i);
    child.prior = (1.0f - eps) * child.prior + eps * noise[i];
  }
}

void Search::StartSearch() {
  StartSearch({params_.num_simulations, params_.root_noise});
}

void Search::StartSearch(const SearchBudget& budget) {
  CHECK(!leaf_pending_) << "StartSearch() during a stepped search";
  CHECK_GE(budget.simulations, 1);
  budget_simulations_ = budget.simulations;
  started_.store(0, kRelaxed);
  completed_.store(0, kRelaxed);
  evaluations_.store(0, kRelaxed);
  tree_full_.store(false, kRelaxed);
  aborted_.store(false, kRelaxed);
  root_solved_.store(false, kRelaxed);
  root_target_rank_.store(root().proven_rank.load(kRelaxed), kRelaxed);
  UpdateRootProof();
  noise_pending_ = budget.root_noise;
  if (noise_pending_ &&
      root().state.load(std::memory_order_acquire) == NodeState::kExpanded) {
    MixRootNoise();
    noise_pending_ = false;
  }
  if (workers_.empty()) {
    workers_.push_back(NewWorker());
  }
}

bool Search::ShouldStop() const {
  return started_.load(kRelaxed) >= budget_simulations_ ||
         (params_.stop_when_proven && root_solved_.load(kRelaxed)) ||
         tree_full_.load(kRelaxed);
}

bool Search::SearchDone() const { return !leaf_pending_ && ShouldStop(); }

const State* Search::NextLeaf() {
  CHECK(!leaf_pending_) << "NextLeaf() before CompleteLeaf()";
  Worker& worker = *workers_[0];
  while (!ShouldStop()) {
    started_.store(started_.load(kRelaxed) + 1, kRelaxed);
    Step step = SelectLeaf<false>(worker);
    if (step == Step::kNeedsEvaluation) {
      leaf_pending_ = true;
      return worker.scratch.get();
    }
    completed_.store(completed_.load(kRelaxed) + 1, kRelaxed);
  }
  return nullptr;
}

void Search::CompleteLeaf(const float* priors,
                          const LeafEvaluation& evaluation) {
  CHECK(leaf_pending_) << "CompleteLeaf() without a leaf from NextLeaf()";
  leaf_pending_ = false;
  ExpandAndBackup<false>(*workers_[0], priors, evaluation);
  completed_.store(completed_.load(kRelaxed) + 1, kRelaxed);
  evaluations_.store(evaluations_.load(kRelaxed) + 1, kRelaxed);
}

void Search::AbandonLeaf() {
  CHECK(leaf_pending_) << "AbandonLeaf() without a leaf from NextLeaf()";
  leaf_pending_ = false;
  workers_[0]->path.back()->state.store(NodeState::kUnexpanded, kRelaxed);
  started_.store(started_.load(kRelaxed) - 1, kRelaxed);
}

absl::StatusOr<SearchResult> Search::Run() {
  if (root_state_->IsTerminal()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the game is already over (", OutcomeName(root_state_->Outcome()),
        "): there is nothing to search"));
  }
  StartSearch();
  if (params_.num_threads > 1) {
    if (absl::Status status = RunThreaded(); !status.ok()) return status;
    return Result();
  }
  Worker& worker = *workers_[0];
  while (const State* leaf = NextLeaf()) {
    const State* const states[1] = {leaf};
    absl::Status status = evaluator_->Evaluate(
        absl::MakeConstSpan(states, 1), absl::MakeSpan(worker.priors),
        absl::MakeSpan(&worker.evaluation, 1));
    if (!status.ok()) {
      AbandonLeaf();
      return status;
    }
    CompleteLeaf(worker.priors.data(), worker.evaluation);
  }
  return Result();
}

std::unique_ptr<Search::Worker> Search::NewWorker() const {
  auto worker = std::make_unique<Worker>();
  worker->scratch = root_state_->Clone();
  worker->probe = root_state_->Clone();
  worker->path.reserve(game_.MaxGameLength() + 2);
  worker->legal.resize(num_actions_);
  worker->priors.resize(num_actions_);
  return worker;
}

absl::Status Search::RunThreaded() {
  while (static_cast<int>(workers_.size()) < params_.num_threads) {
    workers_.push_back(NewWorker());
  }
  std::vector<absl::Status> statuses(params_.num_threads);
  std::vector<std::thread> threads;
  for (int t = 1; t < params_.num_threads; ++t) {
    threads.emplace_back(
        [this, t, &statuses] { ThreadLoop(*workers_[t], &statuses[t]); });
  }
  ThreadLoop(*workers_[0], &statuses[0]);
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

void Search::ThreadLoop(Worker& worker, absl::Status* status) {
  const State* const states[1] = {worker.scratch.get()};
  auto stop = [this] {
    return (params_.stop_when_proven && root_solved_.load(kRelaxed)) ||
           tree_full_.load(kRelaxed) || aborted_.load(kRelaxed);
  };
  while (!stop()) {
    if (started_.fetch_add(1, kRelaxed) >= budget_simulations_) break;
    Step step;
    while ((step = SelectLeaf<true>(worker)) == Step::kCollision) {
      // Another thread is evaluating this leaf; its result will change the
      // statistics of the path, so trying again picks another leaf soon.
      if (stop()) return;
      std::this_thread::yield();
    }
    if (step == Step::kNeedsEvaluation) {
      *status = evaluator_->Evaluate(absl::MakeConstSpan(states, 1),
                                     absl::MakeSpan(worker.priors),
                                     absl::MakeSpan(&worker.evaluation, 1));
      if (!status->ok()) {
        UndoVirtualLoss<true>(worker);
        worker.path.back()->state.store(NodeState::kUnexpanded,
                                        std::memory_order_release);
        aborted_.store(true, kRelaxed);
        return;
      }
      ExpandAndBackup<true>(worker, worker.priors.data(), worker.evaluation);
      evaluations_.fetch_add(1, kRelaxed);
    }
    completed_.fetch_add(1, kRelaxed);
  }
}

template <bool kConcurrent>
Search::Step Search::SelectLeaf(Worker& worker) {
  const int32_t vl = params_.virtual_loss;
  State& state = *worker.scratch;
  state.CopyFrom(*root_state_);
  worker.path.clear();
  Node* node = &root();
  worker.path.push_back(node);
  if constexpr (kConcurrent) node->virtual_loss.fetch_add(vl, kRelaxed);
  while (true) {
    // The state is read first: a node published as expanded has its proof
    // (terminal or exact) and its children visible after this acquire.
    NodeState node_state = node->state.load(std::memory_order_acquire);
    int16_t rank = node->proven_rank.load(kRelaxed);
    if (rank != ProvenValue::kUnproven && worker.path.size() > 1) {
      // Below a proven node nothing can change its value: the visit backs
      // up the proof itself.
      TerminalReward reward = ProvenValue::FromRank(rank).reward();
      Backup<kConcurrent>(worker, state.IsTerminal()
                                      ? LeafValue::FromReward(reward)
                                      : LeafValue::FromExact(reward));
      return Step::kDone;
    }
    if (node_state == NodeState::kUnexpanded) {
      if (state.IsTerminal()) {
        TerminalReward reward = state.Reward(state.ToMove());
        if (proofs_) {
          node->proven_rank.store(ProvenValue::Terminal(reward).rank(),
                                  kRelaxed);
        }
        node->state.store(NodeState::kExpanded, std::memory_order_release);
        Backup<kConcurrent>(worker, LeafValue::FromReward(reward));
        if (proofs_) PropagateProof(worker);
        return Step::kDone;
      }
      if constexpr (kConcurrent) {
        NodeState expected = NodeState::kUnexpanded;
        if (!node->state.compare_exchange_strong(
                expected, NodeState::kExpanding, std::memory_order_acquire)) {
          if (expected == NodeState::kExpanded) continue;
          UndoVirtualLoss<kConcurrent>(worker);
          return Step::kCollision;
        }
      } else {
        node->state.store(NodeState::kExpanding, kRelaxed);
      }
      return Step::kNeedsEvaluation;
    }
    if (node_state == NodeState::kExpanding) {
      CHECK(kConcurrent) << "a leaf left half expanded";
      UndoVirtualLoss<kConcurrent>(worker);
      return Step::kCollision;
    }
    if (node->num_children == 0) {
      // A finished game under a graded reward spec: it is not proven (proofs
      // are win/draw/loss), so every visit backs up its exact payoff.
      CHECK(!proofs_ && state.IsTerminal())
          << "an expanded node without children must be terminal, hence "
             "proven";
      Backup<kConcurrent>(worker,
                          LeafValue::FromReward(state.Reward(state.ToMove())));
      return Step::kDone;
    }
    // At a root proven to win (but not solved), visiting the winning child
    // again teaches nothing: look for a sooner win elsewhere.
    const bool avoid_proven_wins =
        worker.path.size() == 1 && rank != ProvenValue::kUnproven &&
        ProvenValue::FromRank(rank).reward().is_win();
    node = &arena_->at(SelectChild<kConcurrent>(*node, avoid_proven_wins));
    if constexpr (kConcurrent) node->virtual_loss.fetch_add(vl, kRelaxed);
    state.Apply(node->action);
    worker.path.push_back(node);
  }
}

template <bool kConcurrent>
uint32_t Search::SelectChild(const Node& node, bool avoid_proven_wins) {
  const int32_t parent_visits =
      node.visits.load(kRelaxed) +
      (kConcurrent ? node.virtual_loss.load(kRelaxed) : 0);
  const float exploration =
      (params_.c_init + std::log1p((1.0f + parent_visits) / params_.c_base)) *
      std::sqrt(static_cast<float>(std::max(parent_visits, 1)));
  float fpu;
  if (params_.fpu_mode == FpuMode::kAbsolute) {
    fpu = params_.fpu_value;
  } else {
    // The node's value_sum is for the player who moved into it; its side
    // to move sees the opposite.
    int32_t n = node.visits.load(kRelaxed);
    float parent_q = n > 0 ? -node.value_sum.load(kRelaxed) / n : 0.0f;
    fpu = parent_q - params_.fpu_value;
  }
  const Node* children = &arena_->at(node.first_child);
  const int n = node.num_children;
  int best = 0;
  float best_score = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < n; ++i) {
    const Node& child = children[i];
    int32_t visits = child.visits.load(kRelaxed);
    float sum = child.value_sum.load(kRelaxed);
    if constexpr (kConcurrent) {
      // In-flight simulations count as losses, so other threads look
      // elsewhere until they are backed up.
      int32_t in_flight = child.virtual_loss.load(kRelaxed);
      visits += in_flight;
      sum -= static_cast<float>(in_flight);
    }
    int16_t rank = child.proven_rank.load(kRelaxed);
    float score;
    if (rank != ProvenValue::kUnproven) {
      // A proven move has nothing left to explore: it competes with its
      // exact value alone, so the visits go where proofs are missing.
      score = -ProvenValue::FromRank(rank).Scalar();
      if (avoid_proven_wins && score > 0.0f) continue;
    } else {
      float q = visits == 0 ? fpu : sum / visits;
      score = q + exploration * child.prior / (1 + visits);
    }
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  return node.first_child + best;
}

template <bool kConcurrent>
void Search::ExpandAndBackup(Worker& worker, const float* priors,
                             const LeafEvaluation& evaluation) {
  Node& node = *worker.path.back();
  const State& state = *worker.scratch;
  const int n = state.FillLegalActions(worker.legal.data());
  LeafValue value = evaluation.exact.has_value()
                        ? LeafValue::FromExact(evaluation.exact->reward)
                        : LeafValue::FromEstimate(evaluation.value);
  uint32_t first = arena_->Allocate<kConcurrent>(n);
  if (first == NodeArena::kFull) {
    // No room for the children: back the evaluation up all the same and
    // stop the search.
    tree_full_.store(true, kRelaxed);
    node.state.store(NodeState::kUnexpanded, std::memory_order_release);
    Backup<kConcurrent>(worker, value);
    return;
  }
  float total = 0.0f;
  for (int i = 0; i < n; ++i) total += std::max(priors[worker.legal[i]], 0.0f);
  // The evaluator's mass on illegal moves (a network's, say) is dropped.
  const float scale = total > 0.0f ? 1.0f / total : 0.0f;
  Node* children = &arena_->at(first);
  for (int i = 0; i < n; ++i) {
    Action a = worker.legal[i];
    children[i].Init(
        a, total > 0.0f ? std::max(priors[a], 0.0f) * scale : 1.0f / n);
  }
  // Children that end the game are proven on the spot (MCTS-solver with
  // decisive moves): a position with a winning move is a proven win
  // without spending a visit on finding that move.
  std::optional<ProvenValue> from_children;
  bool all_proven = false;
  if (params_.detect_terminal_children && proofs_) {
    State& probe = *worker.probe;
    all_proven = true;
    for (int i = 0; i < n; ++i) {
      probe.CopyFrom(state);
      probe.Apply(children[i].action);
      if (!probe.IsTerminal()) {
        all_proven = false;
        continue;
      }
      ProvenValue terminal =
          ProvenValue::Terminal(probe.Reward(probe.ToMove()));
      children[i].proven_rank.store(terminal.rank(), kRelaxed);
      children[i].state.store(NodeState::kExpanded, kRelaxed);
      ProvenValue for_node = terminal.ForParent();
      if (!from_children.has_value() || for_node.BetterThan(*from_children)) {
        from_children = for_node;
      }
    }
    if (from_children.has_value() && !from_children->reward().is_win() &&
        !all_proven) {
      from_children.reset();
    }
  }
  int16_t rank = ProvenValue::kUnproven;
  if (evaluation.exact.has_value() && proofs_) {
    rank = ProvenValue::Exact(*evaluation.exact).rank();
    if (worker.path.size() == 1) root_target_rank_.store(rank, kRelaxed);
  }
  if (from_children.has_value() && from_children->rank() > rank) {
    rank = from_children->rank();
  }
  node.first_child = first;
  node.num_children = static_cast<uint16_t>(n);
  node.raw_value = evaluation.value.Scalar();
  node.proven_rank.store(rank, kRelaxed);
  if (worker.path.size() == 1 && noise_pending_) {
    MixRootNoise();
    noise_pending_ = false;
  }
  node.state.store(NodeState::kExpanded, std::memory_order_release);
  if (rank != ProvenValue::kUnproven) {
    // A proven position backs up its exact value, not the estimate.
    value = LeafValue::FromExact(ProvenValue::FromRank(rank).reward());
  }
  Backup<kConcurrent>(worker, value);
  if (worker.path.size() == 1) UpdateRootProof();
  if (rank != ProvenValue::kUnproven) PropagateProof(worker);
}

template <bool kConcurrent>
void Search::Backup(Worker& worker, LeafValue value) {
  const int32_t vl = params_.virtual_loss;
  const int32_t grounded = value.grounded() ? 1 : 0;
  // value_sum is kept for the player who moved into each node, the
  // opponent of the side to move there.
  float v = -value.value();
  for (auto it = worker.path.rbegin(); it != worker.path.rend(); ++it) {
    Node& node = **it;
    Add<kConcurrent>(node.value_sum, v);
    Add<kConcurrent>(node.visits, int32_t{1});
    if (grounded) Add<kConcurrent>(node.grounded_visits, grounded);
    if constexpr (kConcurrent) node.virtual_loss.fetch_sub(vl, kRelaxed);
    v = -v;
  }
}

template <bool kConcurrent>
void Search::UndoVirtualLoss(Worker& worker) {
  if constexpr (kConcurrent) {
    for (Node* node : worker.path) {
      node->virtual_loss.fetch_sub(params_.virtual_loss, kRelaxed);
    }
  }
}

void Search::PropagateProof(Worker& worker) {
  // The leaf at the back is proven; walk up while its proof decides more.
  for (int i = static_cast<int>(worker.path.size()) - 2; i > 0; --i) {
    Node& node = *worker.path[i];
    if (node.proven()) return;
    bool all_proven = false;
    std::optional<ProvenValue> proven = ProvenFromChildren(node, &all_proven);
    if (!proven.has_value()) return;
    node.proven_rank.store(proven->rank(), kRelaxed);
  }
  UpdateRootProof();
}

void Search::UpdateRootProof() {
  const Node& r = root();
  if (r.state.load(std::memory_order_acquire) != NodeState::kExpanded) return;
  // The best proven move, proven or not the root's value.
  std::optional<ProvenValue> best;
  bool all_proven = true;
  for (int i = 0; i < r.num_children; ++i) {
    int16_t rank = arena_->at(r.first_child + i).proven_rank.load(kRelaxed);
    if (rank == ProvenValue::kUnproven) {
      all_proven = false;
      continue;
    }
    ProvenValue value = ProvenValue::FromRank(rank).ForParent();
    if (!best.has_value() || value.BetterThan(*best)) best = value;
  }
  if (!best.has_value()) return;
  // A move as good as the value the root is known to have (from an exact
  // evaluator) realises it, whatever the other moves are.
  int16_t target = root_target_rank_.load(kRelaxed);
  bool realises_target =
      target != ProvenValue::kUnproven && best->rank() >= target;
  if (!best->reward().is_win() && !all_proven && !realises_target) return;
  // A win proven by one child may be slower than the root's true value;
  // never report less than what is already known.
  int16_t known = r.proven_rank.load(kRelaxed);
  if (known == ProvenValue::kUnproven || best->rank() > known) {
    root().proven_rank.store(best->rank(), kRelaxed);
  }
  // Losses and draws need every move proven (or the known value reached),
  // so they are final. A win is final when it is immediate or reaches the
  // known value; otherwise more visits may find a sooner one.
  if (all_proven || realises_target ||
      (best->reward().is_win() && best->plies_to_end() == 1)) {
    root_solved_.store(true, kRelaxed);
  }
}

std::optional<ProvenValue> Search::ProvenFromChildren(const Node& node,
                                                      bool* all_proven) const {
  *all_proven = false;
  if (node.state.load(std::memory_order_acquire) != NodeState::kExpanded ||
      node.num_children == 0) {
    return std::nullopt;
  }
  std::optional<ProvenValue> best;
  *all_proven = true;
  for (int i = 0; i < node.num_children; ++i) {
    const Node& child = arena_->at(node.first_child + i);
    int16_t rank = child.proven_rank.load(kRelaxed);
    if (rank == ProvenValue::kUnproven) {
      *all_proven = false;
      continue;
    }
    ProvenValue value = ProvenValue::FromRank(rank).ForParent();
    if (!best.has_value() || value.BetterThan(*best)) best = value;
  }
  // One winning move proves a win; anything else needs every move proven.
  if (best.has_value() && (best->reward().is_win() || *all_proven)) {
    return best;
  }
  return std::nullopt;
}

const Node* Search::BestChild(const Node& node) const {
  if (node.state.load(std::memory_order_acquire) != NodeState::kExpanded ||
      node.num_children == 0) {
    return nullptr;
  }
  // Proven wins first (soonest), proven losses last (latest); in between,
  // draws and unproven moves by visits, then Q, then prior.
  // A child that realises the node's own proven value comes before all.
  const int16_t node_rank = node.proven_rank.load(kRelaxed);
  auto key_class = [node_rank](const Node& child) {
    if (!child.proven()) return 0;
    ProvenValue value = child.proven_value().ForParent();
    if (node_rank != ProvenValue::kUnproven && value.rank() >= node_rank) {
      return 2;
    }
    TerminalReward r = value.reward();
    return r.is_win() ? 1 : r.is_loss() ? -1 : 0;
  };
  auto q = [](const Node& child) {
    int32_t n = child.visits.load(kRelaxed);
    return n > 0 ? child.value_sum.load(kRelaxed) / n : -2.0f;
  };
  const Node* best = nullptr;
  for (int i = 0; i < node.num_children; ++i) {
    const Node& child = arena_->at(node.first_child + i);
    if (best == nullptr) {
      best = &child;
      continue;
    }
    int a = key_class(child), b = key_class(*best);
    if (a != b) {
      if (a > b) best = &child;
      continue;
    }
    if (a != 0) {
      ProvenValue va = child.proven_value().ForParent();
      ProvenValue vb = best->proven_value().ForParent();
      if (va != vb) {
        if (va.BetterThan(vb)) best = &child;
        continue;
      }
    }
    int32_t na = child.visits.load(kRelaxed), nb = best->visits.load(kRelaxed);
    if (na != nb) {
      if (na > nb) best = &child;
      continue;
    }
    if (q(child) != q(*best)) {
      if (q(child) > q(*best)) best = &child;
      continue;
    }
    if (child.prior > best->prior) best = &child;
  }
  return best;
}

SearchResult Search::Result() const {
  SearchResult result;
  const Node& r = root();
  result.root_visits = r.visits.load(kRelaxed);
  result.reward_visits = r.grounded_visits.load(kRelaxed);
  result.value_visits = result.root_visits - result.reward_visits;
  result.q = result.root_visits > 0
                 ? -r.value_sum.load(kRelaxed) / result.root_visits
                 : 0.0f;
  result.v = std::isnan(r.raw_value) ? 0.0f : r.raw_value;
  if (r.proven()) result.exact = r.proven_value();
  result.simulations = completed_.load(kRelaxed);
  result.stopped_proven = params_.stop_when_proven &&
                          root_solved_.load(kRelaxed) &&
                          result.simulations < budget_simulations_;
  result.stopped_tree_full = tree_full_.load(kRelaxed);
  result.tree_nodes = arena_->size();
  result.evaluations = evaluations_.load(kRelaxed);
  result.policy.assign(num_actions_, 0.0f);
  if (r.state.load(std::memory_order_acquire) == NodeState::kExpanded) {
    int64_t total = 0;
    for (int i = 0; i < r.num_children; ++i) {
      const Node& child = arena_->at(r.first_child + i);
      MoveStats stats;
      stats.action = child.action;
      stats.visits = child.visits.load(kRelaxed);
      stats.prior = child.prior;
      if (stats.visits > 0) {
        stats.q = child.value_sum.load(kRelaxed) / stats.visits;
      }
      if (child.proven()) stats.proven = child.proven_value().ForParent();
      total += stats.visits;
      result.moves.push_back(stats);
    }
    for (const MoveStats& m : result.moves) {
      result.policy[m.action] =
          total > 0 ? static_cast<float>(m.visits) / total : 0.0f;
    }
  }
  const Node* node = &r;
  while (const Node* best = BestChild(*node)) {
    if (best->visits.load(kRelaxed) == 0 && !best->proven()) break;
    result.principal_variation.push_back(best->action);
    node = best;
  }
  if (!result.principal_variation.empty()) {
    result.best_action = result.principal_variation[0];
  } else if (const Node* best = BestChild(r)) {
    result.best_action = best->action;
  }
  return result;
}

Action Search::ChooseMove(const SearchResult& result) {
  if (result.proven() || params_.temperature <= 0.0f ||
      root_state_->MoveNumber() >= params_.temperature_moves) {
    return result.best_action;
  }
  // Sample among visited moves, leaving out proven losses while there is
  // anything else.
  bool any_not_losing = false;
  int max_visits = 0;
  for (const MoveStats& m : result.moves) {
    if (m.visits == 0) continue;
    max_visits = std::max(max_visits, m.visits);
    if (!m.proven.has_value() || !m.proven->reward().is_loss()) {
      any_not_losing = true;
    }
  }
  if (max_visits == 0) return result.best_action;
  std::vector<double> weights(result.moves.size(), 0.0);
  double total = 0.0;
  for (size_t i = 0; i < result.moves.size(); ++i) {
    const MoveStats& m = result.moves[i];
    if (m.visits == 0) continue;
    if (any_not_losing && m.proven.has_value() && m.proven->reward().is_loss())
      continue;
    // Relative to the most visited move, so that a low temperature does not
    // overflow.
    weights[i] = std::pow(static_cast<double>(m.visits) / max_visits,
                          1.0 / params_.temperature);
    total += weights[i];
  }
  double x = rng_.Uniform() * total;
  for (size_t i = 0; i < result.moves.size(); ++i) {
    if (weights[i] == 0.0) continue;
    x -= weights[i];
    if (x < 0.0) return result.moves[i].action;
  }
  for (size_t i = result.moves.size(); i-- > 0;) {
    if (weights[i] > 0.0) return result.moves[i].action;
  }
  return result.best_action;
}

}  // namespace az::engine
