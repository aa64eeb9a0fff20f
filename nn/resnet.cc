#include "nn/resnet.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace az::nn {
namespace {

torch::nn::Conv2d Conv(int in, int out, int kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                               .padding(kernel / 2)
                               .bias(false));
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(int channels) {
  conv1 = register_module("conv1", Conv(channels, channels, 3));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(channels));
  conv2 = register_module("conv2", Conv(channels, channels, 3));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(channels));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(bn1(conv1(x)));
  y = bn2(conv2(y));
  return torch::relu(x + y);
}

ResNetImpl::ResNetImpl(const NetworkConfig& config) : config_(config) {
  const NetworkConfig& c = config;
  const int cells = c.board_height * c.board_width;
  stem = register_module("stem", Conv(c.input_planes, c.channels, 3));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(c.channels));
  for (int i = 0; i < c.blocks; ++i) {
    blocks.push_back(register_module(absl::StrCat("block", i),
                                     ResidualBlock(c.channels)));
  }
  policy_conv =
      register_module("policy_conv", Conv(c.channels, c.policy_channels, 1));
  policy_bn =
      register_module("policy_bn", torch::nn::BatchNorm2d(c.policy_channels));
  policy_fc = register_module(
      "policy_fc", torch::nn::Linear(c.policy_channels * cells, c.num_actions));
  value_conv =
      register_module("value_conv", Conv(c.channels, c.value_channels, 1));
  value_bn =
      register_module("value_bn", torch::nn::BatchNorm2d(c.value_channels));
  value_fc1 = register_module(
      "value_fc1", torch::nn::Linear(c.value_channels * cells, c.value_hidden));
  value_fc2 =
      register_module("value_fc2", torch::nn::Linear(c.value_hidden, 3));
}

PolicyValueOutput ResNetImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = torch::relu(stem_bn(stem(input)));
  for (ResidualBlock& block : blocks) x = block(x);
  torch::Tensor p = torch::relu(policy_bn(policy_conv(x))).flatten(1);
  torch::Tensor v = torch::relu(value_bn(value_conv(x))).flatten(1);
  v = torch::relu(value_fc1(v));
  return PolicyValueOutput{policy_fc(p), value_fc2(v)};
}

LossTerms PolicyValueLoss(const PolicyValueOutput& output,
                          const torch::Tensor& policy_target,
                          const torch::Tensor& wdl_target) {
  LossTerms loss;
  loss.policy =
      -(policy_target * torch::log_softmax(output.policy_logits, 1)).sum(1).mean();
  loss.value =
      -(wdl_target * torch::log_softmax(output.wdl_logits, 1)).sum(1).mean();
  return loss;
}

ResNet NewResNet(const NetworkConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  return ResNet(config);
}

std::vector<NamedTensor> ExportTensors(ResNet& net) {
  torch::NoGradGuard no_grad;
  std::vector<NamedTensor> out;
  auto add = [&](const std::string& name, const torch::Tensor& tensor) {
    torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32)
                          .contiguous();
    NamedTensor named;
    named.name = name;
    named.shape.assign(t.sizes().begin(), t.sizes().end());
    named.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    out.push_back(std::move(named));
  };
  for (const auto& item : net->named_parameters()) add(item.key(), item.value());
  for (const auto& item : net->named_buffers()) {
    // num_batches_tracked is an integer counter with no effect in eval mode.
    if (item.value().is_floating_point()) add(item.key(), item.value());
  }
  return out;
}

absl::Status ImportTensors(const std::vector<NamedTensor>& tensors,
                           ResNet& net) {
  torch::NoGradGuard no_grad;
  std::map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : tensors) by_name[t.name] = &t;
  auto load = [&](const std::string& name, torch::Tensor& target) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::DataLossError(
          absl::StrCat("checkpoint lacks the tensor ", name));
    }
    const NamedTensor& t = *it->second;
    std::vector<int64_t> want(target.sizes().begin(), target.sizes().end());
    if (t.shape != want) {
      return absl::DataLossError(absl::StrCat(
          "tensor ", name, " has shape [", absl::StrJoin(t.shape, ","),
          "], the network needs [", absl::StrJoin(want, ","), "]"));
    }
    torch::Tensor src =
        torch::from_blob(const_cast<float*>(t.values.data()), t.shape,
                         torch::kFloat32);
    target.copy_(src);
    by_name.erase(it);
    return absl::OkStatus();
  };
  for (auto& item : net->named_parameters()) {
    if (absl::Status s = load(item.key(), item.value()); !s.ok()) return s;
  }
  for (auto& item : net->named_buffers()) {
    if (!item.value().is_floating_point()) continue;
    if (absl::Status s = load(item.key(), item.value()); !s.ok()) return s;
  }
  if (!by_name.empty()) {
    return absl::DataLossError(absl::StrCat(
        "checkpoint has a tensor the network does not: ",
        by_name.begin()->first));
  }
  return absl::OkStatus();
}

absl::StatusOr<ResNet> ResNetFromCheckpoint(const Checkpoint& checkpoint) {
  const NetworkConfig& config = checkpoint.metadata.config;
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  ResNet net(config);
  if (absl::Status s = ImportTensors(checkpoint.tensors, net); !s.ok()) {
    return s;
  }
  net->eval();
  return net;
}

}  // namespace az::nn
