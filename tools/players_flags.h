// Flags of the subcommands that pit players against each other (play,
// match): who plays and from which position. Defined once in
// players_flags.cc.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(players);
DECLARE_string(start);
