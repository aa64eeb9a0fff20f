#include "tools/run_flags.h"

DEFINE_string(run, "",
              "A training run. az gap: its directory (every checkpoint of "
              "RUN/checkpoints is measured in training order, and the run's "
              "held-out games, heldout:RUN, join the sets). az selfplay: its "
              "name in the store (the learner's run directory's last "
              "component, or its --run_name).");
DEFINE_double(max_minutes, 0,
              "Stop cleanly after this many minutes of this session (0: run "
              "until interrupted).");
