#include "tools/network_flags.h"

#include "absl/strings/str_cat.h"
#include "nn/network_builder.h"

DEFINE_string(device, "auto",
              "Where the network runs: auto (CUDA when LibTorch has it, else "
              "CPU), cpu, cuda or cuda:N.");
DEFINE_string(backend, "auto",
              "Forward pass: auto (fast on CPU, torch on CUDA), fast (folded "
              "AVX2/Winograd CPU kernels), torch (LibTorch, folded, any "
              "device), naive (LibTorch's plain module).");
DEFINE_string(precision, "fp32",
              "Inference precision: fp32, or fp16/bf16 with --backend=torch.");
DEFINE_int32(inference_threads, 2,
             "CPU threads of one forward pass (the batch is split between "
             "them; 2 was fastest on a 2-core machine, see az bench).");
DEFINE_int32(max_batch, 256, "Largest batch of one forward pass.");
DEFINE_int32(batch_timeout_us, 500,
             "How long a partial batch waits for more positions (us).");

namespace az {

absl::StatusOr<nn::InferenceServerOptions> InferenceServerOptionsFromFlags(
    int clients) {
  nn::InferenceServerOptions options;
  absl::StatusOr<nn::Precision> precision = nn::ParsePrecision(FLAGS_precision);
  if (!precision.ok()) return precision.status();
  options.inference.backend = FLAGS_backend;
  options.inference.device = FLAGS_device;
  options.inference.precision = *precision;
  options.inference.threads = FLAGS_inference_threads;
  options.max_batch = FLAGS_max_batch;
  options.batch_timeout_us = FLAGS_batch_timeout_us;
  options.clients = clients;
  return options;
}

absl::StatusOr<std::unique_ptr<nn::InferenceServer>> InferenceServerFromFlags(
    const Game& game, const std::string& path, int clients) {
  absl::StatusOr<nn::InferenceServerOptions> options =
      InferenceServerOptionsFromFlags(clients);
  if (!options.ok()) return options.status();
  absl::StatusOr<nn::Checkpoint> checkpoint =
      nn::LoadCheckpointForGame(path, game);
  if (!checkpoint.ok()) return checkpoint.status();
  return nn::InferenceServer::Create(*checkpoint, *options);
}

}  // namespace az
