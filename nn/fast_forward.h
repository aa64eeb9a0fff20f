// A fast CPU forward pass of the residual network for inference.
//
// Small boards make LibTorch's per-operator overhead and its generic
// convolution kernels the bottleneck (6x7 Connect Four boards reach a tenth of
// the processor's arithmetic peak). This pass folds batch norm into the
// convolutions, keeps activations in a zero-bordered channels-last layout, and
// runs register-blocked AVX2/FMA convolution kernels with the bias, the
// residual sum and the ReLU fused into each. It needs no LibTorch: it reads
// the weights straight from a checkpoint. On processors without AVX2 and FMA
// it runs portable loops (correct, slower).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/network_config.h"

namespace az::nn {

class FastForward {
 public:
  // Folds the checkpoint's weights (which must match its own config).
  static absl::StatusOr<std::unique_ptr<FastForward>> Create(
      const Checkpoint& checkpoint);
  ~FastForward();

  const NetworkConfig& config() const { return config_; }
  // Whether the AVX2/FMA kernels run (else the portable loops).
  bool uses_simd() const { return simd_; }

  // Runs `batch` positions. `observations` holds batch x input size floats
  // (Game::EncodeObservation layout); writes batch x num_actions policy
  // logits and batch x 3 WDL logits. Thread-compatible: concurrent calls need
  // their own FastForward (the scratch buffers are per object).
  void Forward(const float* observations, int batch, float* policy_logits,
               float* wdl_logits);

 private:
  struct Conv3x3;
  FastForward() = default;
  void RunConv(const Conv3x3& conv, const float* in, const float* skip,
               float* out, int batch) const;
  void RunHeads(const float* tower, int batch, float* policy_logits,
                float* wdl_logits) const;

  NetworkConfig config_;
  bool simd_ = false;
  int in_channels_padded_ = 0;  // input planes rounded up to 8
  int channels_padded_ = 0;     // tower channels rounded up to 8
  std::vector<Conv3x3> convs_;  // stem, then two per block

  // Heads (batch norm folded into the 1x1 convolutions).
  std::vector<float> policy_conv_w_, policy_conv_b_;  // [pc][C], [pc]
  std::vector<float> policy_fc_w_, policy_fc_b_;      // [A][pc*HW], [A]
  std::vector<float> value_conv_w_, value_conv_b_;    // [vc][C], [vc]
  std::vector<float> value_fc1_w_, value_fc1_b_;      // [hidden][vc*HW]
  std::vector<float> value_fc2_w_, value_fc2_b_;      // [3][hidden]

  // Scratch activations, grown to the largest batch seen.
  std::vector<float> act_[3];
  std::vector<float> head_scratch_;
};

}  // namespace az::nn
