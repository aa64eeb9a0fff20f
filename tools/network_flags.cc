#include "tools/network_flags.h"

#include "absl/strings/str_cat.h"
#include "nn/network_builder.h"

DEFINE_string(device, "auto",
              "Where the network runs: auto (CUDA when LibTorch has it, else "
              "CPU), cpu, cuda or cuda:N.");
DEFINE_string(backend, "auto",
              "Forward pass: auto (fast on CPU, torch on CUDA), fast (folded "
              "SIMD/Winograd CPU kernels), torch (LibTorch, folded, any "
              "device), naive (LibTorch's plain module).");
DEFINE_string(precision, "auto",
              "Inference precision: auto (self-play in train, selfplay and "
              "bench --what=selfplay: bf16 where the fast backend runs it on "
              "AMX tiles, else fp32; everything else: fp32); fp32; bf16 "
              "(fast backend on AVX512-BF16 or AMX processors, or torch); "
              "fp16 (torch).");
DEFINE_string(kernels, "auto",
              "The fast backend's CPU kernels: auto (the widest this "
              "processor runs; with bf16, AMX where present), amx (bf16 "
              "only), avx512, avx2 or portable.");
DEFINE_int32(inference_threads, 2,
             "CPU threads of one forward pass (the batch is split between "
             "them; 2 was fastest on a 2-core machine, see az bench).");
DEFINE_int32(max_batch, 256, "Largest batch of one forward pass.");
DEFINE_int32(batch_timeout_us, 500,
             "How long a partial batch waits for more positions (us).");

namespace az {

absl::StatusOr<nn::InferenceServerOptions> InferenceServerOptionsFromFlags(
    int clients, NetworkUse use) {
  nn::InferenceServerOptions options;
  absl::StatusOr<nn::KernelSet> kernels = nn::ParseKernelSet(FLAGS_kernels);
  if (!kernels.ok()) return kernels.status();
  options.inference.kernels = *kernels;
  options.inference.backend = FLAGS_backend;
  options.inference.device = FLAGS_device;
  if (FLAGS_precision == "auto") {
    options.inference.precision =
        use == NetworkUse::kSelfPlay
            ? nn::SelfPlayPrecision(options.inference)
            : nn::Precision::kFloat32;
  } else {
    absl::StatusOr<nn::Precision> precision =
        nn::ParsePrecision(FLAGS_precision);
    if (!precision.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--precision=", FLAGS_precision,
          " is not one of auto, fp32, fp16, bf16"));
    }
    options.inference.precision = *precision;
  }
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
