// A fast CPU forward pass of the residual network for inference.
//
// Small boards make LibTorch's per-operator overhead and its generic
// convolution kernels the bottleneck (6x7 Connect Four boards reach a tenth of
// the processor's arithmetic peak). This pass folds batch norm into the
// convolutions, keeps activations in a zero-bordered channels-last layout, and
// runs register-blocked SIMD convolution kernels (AVX-512 or AVX2/FMA, chosen
// at run time) with the bias, the residual sum and the ReLU fused into each.
// It needs no LibTorch: it reads the weights straight from a checkpoint. On
// processors without AVX2 and FMA it runs portable loops (correct, slower).
// In bf16 the Winograd products take bf16 inputs and weights and sum in fp32
// (AVX512-BF16 dot products, or AMX tiles); everything else stays fp32.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "nn/checkpoint.h"
#include "nn/cpu_kernels.h"
#include "nn/network_config.h"

namespace az::nn {

// How the 3x3 convolutions are computed (kAuto: Winograd where the
// processor has SIMD kernels, else direct portable loops).
enum class ConvAlgorithm { kAuto, kDirect, kWinograd };

struct FastForwardOptions {
  int threads = 1;  // at least 1: each batch is split between them
  ConvAlgorithm algorithm = ConvAlgorithm::kAuto;
  // kAuto: the widest fp32 kernels here; with bf16, AMX where the processor
  // has it, else AVX512-BF16.
  KernelSet kernels = KernelSet::kAuto;
  bool bf16 = false;
};

class FastForward {
 public:
  // Folds the checkpoint's weights (which must match its own config).
  // Errors: kernels or bf16 this processor cannot run, bf16 with direct
  // convolutions, a checkpoint whose tensors do not match its config.
  static absl::StatusOr<std::unique_ptr<FastForward>> Create(
      const Checkpoint& checkpoint, const FastForwardOptions& options = {});
  ~FastForward();

  const NetworkConfig& config() const { return config_; }
  // The kernels that run (never kAuto); kAmx only with bf16.
  KernelSet kernels() const { return kernels_; }
  bool bf16() const { return bf16_; }
  bool uses_winograd() const { return winograd_; }
  // e.g. "avx512 fp32", "amx bf16".
  std::string Describe() const;
  int threads() const { return static_cast<int>(workspaces_.size()); }

  // Runs `batch` positions. `observations` holds batch x input size floats
  // (Game::EncodeObservation layout); writes batch x num_actions policy
  // logits and batch x 3 WDL logits. Thread-compatible: concurrent calls need
  // their own FastForward (the scratch buffers are per object).
  void Forward(const float* observations, int batch, float* policy_logits,
               float* wdl_logits);

 private:
  struct Conv3x3;
  // Activations of one thread, grown to the largest slice seen. Only
  // interiors are ever written, so borders and padding channels stay zero.
  struct Workspace {
    std::vector<float> act[4];  // input, then three tower buffers
    std::vector<int> windows;   // per output pixel: its window's first pixel
    // Winograd: per 2x2 tile, its 4x4 input patch's first pixel, its first
    // output pixel, and which of its 4 pixels lie on the board.
    std::vector<int> patch, out_pixel;
    std::vector<unsigned char> valid;
    std::vector<float> v, m;  // transformed inputs and products of a pass
    std::vector<uint16_t> v16;  // bf16 transformed inputs
  };
  FastForward() = default;
  void ForwardSlice(Workspace& ws, const float* observations, int batch,
                    float* policy_logits, float* wdl_logits) const;
  void RunConv(const Conv3x3& conv, const float* in, const float* skip,
               float* out, const std::vector<int>& windows) const;
  void RunConvWinograd(const Conv3x3& conv, const float* in, const float* skip,
                       float* out, Workspace& ws) const;
  void WorkerLoop(int index);
  void RunHeads(const float* tower, int batch, float* policy_logits,
                float* wdl_logits) const;

  NetworkConfig config_;
  KernelSet kernels_ = KernelSet::kPortable;
  bool bf16_ = false;
  bool winograd_ = false;
  int ph_ = 0, pw_ = 0;  // padded board: height and width with zero borders
  int in_channels_padded_ = 0;  // input planes rounded up to 8
  int channels_padded_ = 0;  // tower channels rounded up to 8 (16: AVX-512)
  std::vector<Conv3x3> convs_;  // stem, then two per block

  // Heads (batch norm folded into the 1x1 convolutions).
  std::vector<float> policy_conv_w_, policy_conv_b_;  // [pc][C], [pc]
  std::vector<float> policy_fc_w_, policy_fc_b_;      // [A][pc*HW], [A]
  std::vector<float> value_conv_w_, value_conv_b_;    // [vc][C], [vc]
  std::vector<float> value_fc1_w_, value_fc1_b_;      // [hidden][vc*HW]
  std::vector<float> value_fc2_w_, value_fc2_b_;      // [3][hidden]

  std::vector<Workspace> workspaces_;  // one per thread

  // Workers 1..threads-1 run their slice of each batch; the caller runs
  // slice 0 and waits for the rest.
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::function<void(int)> job_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace az::nn
