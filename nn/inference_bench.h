// `az bench --what=inference`: the speed of the network's forward pass, side
// by side in one process (the machine is shared and noisy, so only ratios
// taken in one run mean much): LibTorch's plain eval-mode forward (naive),
// the fast forward alone (bare), and the fast forward behind the inference
// server with many clients (server).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/forward_backend.h"

namespace az::nn {

struct InferenceBenchOptions {
  int batch = 256;
  double seconds = 1.0;   // per measurement; three rounds each, median kept
  int max_threads = 2;    // thread settings tried: 1..max_threads
  int clients = 8;        // client threads feeding the server
  InferenceOptions inference;  // backend/device/precision of the bare run
  // Also measure the fast backend with every kernel set and precision this
  // processor runs (avx2/avx512 fp32, avx512/amx bf16), at max_threads.
  bool compare_kernels = true;
};

// Differences to LibTorch's fp32 forward over the bench's positions: of the
// scalar value (P(win) - P(loss)) and of any prior.
struct ForwardAccuracy {
  double max_value_diff = 0;
  double mean_value_diff = 0;
  double max_policy_diff = 0;
};

// One kernel set of the fast backend, measured beside the others.
struct KernelRate {
  std::string kernels;  // kernel set and precision, e.g. "avx512 fp32"
  double evals_per_s = 0;
  ForwardAccuracy accuracy;
};

struct InferenceBenchResult {
  std::string device;       // where the bare/server runs ran
  int batch = 0;
  double naive_evals_per_s = 0;
  int naive_threads = 0;    // the fastest thread setting of the naive run
  double bare_evals_per_s = 0;
  int bare_threads = 0;     // the fastest thread setting of the bare run
  double server_evals_per_s = 0;
  double ratio = 0;         // server / bare
  double speedup = 0;       // bare / naive
  double server_mean_batch = 0;
  double bare_gflops = 0;   // arithmetic rate of the bare run
  // Largest difference to LibTorch's fp32 forward over a fixed set of
  // positions: of the scalar value (P(win) - P(loss)) and of any prior.
  double max_value_diff = 0;
  double max_policy_diff = 0;
  std::vector<KernelRate> kernels;  // when compare_kernels
};

absl::StatusOr<InferenceBenchResult> RunInferenceBench(
    const Checkpoint& checkpoint, const InferenceBenchOptions& options);

}  // namespace az::nn
