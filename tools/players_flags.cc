#include "tools/players_flags.h"

DEFINE_string(players, "",
              "The players, comma-separated, first to move first: human, "
              "random, mcts[:sims=N] (random rollouts), solver (perfect "
              "play), net:PATH[:sims=N|:raw] (a checkpoint; raw or sims=0 "
              "plays the policy head alone), run:DIR[:sims=N|:raw] (the "
              "latest checkpoint of a run). play: two players (default "
              "human,mcts); match: two or more.");
DEFINE_string(start, "",
              "Moves played before the game starts, in the game's notation.");
