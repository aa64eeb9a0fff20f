#include <torch/torch.h>

#include <cstring>
#include <exception>
#include <new>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "nn/resnet.h"
#include "nn/torch_plugin.h"
#include "nn/torch_trainer.h"

// The LibTorch half of the network code, built as the shared library
// libaz_torch.so: az loads it only when a command needs LibTorch (training,
// the torch backend, CUDA), so that every other command starts at once.

namespace az::nn {
namespace {

// Nothing LibTorch throws may leave the plugin: az's side knows none of its
// exception types, and a throw out of the inference thread ends the process
// (std::terminate). Every function of the table and every virtual call into
// the plugin catches, and this turns the exception being handled into a
// status: ResourceExhausted for out of memory, Internal otherwise. Only the
// first line of LibTorch's message is kept (the rest is its backtrace).
absl::Status CurrentExceptionStatus(absl::string_view context) {
  auto first_line = [](absl::string_view text) {
    return text.substr(0, text.find('\n'));
  };
  try {
    throw;
  } catch (const c10::OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(absl::StrCat(
        context, ": out of memory: ", first_line(e.what_without_backtrace())));
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat(context, ": ", first_line(e.what_without_backtrace())));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(context, ": out of memory"));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat(context, ": ", first_line(e.what())));
  } catch (...) {
    return absl::InternalError(absl::StrCat(context, ": unknown exception"));
  }
}

// A convolution with its batch norm folded in (eval mode): the BN scale is
// multiplied into the weights and its shift becomes a bias, so inference
// runs one operator where the module runs two.
struct FoldedConv {
  torch::Tensor weight, bias;
  int64_t padding = 0;
};

FoldedConv Fold(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn) {
  torch::NoGradGuard no_grad;
  torch::Tensor scale =
      bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  FoldedConv folded;
  folded.weight = (conv->weight * scale.view({-1, 1, 1, 1})).contiguous();
  folded.bias = (bn->bias - bn->running_mean * scale).contiguous();
  folded.padding = conv->weight.size(2) / 2;
  return folded;
}

class TorchBackend final : public ForwardBackend {
 public:
  TorchBackend(ResNet net, torch::Device device, Precision precision,
               bool optimized, int threads)
      : net_(std::move(net)),
        device_(device),
        precision_(precision),
        optimized_(optimized),
        threads_(threads) {
    net_->eval();
    if (optimized_) {
      convs_.push_back(Fold(net_->stem, net_->stem_bn));
      for (ResidualBlock& block : net_->blocks) {
        convs_.push_back(Fold(block->conv1, block->bn1));
        convs_.push_back(Fold(block->conv2, block->bn2));
      }
      policy_conv_ = Fold(net_->policy_conv, net_->policy_bn);
      value_conv_ = Fold(net_->value_conv, net_->value_bn);
      auto place = [&](torch::Tensor& t) {
        t = t.to(device_, dtype());
        if (t.dim() == 4 && device_.is_cpu()) {
          t = t.contiguous(torch::MemoryFormat::ChannelsLast);
        }
      };
      for (FoldedConv* c : AllConvs()) {
        place(c->weight);
        place(c->bias);
      }
    }
    net_->to(device_);
    net_->to(dtype());
  }

  absl::Status Forward(const float* observations, int batch,
                       float* policy_logits, float* wdl_logits) override {
    try {
      ForwardOrThrow(observations, batch, policy_logits, wdl_logits);
      return absl::OkStatus();
    } catch (...) {
      return CurrentExceptionStatus(
          absl::StrCat("LibTorch forward pass on ", device_.str()));
    }
  }

  std::string Describe() const override {
    std::string threads =
        device_.is_cpu()
            ? absl::StrCat(", ", threads_, " thread", threads_ == 1 ? "" : "s")
            : "";
    return absl::StrCat(device_.str(), " (torch ",
                        optimized_ ? "folded" : "naive", " ",
                        PrecisionName(precision_), threads, ")");
  }
  const NetworkConfig& config() const override { return net_->config(); }

 private:
  void ForwardOrThrow(const float* observations, int batch,
                      float* policy_logits, float* wdl_logits) {
    const NetworkConfig& c = net_->config();
    if (device_.is_cpu()) torch::set_num_threads(threads_);
    torch::InferenceMode guard;
    torch::Tensor x =
        torch::from_blob(const_cast<float*>(observations),
                         {batch, c.input_planes, c.board_height, c.board_width},
                         torch::kFloat32);
    if (device_.is_cuda()) {
      // Pinned staging memory lets the copy to the device run asynchronously.
      if (!pinned_.defined() || pinned_.size(0) < batch) {
        pinned_ = torch::empty(x.sizes(), torch::TensorOptions()
                                              .dtype(torch::kFloat32)
                                              .pinned_memory(true));
      }
      torch::Tensor staged = pinned_.narrow(0, 0, batch);
      staged.copy_(x);
      x = staged.to(device_, /*non_blocking=*/true);
    }
    x = x.to(dtype());
    PolicyValueOutput out = optimized_ ? FoldedForward(x) : net_->forward(x);
    torch::Tensor p =
        out.policy_logits.to(torch::kCPU, torch::kFloat32).contiguous();
    torch::Tensor v =
        out.wdl_logits.to(torch::kCPU, torch::kFloat32).contiguous();
    std::memcpy(policy_logits, p.data_ptr<float>(),
                sizeof(float) * batch * c.num_actions);
    std::memcpy(wdl_logits, v.data_ptr<float>(), sizeof(float) * batch * 3);
  }

