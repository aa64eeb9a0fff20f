// Checkpoints: the weights of a network plus the metadata that says what they
// are (game, shape, training step, weight version), in one file.
//
// The file is written atomically (temporary file, fsync, rename), so a crash
// never leaves a half-written checkpoint under the final name, and it ends in
// a checksum, so a truncated or corrupted file is refused on load instead of
// silently giving a wrong network. No LibTorch here: tensors travel as plain
// float arrays (nn/resnet.h converts them to and from modules).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nn/network_config.h"

namespace az::nn {

// Version of the file layout written by this code. Loading refuses files of a
// newer version (written by a newer az) rather than misreading them. Every
// version keeps the frame (magic first, CRC-32C of the rest last), so the
// checksum is checked before the version is believed.
constexpr uint32_t kCheckpointFormatVersion = 1;

// The largest checkpoint file LoadCheckpoint reads (and SaveCheckpoint
// writes): 4 GiB, a billion float weights, far beyond the networks az
// trains, yet a size a machine can hold. NetworkConfig::Validate admits
// bigger shapes, but no sane bound covers all of them. Bigger files are
// refused from their size, before anything is read.
constexpr int64_t kMaxCheckpointBytes = int64_t{1} << 32;

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major, size = product of shape
};

struct CheckpointMetadata {
  NetworkConfig config;
  int64_t training_step = 0;   // optimizer steps taken to reach these weights
  int64_t weight_version = 0;  // increases each time a trainer publishes
  uint32_t format_version = kCheckpointFormatVersion;
};

struct Checkpoint {
  CheckpointMetadata metadata;
  std::vector<NamedTensor> tensors;
};

// The bytes of a checkpoint file, and back: what SaveCheckpoint writes and
// LoadCheckpoint reads, for stores that carry checkpoints themselves (the
// weights a learner publishes to Redis). DecodeCheckpoint checks exactly
// what LoadCheckpoint does; `source` names the bytes in its errors.
absl::StatusOr<std::string> EncodeCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> DecodeCheckpoint(absl::string_view data,
                                            absl::string_view source);

// Writes `checkpoint` to `path` atomically. Errors name the path and why;
// a checkpoint over kMaxCheckpointBytes is InvalidArgument, not written.
absl::Status SaveCheckpoint(const Checkpoint& checkpoint,
                            const std::string& path);

// Reads and verifies a checkpoint: NotFound if missing, DataLoss if truncated
// or corrupted (checksum first, then every length against the bytes left),
// FailedPrecondition if written by a newer format version or if `path` is
// not a regular file (a FIFO, a device) or is over kMaxCheckpointBytes.
absl::StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

// OK if a network of shape `expected` can use `metadata`'s weights, else
// InvalidArgument saying which of game or shape differs.
absl::Status CheckCheckpointMatches(const CheckpointMetadata& metadata,
                                    const NetworkConfig& expected,
                                    const std::string& path);

}  // namespace az::nn
