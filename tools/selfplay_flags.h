// Flags of the subcommands that run the self-play actor farm (bench
// --what=selfplay, selfplay, train). Defined once in selfplay_flags.cc.
#pragma once

#include <gflags/gflags.h>

DECLARE_int32(actor_threads);
DECLARE_int32(games_per_thread);
DECLARE_int64(selfplay_cache);
