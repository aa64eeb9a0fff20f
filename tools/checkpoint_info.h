// What `az info` says about a checkpoint: its game, network shape, size,
// training step and versions, as aligned text or as one JSON object. Pure
// formatting of a loaded nn::Checkpoint, so tests can check it in-process.
#pragma once

#include <cstdint>
#include <string>

#include "nn/checkpoint.h"

namespace az {

// The number of weights in `checkpoint` (all tensors' values).
int64_t CheckpointParameters(const nn::Checkpoint& checkpoint);

// One "label  value" line per fact, the labels in one column.
std::string CheckpointInfoText(const std::string& path,
                               const nn::Checkpoint& checkpoint);
// The same facts, and the whole network shape, as one JSON object on one
// line (no newline).
std::string CheckpointInfoJson(const std::string& path,
                               const nn::Checkpoint& checkpoint);

}  // namespace az
