// Tic-tac-toe on a 3x3 board, with its exact (minimax) solver.
//
// Cells are numbered 1-9 row by row from the top left; that number is the
// notation of a move, so a game reads "5137". The first player is X.
#pragma once

#include <cstdint>
#include <memory>

#include "games/game.h"

namespace az {

std::unique_ptr<Game> NewTicTacToeGame();

}  // namespace az
