// `az info`: prints what a checkpoint holds (game, shape, step, version).
#include <gflags/gflags.h>

#include <cstdio>

#include "nlohmann/json.hpp"
#include "nn/checkpoint.h"
#include "tools/command.h"
#include "tools/common_flags.h"

namespace az {
namespace {

int RunInfo(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    std::fprintf(stderr, "az info: give exactly one checkpoint path (az info PATH)\n");
    return 2;
  }
  const std::string& path = args[1];
  absl::StatusOr<nn::Checkpoint> checkpoint = nn::LoadCheckpoint(path);
  if (!checkpoint.ok()) {
    std::fprintf(stderr, "az info: %s\n",
                 std::string(checkpoint.status().message()).c_str());
    return 1;
  }
  const nn::CheckpointMetadata& m = checkpoint->metadata;
  const nn::NetworkConfig& c = m.config;
  int64_t parameters = 0;
  for (const nn::NamedTensor& t : checkpoint->tensors) parameters += t.values.size();
  if (FLAGS_json) {
    nlohmann::json j = {
        {"path", path},
        {"game", c.game},
        {"blocks", c.blocks},
        {"channels", c.channels},
        {"input_planes", c.input_planes},
        {"board_height", c.board_height},
        {"board_width", c.board_width},
        {"num_actions", c.num_actions},
        {"policy_channels", c.policy_channels},
        {"value_channels", c.value_channels},
        {"value_hidden", c.value_hidden},
        {"training_step", m.training_step},
        {"weight_version", m.weight_version},
        {"format_version", m.format_version},
        {"parameters", parameters},
    };
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("checkpoint      %s\n", path.c_str());
  std::printf("game            %s\n", c.game.c_str());
  std::printf("network         %d blocks x %d channels, %lld values\n", c.blocks,
              c.channels, static_cast<long long>(parameters));
  std::printf("input           %d planes of %dx%d\n", c.input_planes,
              c.board_height, c.board_width);
  std::printf("policy          %d actions\n", c.num_actions);
  std::printf("value           win/draw/loss (learned estimate)\n");
  std::printf("training step   %lld\n", static_cast<long long>(m.training_step));
  std::printf("weight version  %lld\n", static_cast<long long>(m.weight_version));
  std::printf("format version  %u\n", m.format_version);
  return 0;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(info, "info", "print a checkpoint's metadata",
                    "az info PATH [--json]", az::RunInfo);
