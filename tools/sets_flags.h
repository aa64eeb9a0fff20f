// The flag that names sets of positions, shared by az gap (the sets it
// measures on) and az serve (the sets it lets a person browse). Defined once
// in sets_flags.cc.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(sets);
