// The game registry: turns a game's name into its (immutable, shared) Game.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

// The game called `name` ("tictactoe", "connect4", "othello"), or NotFound
// with the list of known names. The Game lives for the whole program.
absl::StatusOr<const Game*> FindGame(absl::string_view name);

// The names of all registered games, sorted.
std::vector<std::string> GameNames();

}  // namespace az
