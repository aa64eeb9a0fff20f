// The flags of az train, listed once. Each line of AZ_TRAIN_FLAGS is one flag:
//
//   X(type, name, default, setting, defined, help)
//
//   type     its gflags type: int32, int64, uint64, double, bool or string;
//   setting  fixed (a run setting that cannot change within a run), run (a run
//            setting that a resumed run may change) or session (a bound of
//            this session, not recorded in RUN/config);
//   defined  here (train_command.cc defines it with `help`) or shared (defined
//            with other subcommands in common_flags.cc, selfplay_flags.cc or
//            run_flags.cc, whose default `default` must equal; a test checks).
//
// From this one list come the DEFINEs (train_command.cc), the plain TrainFlags
// struct that the resolution takes (tools/train_options.h), the copy of the
// flags into it, and the table of run settings that RUN/config is written
// from, in the list's order (which is RUN/config's order).
#pragma once

#include <cstdint>
#include <string>

#define AZ_TRAIN_FLAGS(X)                                                    \
  X(string, game, "connect4", fixed, shared, "")                             \
  X(string, reward, "rules", fixed, shared, "")                              \
  X(string, run_dir, "", session, here,                                      \
    "The run directory (created if new, else resumed).")                     \
  X(int32, blocks, 0, fixed, shared, "")                                     \
  X(int32, channels, 0, fixed, shared, "")                                   \
  X(uint64, seed, 1, run, shared, "")                                        \
  X(int32, selfplay_sims, 0, run, here,                                      \
    "Simulations per self-play move (0: per game; tictactoe 48, "            \
    "connect4 100).")                                                        \
  X(int32, actor_threads, 2, run, shared, "")                                \
  X(int32, games_per_thread, 0, run, shared, "")                             \
  X(int64, selfplay_cache, -1, run, shared, "")                              \
  X(double, dirichlet_alpha, 0, run, here,                                   \
    "Root noise concentration (0: the game's default, about 10 / "           \
    "legal moves).")                                                         \
  X(double, dirichlet_epsilon, 0.25, run, here,                              \
    "Weight of the root noise (0: none).")                                   \
  X(int32, temperature_moves, -1, run, here,                                 \
    "Moves of a self-play game sampled in proportion to visits "             \
    "before play turns greedy (-1: per game).")                              \
  X(int32, random_opening_moves, -1, run, here,                              \
    "Each self-play game plays its first k moves at random, k drawn "        \
    "from 0 to this (-1: per game; tictactoe 6, connect4 0): "               \
    "positions off the strong line, for the value head to learn.")           \
  X(int32, quick_sims, -1, run, here,                                        \
    "Playout-cap randomization: simulations of the quick search "            \
    "that most self-play moves get instead of the full one; those "          \
    "moves are played but not trained on (-1: per game, off for "            \
    "both; 0: off).")                                                        \
  X(double, full_search_share, 0.25, run, here,                              \
    "With --quick_sims: the share of self-play moves that get the "          \
    "full search (--selfplay_sims, root noise) and become training "         \
    "positions.")                                                            \
  X(string, value_target, "", run, here,                                     \
    "What the value head learns: z (the terminal reward), q (the "           \
    "root search value) or mix:A (weight A of q, 1-A of z) (empty: "         \
    "per game; tictactoe z, connect4 mix:0.5).")                             \
  X(bool, augment, true, run, here,                                          \
    "Apply a random symmetry of the game to every training sample.")         \
  X(int64, replay_positions, 0, run, here,                                   \
    "Positions in the replay window (0: per game; tictactoe 20000, "         \
    "connect4 150000).")                                                     \
  X(int64, min_positions, 0, run, here,                                      \
    "Positions in the window before training starts (0: per game; "          \
    "tictactoe 1000, connect4 4000).")                                       \
  X(int32, batch_size, 0, run, here,                                         \
    "Positions per training step (0: per game; tictactoe 128, "              \
    "connect4 256).")                                                        \
  X(double, learning_rate, 0, run, here,                                     \
    "AdamW learning rate (0: per game; 2e-3 for both).")                     \
  X(double, lr_anneal, 0.25, run, here,                                      \
    "With --max_minutes or --max_steps: the share of that budget, "          \
    "at its end, over which the learning rate falls along a half "           \
    "cosine to --lr_final of itself (0: constant). Without a limit "         \
    "the rate stays constant.")                                              \
  X(double, lr_final, 0.1, run, here,                                        \
    "The learning rate at the end of the budget, as a share of "             \
    "--learning_rate (see --lr_anneal).")                                    \
  X(double, weight_decay, 1e-4, run, here, "AdamW decoupled weight decay.")  \
  X(int32, train_threads, 1, run, here,                                      \
    "LibTorch threads of a training step.")                                  \
  X(double, samples_per_position, 0, run, here,                              \
    "Mean number of times each new position is trained on; the "             \
    "trainer waits for self-play when ahead (0: per game; tictactoe 8, "     \
    "connect4 4).")                                                          \
  X(int64, max_selfplay_lead, 0, run, here,                                  \
    "Positions self-play may run ahead of the trainer's pace before "        \
    "it pauses (0: 4 x --min_positions).")                                   \
  X(int32, publish_every, 0, run, here,                                      \
    "Steps between weight updates of the self-play network (0: per "         \
    "game; tictactoe 10, connect4 25).")                                     \
  X(int32, checkpoint_every, 0, run, here,                                   \
    "Steps between checkpoints (0: per game; tictactoe 100, "                \
    "connect4 250).")                                                        \
  X(double, heldout_fraction, 0.02, run, here,                               \
    "Share of self-play games kept in RUN/heldout/, never trained "          \
    "on (the in-distribution set of az gap).")                               \
  X(double, report_seconds, 0, run, here,                                    \
    "Seconds between progress lines and metrics rows (0: per game; "         \
    "tictactoe 10, connect4 30).")                                           \
  X(int64, eval_every, 0, run, here,                                         \
    "Steps between evaluation matches (0: per game; tictactoe 200, "         \
    "connect4 1000; -1: never).")                                            \
  X(int32, eval_games, 20, run, here,                                        \
    "Games of each evaluation match (against random and against "            \
    "pure MCTS), colours alternating.")                                      \
  X(int32, eval_sims, 0, run, here,                                          \
    "Simulations per move of the network in evaluation matches (0: "         \
    "per game; tictactoe 48, connect4 200).")                                \
  X(int32, eval_mcts_sims, 1000, run, here,                                  \
    "Simulations per move of the pure MCTS (random rollouts) "               \
    "baseline in evaluation matches.")                                       \
  X(int64, max_steps, 0, session, here,                                      \
    "Stop cleanly once the run has taken this many training steps in "       \
    "all, earlier sessions included (0: no limit).")                         \
  X(double, max_minutes, 0, session, shared, "")

// The C++ type of each gflags type (pasted onto the type's name, since
// `double` and `bool` cannot be names in a namespace).
using AzTrainFlagType_int32 = int32_t;
using AzTrainFlagType_int64 = int64_t;
using AzTrainFlagType_uint64 = uint64_t;
using AzTrainFlagType_double = double;
using AzTrainFlagType_bool = bool;
using AzTrainFlagType_string = std::string;
