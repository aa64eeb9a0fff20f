// Small networks and positions shared by the nn tests.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "games/registry.h"
#include "nn/checkpoint.h"
#include "nn/network_config.h"

namespace az::nn::testing {

// A freshly initialised network of `game` as a checkpoint, with batch-norm
// statistics randomised so that folding them is really exercised.
Checkpoint RandomCheckpoint(const std::string& game, int blocks, int channels,
                            uint64_t seed, int64_t weight_version = 1);

// `count` distinct positions of `game` reached by random play from `seed`.
std::vector<std::unique_ptr<State>> RandomPositions(const Game& game, int count,
                                                    uint64_t seed);

}  // namespace az::nn::testing
