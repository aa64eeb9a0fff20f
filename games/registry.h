// The game registry: turns a game's name, and optionally a reward spec of its
// menu, into its (immutable, shared) Game.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "games/game.h"

namespace az {

// The game called `name` ("tictactoe", "connect4", "othello") played by its
// rules, or NotFound with the list of known names. The Game lives for the
// whole program.
absl::StatusOr<const Game*> FindGame(absl::string_view name);

// The game called `name` played by its reward spec `spec` (an entry of its
// RewardSpecs(); "rules" gives what FindGame() gives). NotFound for an
// unknown game, as FindGame(); InvalidArgument, in one line listing the
// game's specs, for a spec not on its menu. One Game per game and spec,
// living for the whole program.
absl::StatusOr<const Game*> FindGameWithReward(absl::string_view name,
                                               absl::string_view spec);

// The names of all registered games, sorted.
std::vector<std::string> GameNames();

// The names of `game`'s reward specs, in menu order ("rules" first).
std::vector<std::string> RewardSpecNames(const Game& game);

}  // namespace az
