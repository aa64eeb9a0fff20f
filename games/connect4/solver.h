// The exact Connect Four solver: the score of any position under perfect play.
//
// A negamax search with alpha-beta on the bitboards of games/connect4, made
// fast by the techniques Pascal Pons describes in "Solving Connect 4":
// null-window probes that narrow the score interval, a fixed-size
// transposition table of bounds, moves that lose at once pruned by bitboard
// (forced blocks played, cells under an opponent threat avoided), and moves
// ordered by how many winning cells they create, centre columns first.
//
// Scores follow Pons' convention for the side to move: a win with the
// winner's k-th stone scores 22 - k, a loss the negative, a draw 0.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "games/solver.h"

namespace az {

class Connect4Search;

class Connect4Solver final : public ExactSolver {
 public:
  Connect4Solver();
  ~Connect4Solver() override;

  absl::StatusOr<ExactValue> Solve(const State& state) override;
  absl::StatusOr<std::vector<MoveValue>> SolveMoves(
      const State& state) override;
  uint64_t nodes_searched() const override;

  // The score of the position with the side to move's stones `current` and
  // all stones `mask` (layout of games/connect4/connect4.h), which must be an
  // unfinished game.
  int SolveScore(uint64_t current, uint64_t mask, int moves);

 private:
  std::unique_ptr<Connect4Search> search_;
};

std::unique_ptr<ExactSolver> NewConnect4Solver();

}  // namespace az
