// Exact solvers: the game-theoretic value of a position under perfect play.
//
// An exact value is grounded in the rules (it is the terminal reward that
// perfect play reaches), never in a learned estimate. Games that can be solved
// return a solver from Game::NewExactSolver(); a solver solves under the
// reward spec of the Game that made it (its ending and its payoffs), and
// refuses the states of a game played by another spec.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "games/reward.h"

namespace az {

struct ExactValue {
  // The terminal reward the side to move obtains under perfect play: the
  // minimax payoff of the solver's reward spec (+1 / 0 / -1 for a ternary
  // spec, any value in [-1, 1] for a graded one such as `quick`).
  TerminalReward reward = TerminalReward::Draw();
  // A game-specific score with the sign of `reward` whose magnitude says how
  // early the game ends (Connect Four uses Pascal Pons' convention: a win
  // with the winner's k-th stone scores 22 - k). 0 for a draw. It orders
  // values of equal reward (win sooner, lose later).
  int score = 0;
};

struct MoveValue {
  Action action = kNoAction;
  // The value of playing `action`, for the player who plays it.
  ExactValue value;
};

class ExactSolver {
 public:
  virtual ~ExactSolver() = default;

  // The exact value of `state` for its side to move. A finished game's value
  // is its terminal reward. Fails only where this solver cannot handle the
  // position (a state of another game, for instance).
  virtual absl::StatusOr<ExactValue> Solve(const State& state) = 0;

  // The exact value of every legal move of `state`, in increasing action
  // order. The default solves each child position.
  virtual absl::StatusOr<std::vector<MoveValue>> SolveMoves(const State& state);

  // Positions searched since construction (a measure of the work done).
  virtual uint64_t nodes_searched() const = 0;
};

// The value of a move whose resulting position has exact value `child` for
// the opponent.
ExactValue NegateExactValue(ExactValue child);

// Whether `a` is strictly better than `b` for the same player: a better
// reward, or the same reward with a larger score (win sooner, lose later).
bool IsBetterExactValue(ExactValue a, ExactValue b);

}  // namespace az
