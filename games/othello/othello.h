// Othello (Reversi) on the standard 8x8 board, with bitboard rules.
//
// Squares are named as in tournament notation: a column a-h then a row 1-8
// ("d3"; upper case is read too). Square `col + 8 * (row - 1)` (a1 = 0,
// h1 = 7, a8 = 56, h8 = 63) is both the bit of that square in the bitboards
// and the action that places a disc there; action 64 is "pass", legal only
// when the side to move has no placing move and the game is not over. Moves
// are written back to back ("f5d6c3") or separated by spaces.
//
// Black (X, the first player) moves first from d5 e4 (black) and d4 e5
// (white). The game ends when neither side can place a disc; more discs wins.
//
// Reward specs: `rules`; `discs` (the final disc difference / 64, a payoff
// in [-1, 1]); `corners` (whoever holds more corners at the end wins, discs
// breaking a tie). All end the game where the rules do; no exact solver.
//
// Observation: 4 planes of 8x8 from the side to move's view — own discs,
// opponent discs, the squares where the side to move can place, all ones.
// Plane row r, column c is square `c + 8 * r`: row 0 is row "1" and column 0
// is column "a", the same orientation as State::ToString() draws.
#pragma once

#include <memory>

#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

// Othello played by reward spec `spec` (a name on its menu; any other is a
// programmer error — games/registry.h checks names from users).
std::unique_ptr<Game> NewOthelloGame(absl::string_view spec);

}  // namespace az
