#include "engine/evaluators.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/random.h"
#include "base/hash.h"

namespace az::engine {
namespace {

// Per-thread buffers for the legal moves and a playout state, so that
// evaluating allocates nothing once a thread is warm.
struct ThreadScratch {
  std::vector<Action> legal;
  std::unique_ptr<State> state;
};

ThreadScratch& Scratch(const Game& game) {
  thread_local ThreadScratch scratch;
  if (scratch.legal.size() < static_cast<size_t>(game.NumActions())) {
    scratch.legal.resize(game.NumActions());
  }
  if (scratch.state == nullptr || &scratch.state->game() != &game) {
    scratch.state = game.NewInitialState();
  }
  return scratch;
}

// The estimate of someone who knows the game will pay `payoff`: for +1, 0 or
// -1 a certain win, draw or loss; for a graded payoff p, the split whose
// expectation P(win) - P(loss) is p.
ValueEstimate CertainOf(TerminalReward payoff) {
  const float p = payoff.value();
  return ValueEstimate{std::max(p, 0.0f), 1.0f - std::abs(p),
                       std::max(-p, 0.0f)};
}

// Writes a uniform prior over the legal moves of `state` into `priors`.
void UniformPrior(const State& state, int num_actions, Action* legal,
                  float* priors) {
  std::fill(priors, priors + num_actions, 0.0f);
  int n = state.FillLegalActions(legal);
  if (n == 0) return;
  const float p = 1.0f / n;
  for (int i = 0; i < n; ++i) priors[legal[i]] = p;
}

}  // namespace

absl::Status CheckEvaluateBuffers(size_t num_states, int num_actions,
                                  size_t priors_size, size_t results_size) {
  if (priors_size < num_states * num_actions || results_size < num_states) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Evaluate() buffers too small: ", num_states, " states need ",
        num_states * num_actions, " priors and ", num_states, " results, got ",
        priors_size, " and ", results_size));
  }
  return absl::OkStatus();
}

UniformEvaluator::UniformEvaluator(const Game& game)
    : num_actions_(game.NumActions()) {}

absl::Status UniformEvaluator::Evaluate(absl::Span<const State* const> states,
                                        absl::Span<float> priors,
                                        absl::Span<LeafEvaluation> results) {
  RETURN_IF_ERROR(CheckEvaluateBuffers(states.size(), num_actions_,
                                       priors.size(), results.size()));
  if (states.empty()) return absl::OkStatus();
  ThreadScratch& scratch = Scratch(states[0]->game());
  for (size_t i = 0; i < states.size(); ++i) {
    UniformPrior(*states[i], num_actions_, scratch.legal.data(),
                 priors.data() + i * num_actions_);
    results[i] = LeafEvaluation{};
  }
  return absl::OkStatus();
}

RolloutEvaluator::RolloutEvaluator(const Game& game, int num_rollouts,
                                   uint64_t seed)
    : game_(game),
      num_actions_(game.NumActions()),
      num_rollouts_(num_rollouts),
      seed_(seed) {}

absl::StatusOr<std::unique_ptr<RolloutEvaluator>> RolloutEvaluator::Create(
    const Game& game, int num_rollouts, uint64_t seed) {
  if (num_rollouts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the number of rollouts per leaf must be at least 1 (got ",
                     num_rollouts, ")"));
  }
  return std::make_unique<RolloutEvaluator>(game, num_rollouts, seed);
}

std::string RolloutEvaluator::Name() const {
  return absl::StrCat("rollout:k=", num_rollouts_);
}

absl::Status RolloutEvaluator::Evaluate(absl::Span<const State* const> states,
                                        absl::Span<float> priors,
                                        absl::Span<LeafEvaluation> results) {
  RETURN_IF_ERROR(CheckEvaluateBuffers(states.size(), num_actions_,
                                       priors.size(), results.size()));
  ThreadScratch& scratch = Scratch(game_);
  Action* legal = scratch.legal.data();
  State& playout = *scratch.state;
  for (size_t i = 0; i < states.size(); ++i) {
    const State& state = *states[i];
    UniformPrior(state, num_actions_, legal, priors.data() + i * num_actions_);
    const Player me = state.ToMove();
    base::Rng rng(base::HashPair(seed_, state.Hash()));
    ValueEstimate sum{0.0f, 0.0f, 0.0f};
    for (int k = 0; k < num_rollouts_; ++k) {
      playout.CopyFrom(state);
      while (!playout.IsTerminal()) {
        int n = playout.FillLegalActions(legal);
        playout.Apply(legal[rng.Below(n)]);
      }
      const ValueEstimate one = CertainOf(playout.Reward(me));
      sum.win += one.win;
      sum.draw += one.draw;
      sum.loss += one.loss;
    }
    const float k = static_cast<float>(num_rollouts_);
    // The frequencies estimate the outcome; they are not a reward, even
    // though each playout ended with one.
    results[i] = LeafEvaluation{
        ValueEstimate{sum.win / k, sum.draw / k, sum.loss / k}, std::nullopt};
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SolverEvaluator>> SolverEvaluator::Create(
    const Game& game) {
  std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
  if (solver == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(game.Name(), " has no exact solver"));
  }
  return std::unique_ptr<SolverEvaluator>(
      new SolverEvaluator(game, std::move(solver)));
}

SolverEvaluator::SolverEvaluator(const Game& game,
                                 std::unique_ptr<ExactSolver> solver)
    : game_(game), num_actions_(game.NumActions()) {
  idle_.push_back(std::move(solver));
}

std::unique_ptr<ExactSolver> SolverEvaluator::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<ExactSolver> solver = std::move(idle_.back());
      idle_.pop_back();
      return solver;
    }
  }
  return game_.NewExactSolver();
}

void SolverEvaluator::Return(std::unique_ptr<ExactSolver> solver) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(solver));
}

absl::Status SolverEvaluator::Evaluate(absl::Span<const State* const> states,
                                       absl::Span<float> priors,
                                       absl::Span<LeafEvaluation> results) {
  RETURN_IF_ERROR(CheckEvaluateBuffers(states.size(), num_actions_,
                                       priors.size(), results.size()));
  std::unique_ptr<ExactSolver> solver = Borrow();
  absl::Status status = absl::OkStatus();
  for (size_t i = 0; i < states.size() && status.ok(); ++i) {
    absl::StatusOr<std::vector<MoveValue>> moves =
        solver->SolveMoves(*states[i]);
    if (!moves.ok()) {
      status = moves.status();
      break;
    }
    if (moves->empty()) {
      status = absl::InvalidArgumentError(
          "the solver evaluator was given a finished game");
      break;
    }
    ExactValue best = (*moves)[0].value;
    for (const MoveValue& m : *moves) {
      if (IsBetterExactValue(m.value, best)) best = m.value;
    }
    float* p = priors.data() + i * num_actions_;
    std::fill(p, p + num_actions_, 0.0f);
    int optimal = 0;
    for (const MoveValue& m : *moves) {
      if (!IsBetterExactValue(best, m.value)) ++optimal;
    }
    for (const MoveValue& m : *moves) {
      if (!IsBetterExactValue(best, m.value)) p[m.action] = 1.0f / optimal;
    }
    results[i] = LeafEvaluation{CertainOf(best.reward), best};
  }
  Return(std::move(solver));
  return status;
}

}  // namespace az::engine
