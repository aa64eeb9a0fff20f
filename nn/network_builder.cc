#include "nn/network_builder.h"

#include "nn/resnet.h"

namespace az::nn {

absl::StatusOr<Checkpoint> NewRandomCheckpoint(const NetworkConfig& config,
                                               uint64_t seed) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  ResNet net = NewResNet(config, seed);
  Checkpoint checkpoint;
  checkpoint.metadata.config = config;
  checkpoint.tensors = ExportTensors(net);
  return checkpoint;
}

absl::StatusOr<Checkpoint> LoadCheckpointForGame(const std::string& path,
                                                 const Game& game) {
  absl::StatusOr<Checkpoint> checkpoint = LoadCheckpoint(path);
  if (!checkpoint.ok()) return checkpoint.status();
  if (absl::Status s = CheckCheckpointMatches(
          checkpoint->metadata, NetworkConfig::ForGame(game), path);
      !s.ok()) {
    return s;
  }
  return checkpoint;
}

}  // namespace az::nn
