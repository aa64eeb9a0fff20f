#include "tools/common_flags.h"

DEFINE_string(game, "connect4",
              "Game to play: tictactoe, connect4 or othello.");
DEFINE_string(reward, "rules",
              "Reward spec from the game's menu (rules: the real rules; "
              "tictactoe and connect4 also no_diagonals and quick, othello "
              "discs and corners). train: what the run's games are paid "
              "under, fixed for the run's life. match: the spec the games "
              "are played and scored by. gap: the spec whose exact values are "
              "the ground truth (unset: a run's own reward, as RUN/config "
              "records it, else rules); for a spec other than the rules the "
              "report adds the inner/outer/total decomposition.");
DEFINE_bool(json, false,
            "Print exactly one JSON object with the figures on stdout (logs "
            "stay on stderr).");
DEFINE_string(out, "",
              "Where a command writes its output. init: the checkpoint; "
              "match: the results per pair as CSV; gap: the report "
              "directory.");
DEFINE_uint64(seed, 1, "Seed of every random choice, for repeatable runs.");
DEFINE_int32(blocks, 0,
             "Residual blocks of a new network (0: the game's default).");
DEFINE_int32(channels, 0,
             "Channels of a new network's tower (0: the game's default).");
DEFINE_int32(threads, 0,
             "Threads (0: the subcommand's default). solve: solver threads, "
             "each with its own solver and tables, default one per CPU core. "
             "analyze: threads that search one tree together, default 1. "
             "bench: independent search threads, default 1. match: games "
             "played at once (one search thread each), default one per "
             "core up to 8. play: threads of each engine's search, default "
             "1.");
