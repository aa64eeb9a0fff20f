// The random-simulation test every game gets, under every reward spec: play
// many random games and check the interface's invariants at every step
// (legal moves, notation and hash round trips, symmetries, observation,
// terminal rewards: zero-sum, in range, ternary where the spec says so; the
// intended verdict against the same moves played by the real rules).
#pragma once

#include <cstdint>
#include <string>

#include "games/game.h"

namespace az::testing {

// Plays `num_games` uniformly random games of `game` from `seed` and records
// gtest failures for every broken invariant (stops a game at its first one).
void CheckRandomGames(const Game& game, int num_games, uint64_t seed);

// CheckRandomGames() for the game called `name` under every reward spec of
// its menu: `num_games` under the rules, `num_proxy_games` (the same if
// negative) under each other spec.
void CheckRandomGamesEverySpec(const std::string& name, int num_games,
                               uint64_t seed, int num_proxy_games = -1);

}  // namespace az::testing
