// The evaluators that live with the engine: a uniform prior with a zero
// value (measures the tree alone), random rollouts, and the exact solver of
// games/ where the game has one. The network evaluator (nn/) implements the
// same interface.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "games/game.h"
#include "games/solver.h"

namespace az::engine {

// Uniform prior over the legal moves and a value of 0 (a certain draw).
class UniformEvaluator final : public Evaluator {
 public:
  explicit UniformEvaluator(const Game& game);
  std::string Name() const override { return "uniform"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override;

 private:
  int num_actions_;
};

// Uniform prior; the value is the win/draw/loss frequency of
// `num_rollouts` uniformly random playouts from the position, for its side
// to move (a graded payoff p counts as a win with weight p, or a loss with
// weight -p, and a draw with the rest, so the value's expectation is the
// mean payoff). Each position's playouts are seeded from (seed, position hash),
// so the evaluation is a function of the position: repeatable, independent
// of batching and threads, and safe to cache.
class RolloutEvaluator final : public Evaluator {
 public:
  RolloutEvaluator(const Game& game, int num_rollouts, uint64_t seed);
  // Checks num_rollouts >= 1.
  static absl::StatusOr<std::unique_ptr<RolloutEvaluator>> Create(
      const Game& game, int num_rollouts, uint64_t seed);
  std::string Name() const override;
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override;
  // Another seed: other playouts from every position. Not while Evaluate
  // runs (a player reseeds between games).
  void set_seed(uint64_t seed) { seed_ = seed; }

 private:
  const Game& game_;
  int num_actions_;
  int num_rollouts_;
  uint64_t seed_;
};

// The game's exact solver (under the game's reward spec): the prior is
// uniform over the optimal moves (best reward, then best score), the value
// is the exact outcome (for a graded payoff p, the estimate whose
// expectation is p) and LeafEvaluation::exact is set. Solvers are not thread-safe, so each call
// borrows one from a pool (one per concurrent caller).
class SolverEvaluator final : public Evaluator {
 public:
  // FailedPrecondition when the game has no exact solver.
  static absl::StatusOr<std::unique_ptr<SolverEvaluator>> Create(
      const Game& game);
  std::string Name() const override { return "solver"; }
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<LeafEvaluation> results) override;

 private:
  explicit SolverEvaluator(const Game& game, std::unique_ptr<ExactSolver> s);
  std::unique_ptr<ExactSolver> Borrow();
  void Return(std::unique_ptr<ExactSolver> solver);

  const Game& game_;
  int num_actions_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<ExactSolver>> idle_;
};

// Checks the sizes of an Evaluate() call's buffers: `priors` must hold
// states.size() * num_actions values and `results` states.size() entries.
absl::Status CheckEvaluateBuffers(size_t num_states, int num_actions,
                                  size_t priors_size, size_t results_size);

}  // namespace az::engine
