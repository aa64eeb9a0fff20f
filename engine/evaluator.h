// The Evaluator interface: what the search asks of a position it cannot
// resolve by the rules — a prior over the legal actions and an estimate of
// the outcome for the side to move.
//
// engine/ knows nothing of LibTorch: the network (nn/), the uniform prior,
// random rollouts and the exact solver all sit behind this interface, and
// features such as the evaluation cache are decorators around it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "games/game.h"
#include "games/solver.h"

namespace az::engine {

// An estimate of how the game will end for the side to move, as
// win/draw/loss probabilities. It is never a reward: rewards come only from
// the rules (TerminalReward); this is what a network, a rollout or a
// heuristic believes.
struct ValueEstimate {
  float win = 0.0f;
  float draw = 1.0f;
  float loss = 0.0f;

  // The expected reward under this estimate: P(win) - P(loss), in [-1, 1].
  float Scalar() const { return win - loss; }
  // The same estimate seen by the opponent.
  ValueEstimate ForOpponent() const { return {loss, draw, win}; }
  // The estimate with expectation v and no draw probability:
  // win = (1 + v) / 2, loss = (1 - v) / 2.
  static ValueEstimate FromScalar(float v);
};

// What an evaluator says of one position. `value` is always set; `exact` is
// set only when the evaluator knows the game-theoretic value (the exact
// solver does): then the search treats the position as proven, grounded in
// the rules rather than in a learned estimate.
struct LeafEvaluation {
  ValueEstimate value;
  std::optional<ExactValue> exact;
  // Which version of the evaluator's weights produced this (0 where the
  // evaluator has no weights).
  int64_t weights_version = 0;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;

  // A short name for reports ("uniform", "rollout:k=8", "net:PATH").
  virtual std::string Name() const = 0;

  // Evaluates `states` (none terminal) in one batch. For state i it writes
  // `priors[i * num_actions + a]` for every action a of the game (a
  // probability distribution over the legal actions, zero elsewhere) and
  // `results[i]`. Safe to call from several threads at once.
  virtual absl::Status Evaluate(absl::Span<const State* const> states,
                                absl::Span<float> priors,
                                absl::Span<LeafEvaluation> results) = 0;
};

}  // namespace az::engine
