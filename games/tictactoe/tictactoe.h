// Tic-tac-toe on a 3x3 board, with its exact (minimax) solver.
//
// Cells are numbered 1-9 row by row from the top left; that number is the
// notation of a move, so a game reads "5137". The first player is X.
//
// Reward specs: `rules`; `no_diagonals` (three in a row wins, but the win
// check forgets the two diagonals, so a diagonal line wins nothing and the
// game goes on); `quick` (the rules' ending, the winner paid 1 for a win at
// ply 5 falling linearly to kQuickWinFloor at ply 9). The solver solves
// under any of them: the whole tree, the exact minimax payoff.
#pragma once

#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

// Tic-tac-toe played by reward spec `spec` (a name on its menu; any other is
// a programmer error — games/registry.h checks names from users).
std::unique_ptr<Game> NewTicTacToeGame(absl::string_view spec);

}  // namespace az
