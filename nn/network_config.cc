#include "nn/network_config.h"

#include "absl/strings/str_cat.h"

namespace az::nn {

NetworkConfig NetworkConfig::ForGame(const Game& game, int blocks,
                                     int channels) {
  NetworkConfig c;
  c.game = game.Name();
  ObservationShape shape = game.GetObservationShape();
  c.input_planes = shape.planes;
  c.board_height = shape.height;
  c.board_width = shape.width;
  c.num_actions = game.NumActions();
  c.blocks = blocks;
  c.channels = channels;
  return c;
}

absl::Status NetworkConfig::Validate() const {
  auto in_range = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  if (game.empty()) return absl::InvalidArgumentError("network has no game");
  if (!in_range(input_planes, 1, 1024) || !in_range(board_height, 1, 64) ||
      !in_range(board_width, 1, 64) || !in_range(num_actions, 1, 1 << 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("network input/output shape is out of range: ",
                     Describe()));
  }
  if (!in_range(blocks, 0, 64)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--blocks must be in [0, 64], not ", blocks));
  }
  if (!in_range(channels, 1, 1024)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channels must be in [1, 1024], not ", channels));
  }
  if (!in_range(policy_channels, 1, 64) || !in_range(value_channels, 1, 64) ||
      !in_range(value_hidden, 1, 4096)) {
    return absl::InvalidArgumentError(
        absl::StrCat("network head sizes are out of range: ", Describe()));
  }
  return absl::OkStatus();
}

bool NetworkConfig::SameShape(const NetworkConfig& o) const {
  return game == o.game && input_planes == o.input_planes &&
         board_height == o.board_height && board_width == o.board_width &&
         num_actions == o.num_actions && blocks == o.blocks &&
         channels == o.channels && policy_channels == o.policy_channels &&
         value_channels == o.value_channels && value_hidden == o.value_hidden;
}

std::string NetworkConfig::Describe() const {
  return absl::StrCat(game, " ", blocks, "x", channels, " (", input_planes,
                      " planes ", board_height, "x", board_width, ", ",
                      num_actions, " actions)");
}

double NetworkConfig::MacsPerPosition() const {
  double cells = static_cast<double>(board_height) * board_width;
  double tower = cells * 9.0 * channels *
                 (input_planes + 2.0 * blocks * channels);
  double policy = cells * channels * policy_channels +
                  cells * policy_channels * num_actions;
  double value = cells * channels * value_channels +
                 cells * value_channels * value_hidden + value_hidden * 3.0;
  return tower + policy + value;
}

}  // namespace az::nn
