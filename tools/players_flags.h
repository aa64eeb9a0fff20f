// Flags of the subcommands that pit players against each other (play,
// match) or measure them (gap): who plays and from which position, and how
// the players are made from the search and network flags. Defined once in
// players_flags.cc; the grammar of a player spec is selfplay/spec.h's.
#pragma once

#include <gflags/gflags.h>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "selfplay/player.h"

DECLARE_string(players);
DECLARE_string(start);

namespace az {

// How play and match make their players: the search flags at full strength
// (engine::FullStrength) and --rollouts, networks served as the network
// flags say. With one game at a time (play) each search has --threads
// threads; with several (match, where --threads counts games) one each, and
// the server serves `games_at_once` searches. A bad value is a usage error
// naming its flag. A person's streams are left for the caller to set.
absl::StatusOr<selfplay::PlayerOptions> PlayerOptionsFromFlags(
    const Game& game, int games_at_once);

}  // namespace az
