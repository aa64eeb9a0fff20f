#include "nn/network_builder.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

namespace az::nn {
namespace {

// Fresh tensors with LibTorch's default initialisation (uniform in
// +-1/sqrt(fan_in) for weights and biases; batch norms as the identity),
// named and shaped exactly as nn/resnet.h's module names them.
class TensorMaker {
 public:
  explicit TensorMaker(uint64_t seed) : rng_(seed) {}

  void Uniform(const std::string& name, std::vector<int64_t> shape,
               int64_t fan_in) {
    NamedTensor t = Shaped(name, std::move(shape));
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (float& v : t.values) {
      // 53 random bits to a double in [0, 1), the same on every platform.
      double unit = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
      v = static_cast<float>((2.0 * unit - 1.0) * bound);
    }
    tensors_.push_back(std::move(t));
  }
  void Conv(const std::string& name, int in, int out, int kernel) {
    Uniform(name + ".weight", {out, in, kernel, kernel}, in * kernel * kernel);
  }
  void Linear(const std::string& name, int in, int out) {
    Uniform(name + ".weight", {out, in}, in);
    Uniform(name + ".bias", {out}, in);
  }
  void BatchNorm(const std::string& name, int channels) {
    Constant(name + ".weight", channels, 1.0f);
    Constant(name + ".bias", channels, 0.0f);
    Constant(name + ".running_mean", channels, 0.0f);
    Constant(name + ".running_var", channels, 1.0f);
  }
  std::vector<NamedTensor> Take() { return std::move(tensors_); }

 private:
  NamedTensor Shaped(const std::string& name, std::vector<int64_t> shape) {
    NamedTensor t;
    t.name = name;
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    t.shape = std::move(shape);
    t.values.assign(count, 0.0f);
    return t;
  }
  void Constant(const std::string& name, int channels, float value) {
    NamedTensor t = Shaped(name, {channels});
    std::fill(t.values.begin(), t.values.end(), value);
    tensors_.push_back(std::move(t));
  }
  std::mt19937_64 rng_;
  std::vector<NamedTensor> tensors_;
};

}  // namespace

absl::StatusOr<Checkpoint> NewRandomCheckpoint(const NetworkConfig& config,
                                               uint64_t seed) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  const NetworkConfig& c = config;
  const int cells = c.board_height * c.board_width;
  TensorMaker make(seed);
  make.Conv("stem", c.input_planes, c.channels, 3);
  make.BatchNorm("stem_bn", c.channels);
  for (int b = 0; b < c.blocks; ++b) {
    std::string block = absl::StrCat("block", b, ".");
    make.Conv(block + "conv1", c.channels, c.channels, 3);
    make.BatchNorm(block + "bn1", c.channels);
    make.Conv(block + "conv2", c.channels, c.channels, 3);
    make.BatchNorm(block + "bn2", c.channels);
  }
  make.Conv("policy_conv", c.channels, c.policy_channels, 1);
  make.BatchNorm("policy_bn", c.policy_channels);
  make.Linear("policy_fc", c.policy_channels * cells, c.num_actions);
  make.Conv("value_conv", c.channels, c.value_channels, 1);
  make.BatchNorm("value_bn", c.value_channels);
  make.Linear("value_fc1", c.value_channels * cells, c.value_hidden);
  make.Linear("value_fc2", c.value_hidden, 3);
  Checkpoint checkpoint;
  checkpoint.metadata.config = config;
  checkpoint.tensors = make.Take();
  return checkpoint;
}

absl::StatusOr<Checkpoint> LoadCheckpointForGame(const std::string& path,
                                                 const Game& game) {
  absl::StatusOr<Checkpoint> checkpoint = LoadCheckpoint(path);
  if (!checkpoint.ok()) return checkpoint.status();
  // The game and its input/output shape; the tower's size is the
  // checkpoint's own (CheckCheckpointMatches does not compare it).
  if (absl::Status s = CheckCheckpointMatches(
          checkpoint->metadata, NetworkConfig::ForGame(game), path);
      !s.ok()) {
    return s;
  }
  return checkpoint;
}

}  // namespace az::nn
