// The residual policy/value network as a LibTorch module: the trainable form
// of the network (and the plain eval-mode forward used as the speed baseline).
//
// Internal to nn/ and to code that trains: it includes LibTorch, so headers
// that engine/, games/ or most of tools/ include must not include this one.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/network_config.h"

namespace az::nn {

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the skip, -> ReLU.
class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(int channels);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(ResidualBlock);

struct PolicyValueOutput {
  torch::Tensor policy_logits;  // [batch, num_actions], before masking
  torch::Tensor wdl_logits;     // [batch, 3]: win, draw, loss for side to move
};

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const NetworkConfig& config);
  // x: [batch, planes, height, width] observations.
  PolicyValueOutput forward(const torch::Tensor& x);

  const NetworkConfig& config() const { return config_; }

  NetworkConfig config_;
  torch::nn::Conv2d stem{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr};
  std::vector<ResidualBlock> blocks;
  torch::nn::Conv2d policy_conv{nullptr};
  torch::nn::BatchNorm2d policy_bn{nullptr};
  torch::nn::Linear policy_fc{nullptr};
  torch::nn::Conv2d value_conv{nullptr};
  torch::nn::BatchNorm2d value_bn{nullptr};
  torch::nn::Linear value_fc1{nullptr}, value_fc2{nullptr};
};
TORCH_MODULE(ResNet);

// The training loss of a batch: cross-entropy of the policy against the
// search's visit distribution (illegal actions carry zero target mass) and
// cross-entropy of the WDL head against the value target (a distribution
// over win/draw/loss: one-hot for a terminal reward, or softer for a search
// value or a mix).
struct LossTerms {
  torch::Tensor policy;  // mean over the batch
  torch::Tensor value;   // mean over the batch
  torch::Tensor total() const { return policy + value; }
};
LossTerms PolicyValueLoss(const PolicyValueOutput& output,
                          const torch::Tensor& policy_target,
                          const torch::Tensor& wdl_target);

// A network with freshly initialised weights (deterministic for a seed).
ResNet NewResNet(const NetworkConfig& config, uint64_t seed);

// Every parameter and buffer (BN running statistics included) by name.
std::vector<NamedTensor> ExportTensors(ResNet& net);
// Loads tensors exported from a network of the same shape; every name must
// be present with the right shape (DataLoss otherwise).
absl::Status ImportTensors(const std::vector<NamedTensor>& tensors,
                           ResNet& net);

// A network built from a checkpoint (after the checksum and shape checks).
absl::StatusOr<ResNet> ResNetFromCheckpoint(const Checkpoint& checkpoint);

}  // namespace az::nn
