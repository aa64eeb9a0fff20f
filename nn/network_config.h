// The shape of a policy/value network for one game: what a checkpoint must
// match before its weights are used. No LibTorch here, so that engine/,
// selfplay/ and tools/ can talk about networks without including it.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "games/game.h"

namespace az::nn {

struct NetworkConfig {
  std::string game;      // registry name of the game the network plays
  int input_planes = 0;  // from Game::GetObservationShape()
  int board_height = 0;
  int board_width = 0;
  int num_actions = 0;   // policy size, Game::NumActions()
  int blocks = 2;        // residual blocks in the tower
  int channels = 32;     // channels of every tower convolution
  int policy_channels = 2;  // 1x1 convolution width in the policy head
  int value_channels = 1;   // 1x1 convolution width in the value head
  int value_hidden = 64;    // hidden units of the value head

  // The game's shape with a tower of `blocks` x `channels` (the sizes a
  // caller chooses per game are tools/game_profile.h's; nn/ has none).
  static NetworkConfig ForGame(const Game& game, int blocks = 2,
                               int channels = 32);

  // Rejects sizes that cannot build a network (and absurd ones).
  absl::Status Validate() const;
  // Whether `other` can use these weights: same game and every size equal.
  bool SameShape(const NetworkConfig& other) const;
  // "connect4 2x32 (3 planes 6x7, 7 actions)"
  std::string Describe() const;
  // Multiply-adds of one forward pass of one position (for FLOP figures).
  double MacsPerPosition() const;
};

}  // namespace az::nn
