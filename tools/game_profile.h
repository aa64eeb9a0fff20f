// Everything az chooses differently per game, in one table: the network's
// size, the training defaults behind az train's "0: per game" flags, and
// the defaults of az gap. Library code below tools/ takes all of these as
// plain values; only this file looks at a game's name to pick them, so a
// new game gets its settings here (or the generic ones) and nowhere else.
#pragma once

#include <cstdint>
#include <string>

#include "games/game.h"
#include "nn/network_config.h"

namespace az {

// Defaults of az train that depend on the game: small games want small
// batches, short windows and frequent weight updates. These reach the
// README's targets on a 2-core CPU.
struct TrainingDefaults {
  int sims = 64;
  int games_per_thread = 64;
  int temperature_moves = -1;  // -1: the search's default for the game
  int random_opening_moves = 0;
  int quick_sims = 0;  // 0: no playout-cap randomization
  // Entries of the self-play evaluation cache (0: none).
  int64_t selfplay_cache = 0;
  std::string value_target = "z";
  int64_t replay_positions = 100000;
  int64_t min_positions = 4000;
  int batch_size = 256;
  double learning_rate = 2e-3;
  double samples_per_position = 4;
  int publish_every = 25;
  int checkpoint_every = 250;
  double report_seconds = 30;
  int64_t eval_every = 1000;
  int eval_sims = 200;
};

struct GameProfile {
  // The network az init and az train build when --blocks/--channels are 0.
  int blocks = 4;
  int channels = 64;
  TrainingDefaults training;
  // az gap: positions before this ply are left out of the measurements
  // unless --min_ply says otherwise (openings every game shares).
  int gap_min_ply = 0;
};

// The profile of `game`; games without an entry get the generic one.
const GameProfile& ProfileOf(const Game& game);

// The network of `game` with `blocks` x `channels`, the profile's size
// where either is 0 (the --blocks/--channels of az init, train, bench).
nn::NetworkConfig NetworkOf(const Game& game, int blocks = 0,
                            int channels = 0);

}  // namespace az
