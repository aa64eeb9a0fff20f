// The options of `az match` as plain values, and their checks: which
// players, how many games, the rated anchor, how many games at once. The
// flags are read in tools/match_command.cc; what is here takes their values,
// so that tests can call it in-process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "selfplay/match.h"
#include "selfplay/player.h"

namespace az {

// The command line of `az match`, one field per flag.
struct MatchFlagValues {
  std::string players;    // --players: SPEC,SPEC[,...]
  int games = 10;         // --games: games of each pair of players
  int opening_plies = 2;  // --opening_plies: random plies opening each pair
  std::string anchor;     // --anchor: the spec rated 0; empty: the first
  std::string start;      // --start: moves played before every opening
  int threads = 0;        // --threads: games at once; 0: the default
  uint64_t seed = 1;      // --seed
};

// What the match is, checked.
struct MatchCommandOptions {
  // The players' specs, in the order given (two or more).
  std::vector<std::string> specs;
  // The index in `specs` of the player whose rating is fixed at 0.
  int anchor = 0;
  // Games per pair, openings, start position, games at once and seed.
  selfplay::MatchOptions match;
  // How the players are made from their specs (search settings, inference
  // server, a human's streams); ResolveMatchOptions leaves it default.
  selfplay::PlayerOptions players;
};

// Games played at once for --threads=`requested`: the value itself when it
// is positive, else one per core of `hardware_threads` (at least one, at
// most 8).
int MatchThreads(int requested, unsigned hardware_threads);

// Checks `flags` and turns them into options: two or more players, --games
// at least 1, an --anchor that is one of the players. Each failure is a
// usage error naming the flag. Nothing is loaded: the specs are parsed when
// the players are made.
absl::StatusOr<MatchCommandOptions> ResolveMatchOptions(
    const MatchFlagValues& flags, unsigned hardware_threads);

}  // namespace az
