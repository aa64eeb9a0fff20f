// Flags that several subcommands share (defined once in common_flags.cc);
// `az help NAME` lists them under every subcommand. Subcommands read them in
// their own file and pass plain values inward.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(game);
DECLARE_string(reward);
DECLARE_bool(json);
DECLARE_string(out);
DECLARE_uint64(seed);
DECLARE_int32(blocks);
DECLARE_int32(channels);
DECLARE_int32(threads);
