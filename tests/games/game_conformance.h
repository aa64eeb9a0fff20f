// The random-simulation test every game gets: play many random games and check
// the interface's invariants at every step (legal moves, notation and hash
// round trips, symmetries, observation, terminal rewards).
#pragma once

#include <cstdint>

#include "games/game.h"

namespace az::testing {

// Plays `num_games` uniformly random games of `game` from `seed` and records
// gtest failures for every broken invariant (stops a game at its first one).
void CheckRandomGames(const Game& game, int num_games, uint64_t seed);

}  // namespace az::testing
