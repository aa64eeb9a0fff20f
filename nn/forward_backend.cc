#include "nn/forward_backend.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nn/fast_forward.h"
#include "nn/torch_plugin.h"

namespace az::nn {
namespace {

class FastBackend final : public ForwardBackend {
 public:
  explicit FastBackend(std::unique_ptr<FastForward> net)
      : net_(std::move(net)) {}
  absl::Status Forward(const float* observations, int batch,
                       float* policy_logits, float* wdl_logits) override {
    net_->Forward(observations, batch, policy_logits, wdl_logits);
    return absl::OkStatus();
  }
  std::string Describe() const override {
    return absl::StrCat("cpu (fast ", net_->Describe(), ", ", net_->threads(),
                        " thread",
                        net_->threads() == 1 ? "" : "s", ")");
  }
  const NetworkConfig& config() const override { return net_->config(); }

 private:
  std::unique_ptr<FastForward> net_;
};

}  // namespace

absl::StatusOr<DeviceSpec> ParseDeviceSpec(const std::string& text) {
  DeviceSpec spec;
  if (text == "auto") {
    spec.kind = DeviceSpec::kAuto;
  } else if (text == "cpu") {
    spec.kind = DeviceSpec::kCpu;
  } else if (text == "cuda" || absl::StartsWith(text, "cuda:")) {
    spec.kind = DeviceSpec::kCuda;
    if (text != "cuda" &&
        (!absl::SimpleAtoi(text.substr(5), &spec.index) || spec.index < 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad --device \"", text, "\" (cuda:N wants a number)"));
    }
    if (!TorchBuiltWithCuda()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--device=", text,
          ": az was built against a LibTorch without CUDA (build against a "
          "CUDA LibTorch with -DCMAKE_PREFIX_PATH)"));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown --device \"", text, "\" (auto, cpu, cuda or cuda:N)"));
  }
  return spec;
}

int CudaDeviceCount() {
  if (!TorchBuiltWithCuda()) return 0;
  absl::StatusOr<const TorchApi*> api = LoadTorchApi();
  return api.ok() ? (*api)->cuda_device_count() : 0;
}

absl::StatusOr<Precision> ParsePrecision(const std::string& text) {
  if (text == "fp32") return Precision::kFloat32;
  if (text == "fp16") return Precision::kFloat16;
  if (text == "bf16") return Precision::kBFloat16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown precision \"", text, "\" (fp32, fp16 or bf16)"));
}

std::string PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFloat32:
      return "fp32";
    case Precision::kFloat16:
      return "fp16";
    case Precision::kBFloat16:
      return "bf16";
  }
  return "?";
}

Precision SelfPlayPrecision(const InferenceOptions& options) {
  absl::StatusOr<DeviceSpec> device = ParseDeviceSpec(options.device);
  if (!device.ok()) return Precision::kFloat32;  // Create reports it
  const bool on_cpu =
      device->kind == DeviceSpec::kCpu ||
      (device->kind == DeviceSpec::kAuto && CudaDeviceCount() == 0);
  const bool fast = options.backend == "fast" ||
                    (options.backend == "auto" && on_cpu);
  const bool amx_kernels = options.kernels == KernelSet::kAuto ||
                           options.kernels == KernelSet::kAmx;
  return fast && on_cpu && amx_kernels && CpuHasAmxBf16()
             ? Precision::kBFloat16
             : Precision::kFloat32;
}

absl::StatusOr<std::unique_ptr<ForwardBackend>> CreateForwardBackend(
    const Checkpoint& checkpoint, const InferenceOptions& options) {
  if (options.threads < 1 || options.threads > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inference threads must be in [1, 256], not ", options.threads));
  }
  absl::StatusOr<DeviceSpec> device = ParseDeviceSpec(options.device);
  if (!device.ok()) return device.status();
  // "auto" means CUDA only where it can exist: a CPU-only build never loads
  // LibTorch to find that out.
  bool on_cpu = device->kind == DeviceSpec::kCpu ||
                (device->kind == DeviceSpec::kAuto && CudaDeviceCount() == 0);
  std::string backend = options.backend;
  if (backend == "auto") backend = on_cpu ? "fast" : "torch";
  if (backend == "fast") {
    if (!on_cpu) {
      return absl::InvalidArgumentError(
          "the fast backend runs on the CPU only (use --backend=torch on CUDA)");
    }
    if (options.precision == Precision::kFloat16) {
      return absl::InvalidArgumentError(
          "the fast backend computes in fp32 or bf16; fp16 needs "
          "--backend=torch");
    }
    FastForwardOptions fast;
    fast.threads = options.threads;
    fast.kernels = options.kernels;
    fast.bf16 = options.precision == Precision::kBFloat16;
    absl::StatusOr<std::unique_ptr<FastForward>> net =
        FastForward::Create(checkpoint, fast);
    if (!net.ok()) return net.status();
    return std::unique_ptr<ForwardBackend>(
        std::make_unique<FastBackend>(std::move(*net)));
  }
  if (backend == "torch" || backend == "naive") {
    absl::StatusOr<const TorchApi*> api = LoadTorchApi();
    if (!api.ok()) return api.status();
    return (*api)->create_backend(checkpoint, options, *device,
                                  backend == "torch");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown backend \"", options.backend, "\" (auto, fast, torch, naive)"));
}

}  // namespace az::nn
