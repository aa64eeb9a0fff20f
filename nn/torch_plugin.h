// LibTorch lives in a plugin (libaz_torch.so) that az loads on first use.
//
// Loading LibTorch costs most of a second of static initialisation, and most
// commands (solve, analyze, play, match and gap with the fast CPU forward)
// never need it. The plugin exports one table of functions; this header is
// what both sides agree on, and it includes no LibTorch.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/forward_backend.h"
#include "nn/trainer.h"

namespace az::nn {

// Bumped whenever TorchApi or the interfaces it hands out (ForwardBackend,
// Trainer) change, so a stale plugin is refused.
constexpr int kTorchApiVersion = 3;  // 3: Forward returns a status

struct DeviceSpec {
  enum Kind { kAuto, kCpu, kCuda } kind = kAuto;
  int index = 0;  // for kCuda
};
// Parses --device without loading LibTorch: "auto", "cpu", "cuda", "cuda:N".
absl::StatusOr<DeviceSpec> ParseDeviceSpec(const std::string& text);

struct TorchApi {
  int version;
  // The LibTorch forward: `optimized` folds batch norms and uses
  // channels-last; otherwise the plain eval-mode module (the baseline).
  absl::StatusOr<std::unique_ptr<ForwardBackend>> (*create_backend)(
      const Checkpoint& checkpoint, const InferenceOptions& options,
      const DeviceSpec& device, bool optimized);
  int (*cuda_device_count)();
  // The LibTorch trainer (nn/trainer.h's CreateTrainer calls this).
  absl::StatusOr<std::unique_ptr<Trainer>> (*create_trainer)(
      const Checkpoint& start, const TrainerOptions& options);
};

// Whether the LibTorch az was built against has CUDA (known at build time).
bool TorchBuiltWithCuda();

// The plugin's table: already linked into this process, or loaded from
// libaz_torch.so beside the az binary. The error says where it looked.
absl::StatusOr<const TorchApi*> LoadTorchApi();

}  // namespace az::nn
