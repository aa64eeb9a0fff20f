#include "tools/selfplay_flags.h"

DEFINE_int32(actor_threads, 2,
             "Self-play threads; each plays its own games and sends one "
             "leaf of each to the network per round.");
DEFINE_int32(games_per_thread, 0,
             "Games each actor thread plays at once, the batch it sends per "
             "round (0: the command's default: bench 128; train per game, "
             "tictactoe 32, connect4 64; selfplay the run's setting).");
