#include "tools/selfplay_flags.h"

DEFINE_int32(actor_threads, 2,
             "Self-play threads; each plays its own games and sends one "
             "leaf of each to the network per round.");
DEFINE_int32(games_per_thread, 0,
             "Games each actor thread plays at once, the batch it sends per "
             "round (0: the command's default: bench 128; train per game, "
             "tictactoe 32, connect4 64; selfplay the run's setting).");
DEFINE_int64(selfplay_cache, -1,
             "Entries of the evaluation cache in front of the self-play "
             "network, shared by the actor threads and emptied of old "
             "values when new weights arrive: transpositions and the "
             "openings games share cost one network evaluation (-1: the "
             "default: bench and train per game, selfplay the run's "
             "setting; 0: none).");
