// The exact Connect Four solver: the score of any position under perfect play.
//
// A negamax search with alpha-beta on the bitboards of games/connect4, built
// on the techniques Pascal Pons describes in "Solving Connect 4": moves that
// lose at once pruned by bitboard (forced blocks played, cells under an
// opponent threat avoided), moves ordered by how many winning cells they
// create, centre columns first, a transposition table, and null-window
// probes that narrow the score (win/draw/loss first, then bisection). On top
// of those: a bucketed table that keeps both bounds and the best move of a
// position and evicts the cheapest work first, enhanced transposition
// cutoffs, mirror images sharing entries in the opening, and Allis'
// follow-up rule as a cheap bound.
//
// Scores follow Pons' convention for the side to move: a win with the
// winner's k-th stone scores 22 - k, a loss the negative, a draw 0. A solver
// holds a 128 MiB table, kept across calls (its entries stay valid), and is
// not thread-safe: use one per thread.
//
// A solver solves under one reward spec (games/connect4/connect4.h): the
// search is compiled once per win check (every direction for `rules` and
// `quick`, rows and columns only for `no_diagonals`), so the rules' search
// pays nothing for the choice. Under `quick` the reward is the exact minimax
// payoff, which the score determines.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "games/connect4/connect4.h"
#include "games/game.h"
#include "games/solver.h"

namespace az {

class Connect4Search;

class Connect4Solver final : public ExactSolver {
 public:
  // The solver of `game` (Connect Four played by `spec`), which outlives it.
  // Game::NewExactSolver() of a Connect Four game makes one.
  Connect4Solver(const Game* game, connect4::Spec spec);
  ~Connect4Solver() override;

  absl::StatusOr<ExactValue> Solve(const State& state) override;
  absl::StatusOr<std::vector<MoveValue>> SolveMoves(
      const State& state) override;
  uint64_t nodes_searched() const override;

  // The score of the position with the side to move's stones `current` and
  // all stones `mask` (layout of games/connect4/connect4.h), which must be an
  // unfinished game under the solver's spec.
  int SolveScore(uint64_t current, uint64_t mask, int moves);

 private:
  ExactValue ValueOfScore(int score, int moves) const;
  // `state` as a position of this solver's game, or why it is not one.
  absl::StatusOr<const Connect4State*> AsOwnState(const State& state) const;

  const Game* game_;
  connect4::Spec spec_;
  std::unique_ptr<Connect4Search> search_;
};

}  // namespace az
