// Creating networks without LibTorch in the caller's headers: a freshly
// initialised network as a checkpoint, and loading a checkpoint for a game.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/network_config.h"

namespace az::nn {

// A network of `config` with fresh weights (deterministic for the seed), at
// training step 0 and weight version 0.
absl::StatusOr<Checkpoint> NewRandomCheckpoint(const NetworkConfig& config,
                                               uint64_t seed);

// Loads `path` and checks it is a network for `game` (the one-line error
// says which of file, game or shape is wrong).
absl::StatusOr<Checkpoint> LoadCheckpointForGame(const std::string& path,
                                                 const Game& game);

}  // namespace az::nn
