#include "tools/checkpoint_info.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace az {

int64_t CheckpointParameters(const nn::Checkpoint& checkpoint) {
  int64_t parameters = 0;
  for (const nn::NamedTensor& t : checkpoint.tensors) {
    parameters += static_cast<int64_t>(t.values.size());
  }
  return parameters;
}

std::string CheckpointInfoText(const std::string& path,
                               const nn::Checkpoint& checkpoint) {
  const nn::CheckpointMetadata& m = checkpoint.metadata;
  const nn::NetworkConfig& c = m.config;
  const std::vector<std::pair<const char*, std::string>> facts = {
      {"checkpoint", path},
      {"game", c.game},
      {"network",
       absl::StrCat(c.blocks, " blocks x ", c.channels, " channels, ",
                    CheckpointParameters(checkpoint), " values")},
      {"input", absl::StrCat(c.input_planes, " planes of ", c.board_height, "x",
                             c.board_width)},
      {"policy", absl::StrCat(c.num_actions, " actions")},
      {"value", "win/draw/loss (learned estimate)"},
      {"training step", absl::StrCat(m.training_step)},
      {"weight version", absl::StrCat(m.weight_version)},
      {"format version", absl::StrCat(m.format_version)},
  };
  std::string text;
  for (const auto& [label, value] : facts) {
    absl::StrAppendFormat(&text, "%-15s %s\n", label, value);
  }
  return text;
}

std::string CheckpointInfoJson(const std::string& path,
                               const nn::Checkpoint& checkpoint) {
  const nn::CheckpointMetadata& m = checkpoint.metadata;
  const nn::NetworkConfig& c = m.config;
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
      {"parameters", CheckpointParameters(checkpoint)},
  };
  return j.dump();
}

}  // namespace az
