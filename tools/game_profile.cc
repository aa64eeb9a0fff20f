#include "tools/game_profile.h"

#include <map>

namespace az {
namespace {

GameProfile TicTacToe() {
  GameProfile p;
  p.blocks = 2;
  p.channels = 32;
  TrainingDefaults& d = p.training;
  d.sims = 48;
  d.games_per_thread = 32;
  d.temperature_moves = 3;
  d.random_opening_moves = 6;
  // Tic-tac-toe has 4520 positions: reusing each sample more cannot
  // overfit, and it fits the value of rare positions sooner.
  d.samples_per_position = 8;
  d.replay_positions = 20000;
  d.min_positions = 1000;
  d.batch_size = 128;
  d.publish_every = 10;
  d.checkpoint_every = 100;
  d.report_seconds = 10;
  d.eval_every = 200;
  d.eval_sims = 48;
  return p;
}

GameProfile ConnectFour() {
  GameProfile p;
  p.blocks = 2;
  p.channels = 32;
  TrainingDefaults& d = p.training;
  d.sims = 100;
  d.games_per_thread = 64;
  d.replay_positions = 150000;
  d.min_positions = 4000;
  // Half the search value in the value target: after one hour on 2 cores
  // the net won 990 and 971 of 1200 games against mcts:sims=1000 with it,
  // 878 and 929 with z alone (README).
  d.value_target = "mix:0.5";
  // Transpositions within and across games: 70% of self-play's lookups hit
  // a 1M-entry cache (64 MB), and a 3-minute run made 27% more games and
  // steps with it (az bench --what=selfplay, README).
  d.selfplay_cache = int64_t{1} << 20;
  // Connect Four's first moves are shared by nearly every game.
  p.gap_min_ply = 12;
  return p;
}

}  // namespace

const GameProfile& ProfileOf(const Game& game) {
  static const auto* profiles = new std::map<std::string, GameProfile>{
      {"tictactoe", TicTacToe()}, {"connect4", ConnectFour()}};
  static const auto* generic = new GameProfile;
  auto it = profiles->find(game.Name());
  return it != profiles->end() ? it->second : *generic;
}

nn::NetworkConfig NetworkOf(const Game& game, int blocks, int channels) {
  const GameProfile& profile = ProfileOf(game);
  return nn::NetworkConfig::ForGame(game, blocks > 0 ? blocks : profile.blocks,
                                    channels > 0 ? channels : profile.channels);
}

}  // namespace az