  torch::Dtype dtype() const {
    switch (precision_) {
      case Precision::kFloat16:
        return torch::kFloat16;
      case Precision::kBFloat16:
        return torch::kBFloat16;
      case Precision::kFloat32:
        break;
    }
    return torch::kFloat32;
  }
  std::vector<FoldedConv*> AllConvs() {
    std::vector<FoldedConv*> all;
    for (FoldedConv& c : convs_) all.push_back(&c);
    all.push_back(&policy_conv_);
    all.push_back(&value_conv_);
    return all;
  }
  static torch::Tensor Apply(const FoldedConv& c, const torch::Tensor& x) {
    return torch::conv2d(x, c.weight, c.bias, /*stride=*/1, c.padding);
  }
  PolicyValueOutput FoldedForward(torch::Tensor x) {
    if (device_.is_cpu()) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    x = torch::relu(Apply(convs_[0], x));
    for (size_t i = 1; i + 1 < convs_.size(); i += 2) {
      torch::Tensor y = torch::relu(Apply(convs_[i], x));
      x = torch::relu(Apply(convs_[i + 1], y) + x);
    }
    torch::Tensor p = torch::relu(Apply(policy_conv_, x)).flatten(1);
    torch::Tensor v = torch::relu(Apply(value_conv_, x)).flatten(1);
    v = torch::relu(net_->value_fc1(v));
    return PolicyValueOutput{net_->policy_fc(p), net_->value_fc2(v)};
  }

  ResNet net_;
  torch::Device device_;
  Precision precision_;
  bool optimized_;
  int threads_;
  std::vector<FoldedConv> convs_;  // stem, then two per block
  FoldedConv policy_conv_, value_conv_;
  torch::Tensor pinned_;
};

int CudaDevices() {
  try {
    return torch::cuda::is_available()
               ? static_cast<int>(torch::cuda::device_count())
               : 0;
  } catch (...) {
    // A CUDA runtime that cannot even count its devices has none to offer.
    VLOG(1) << CurrentExceptionStatus("counting CUDA devices");
    return 0;
  }
}

absl::StatusOr<torch::Device> ToTorchDevice(const DeviceSpec& spec) {
  if (spec.kind == DeviceSpec::kCpu) return torch::Device(torch::kCPU);
  const int count = CudaDevices();
  if (spec.kind == DeviceSpec::kAuto) {
    return count > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  if (count == 0) {
    return absl::FailedPreconditionError(
        "--device=cuda: this LibTorch has no usable CUDA device");
  }
  if (spec.index >= count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--device=cuda:", spec.index, ": there are ", count, " CUDA devices"));
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(spec.index));
}

absl::StatusOr<std::unique_ptr<ForwardBackend>> CreateTorchBackend(
    const Checkpoint& checkpoint, const InferenceOptions& options,
    const DeviceSpec& spec, bool optimized) {
  try {
    absl::StatusOr<torch::Device> device = ToTorchDevice(spec);
    if (!device.ok()) return device.status();
    absl::StatusOr<ResNet> net = ResNetFromCheckpoint(checkpoint);
    if (!net.ok()) return net.status();
    return std::unique_ptr<ForwardBackend>(std::make_unique<TorchBackend>(
        std::move(*net), *device, options.precision, optimized,
        options.threads));
  } catch (...) {
    // E.g. out of device memory while the weights are moved there.
    return CurrentExceptionStatus("making the LibTorch backend");
  }
}

absl::StatusOr<std::unique_ptr<Trainer>> CreateTorchTrainer(
    const Checkpoint& start, const TrainerOptions& options) {
  try {
    absl::StatusOr<std::unique_ptr<TorchTrainer>> trainer =
        TorchTrainer::Create(start, options);
    if (!trainer.ok()) return trainer.status();
    return std::unique_ptr<Trainer>(std::move(*trainer));
  } catch (...) {
    return CurrentExceptionStatus("making the LibTorch trainer");
  }
}

constexpr TorchApi kApi = {kTorchApiVersion, &CreateTorchBackend, &CudaDevices,
                           &CreateTorchTrainer};

}  // namespace
}  // namespace az::nn

extern "C" const az::nn::TorchApi* AzTorchApi() { return &az::nn::kApi; }
