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

// What a network is run for: --precision=auto means bf16 for self-play
// where that is as strong and faster (nn::SelfPlayPrecision), and fp32 for
// every measurement and game against a person or another player.
enum class NetworkUse { kEvaluation, kSelfPlay };

// Server options from the flags above; `clients` as InferenceServerOptions.
absl::StatusOr<nn::InferenceServerOptions> InferenceServerOptionsFromFlags(
    int clients, NetworkUse use = NetworkUse::kEvaluation);

// Loads the checkpoint at `path` (checked to be a network of `game`) behind
// an inference server configured by the flags.
absl::StatusOr<std::unique_ptr<nn::InferenceServer>> InferenceServerFromFlags(
    const Game& game, const std::string& path, int clients);

}  // namespace az
