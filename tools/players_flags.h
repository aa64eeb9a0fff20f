// Flags of the subcommands that pit players against each other (play,
// match) or measure them (gap): who plays and from which position. Defined
// once in players_flags.cc; the grammar of a player spec is
// selfplay/spec.h's.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(players);
DECLARE_string(start);
