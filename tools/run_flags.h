// Flags that name a training run and bound a session, shared by az gap
// (--run: a run directory), az train (--max_minutes) and az selfplay
// (--run: the run's name in the store; --max_minutes). Defined once in
// run_flags.cc.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(run);
DECLARE_double(max_minutes);
