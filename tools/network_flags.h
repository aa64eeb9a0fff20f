// Flags of every subcommand that runs a network (analyze, bench, gap,
// match, play, selfplay, train), and the inference server built from them.
// Defined once in network_flags.cc.
#pragma once

#include <gflags/gflags.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "games/game.h"
#include "nn/inference_server.h"

DECLARE_string(device);
DECLARE_string(backend);
DECLARE_string(precision);
DECLARE_string(kernels);
DECLARE_int32(inference_threads);
DECLARE_int32(max_batch);
DECLARE_int32(batch_timeout_us);

namespace az {

// Server options from the flags above; `clients` as InferenceServerOptions.
absl::StatusOr<nn::InferenceServerOptions> InferenceServerOptionsFromFlags(
    int clients);

// Loads the checkpoint at `path` (checked to be a network of `game`) behind
// an inference server configured by the flags.
absl::StatusOr<std::unique_ptr<nn::InferenceServer>> InferenceServerFromFlags(
    const Game& game, const std::string& path, int clients);

}  // namespace az
