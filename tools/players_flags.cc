#include "tools/players_flags.h"

DEFINE_string(players, "",
              "The players, comma-separated, first to move first: human, "
              "random, mcts[:OPTS] (random rollouts), solver (perfect "
              "play), net:PATH[:OPTS] (a checkpoint), run:DIR[:OPTS] (the "
              "latest checkpoint of a run). OPTS, each after a ':': sims=N "
              "(simulations a move), c_init=X and fpu=X (this player's "
              "--c_init and --fpu_reduction), and for networks raw (or "
              "sims=0: the policy head alone). play: two players (default "
              "human,mcts); match: two or more.");
DEFINE_string(start, "",
              "Moves played before the game starts, in the game's notation.");
