// A forward pass of the policy/value network behind one small interface, so
// the inference server runs the same way on the fast CPU path and on LibTorch
// (any device, any precision). No LibTorch in this header.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/cpu_kernels.h"

namespace az::nn {

enum class Precision { kFloat32, kFloat16, kBFloat16 };

// How to run a network for inference.
struct InferenceOptions {
  // "fast": the folded SIMD CPU path (nn/fast_forward.h), fp32 or bf16; "torch": LibTorch
  // with batch norm folded, channels-last and the chosen precision; "naive":
  // LibTorch's plain eval-mode module (the speed baseline); "auto": fast on
  // CPU, torch on CUDA.
  std::string backend = "auto";
  // "auto" (CUDA when LibTorch has it, else CPU), "cpu", "cuda" or "cuda:N".
  std::string device = "auto";
  Precision precision = Precision::kFloat32;
  // CPU threads of one forward pass (fast backend: batch split; torch:
  // intra-op threads).
  int threads = 1;
  // The fast backend's kernels (nn/cpu_kernels.h); kAuto: the best here.
  KernelSet kernels = KernelSet::kAuto;
};

class ForwardBackend {
 public:
  virtual ~ForwardBackend() = default;
  // `observations`: batch x input-size floats. Writes batch x num_actions
  // policy logits and batch x 3 WDL logits. Not thread-safe: one caller.
  // An error (the device ran out of memory or went away, LibTorch refused
  // the input) leaves the outputs undefined; ResourceExhausted for out of
  // memory, else Internal. Nothing is thrown.
  virtual absl::Status Forward(const float* observations, int batch,
                               float* policy_logits, float* wdl_logits) = 0;
  // Where and how it runs, e.g. "cpu (fast avx2, 2 threads)".
  virtual std::string Describe() const = 0;
  virtual const NetworkConfig& config() const = 0;
};

// Builds the backend `options` asks for around the checkpoint's weights.
// Errors: an unknown backend or device, CUDA asked for where LibTorch has
// none, reduced precision on a backend that does not offer it.
absl::StatusOr<std::unique_ptr<ForwardBackend>> CreateForwardBackend(
    const Checkpoint& checkpoint, const InferenceOptions& options);

// Parses "fp32" / "fp16" / "bf16".
absl::StatusOr<Precision> ParsePrecision(const std::string& text);

// The precision self-play runs at when none is asked for: bf16 where
// `options` (precision aside) would run on the fast backend with AMX tiles,
// fp32 everywhere else. On an AMX Xeon bf16 gave 1.5x the simulations/s of
// fp32 (az bench --what=selfplay); AVX512-BF16 without AMX was slower than
// fp32 there, so it is never chosen for speed. The README gives the match
// of one checkpoint in bf16 against itself in fp32 that this rests on.
Precision SelfPlayPrecision(const InferenceOptions& options);
std::string PrecisionName(Precision precision);

// How many CUDA devices LibTorch sees (0 without loading LibTorch where the
// build has no CUDA).
int CudaDeviceCount();

}  // namespace az::nn
