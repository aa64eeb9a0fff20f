#include "nn/fast_forward.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "nn/conv_kernels.h"

namespace az::nn {

struct FastForward::Conv3x3 {
  int in_p = 0;   // input channels, padded to 8
  int out_p = 0;  // output channels, padded to 8
  std::vector<float> weights;   // [9 taps][in_p][out_p]
  std::vector<float> winograd;  // [16][in_p][out_p]: G g G^T per (ci, co)
  // bf16 only: the same, in_p rounded up to k_p (a multiple of 32), as
  // pairs of input channels: [16][k_p / 2][out_p][2].
  int k_p = 0;
  std::vector<Bf16> winograd16;
  std::vector<float> bias;      // [out_p]
};

namespace {

constexpr float kBatchNormEps = 1e-5f;  // LibTorch's default

int RoundUp(int n, int to) { return (n + to - 1) / to * to; }
int RoundUp8(int n) { return RoundUp(n, 8); }

// Pixels per block of the AVX2 32-channel kernel (12 accumulators + 4
// weights of the 16 registers).
constexpr int kPixels32 = 3;
// Pixels per block of the AVX-512 kernels (at most 24 accumulators + 4
// weights of the 32 registers).
constexpr int kPixels512 = 6;

// Input channels reduced per pass of the AVX2 kernels (see RunConv).
constexpr int kInputChunk = 16;

using TensorMap = std::map<std::string, const NamedTensor*>;

absl::StatusOr<const NamedTensor*> Find(const TensorMap& tensors,
                                        const std::string& name,
                                        std::vector<int64_t> shape) {
  auto it = tensors.find(name);
  if (it == tensors.end()) {
    return absl::DataLossError(absl::StrCat("checkpoint lacks ", name));
  }
  if (it->second->shape != shape) {
    return absl::DataLossError(
        absl::StrCat("checkpoint tensor ", name, " has the wrong shape"));
  }
  return it->second;
}

// Per-output-channel scale and shift of an eval-mode batch norm.
absl::Status FoldBatchNorm(const TensorMap& tensors, const std::string& bn,
                           int channels, std::vector<float>* scale,
                           std::vector<float>* shift) {
  std::vector<int64_t> shape = {channels};
  auto gamma = Find(tensors, bn + ".weight", shape);
  auto beta = Find(tensors, bn + ".bias", shape);
  auto mean = Find(tensors, bn + ".running_mean", shape);
  auto var = Find(tensors, bn + ".running_var", shape);
  for (const auto* t : {&gamma, &beta, &mean, &var}) {
    if (!t->ok()) return t->status();
  }
  scale->resize(channels);
  shift->resize(channels);
  for (int c = 0; c < channels; ++c) {
    float s = (*gamma)->values[c] / std::sqrt((*var)->values[c] + kBatchNormEps);
    (*scale)[c] = s;
    (*shift)[c] = (*beta)->values[c] - (*mean)->values[c] * s;
  }
  return absl::OkStatus();
}

float DotPortable(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// The same computation in portable code, for processors without AVX2.
void ConvBlockPortable(const float* const* in_px, int xb, int row_stride,
                       int in_p, const float* w, int out_p, int co0, int nc,
                       const float* bias, const float* const* skip_px,
                       float* const* out_px) {
  for (int p = 0; p < xb; ++p) {
    float acc[32];
    for (int c = 0; c < nc; ++c) acc[c] = bias[co0 + c];
    for (int tap = 0; tap < 9; ++tap) {
      const float* wt = w + tap * in_p * out_p + co0;
      const float* x = in_px[p] + (tap / 3) * row_stride + (tap % 3) * in_p;
      for (int ci = 0; ci < in_p; ++ci) {
        for (int c = 0; c < nc; ++c) acc[c] += x[ci] * wt[ci * out_p + c];
      }
    }
    for (int c = 0; c < nc; ++c) {
      float r = acc[c] + (skip_px ? skip_px[p][co0 + c] : 0.0f);
      out_px[p][co0 + c] = r > 0.0f ? r : 0.0f;
    }
  }
}

}  // namespace

FastForward::~FastForward() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void FastForward::WorkerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    std::function<void(int)> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    job(index);
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_cv_.notify_one();
  }
}

namespace {

// The Winograd form of direct weights [9 taps][in_p][out_p] (`in` x `out`
// real channels): U = G g G^T per (ci, co) with G = [1 0 0; .5 .5 .5;
// .5 -.5 .5; 0 0 1], as [16][in_p][out_p].
std::vector<float> WinogradWeights(const std::vector<float>& weights, int in,
                                   int out, int in_p, int out_p) {
  static constexpr float kG[4][3] = {
      {1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  std::vector<float> winograd(16 * in_p * out_p, 0.0f);
  for (int ci = 0; ci < in; ++ci) {
    for (int co = 0; co < out; ++co) {
      float g[3][3];
      for (int tap = 0; tap < 9; ++tap) {
        g[tap / 3][tap % 3] = weights[(tap * in_p + ci) * out_p + co];
      }
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          float u = 0;
          for (int a = 0; a < 3; ++a) {
            for (int b = 0; b < 3; ++b) u += kG[i][a] * g[a][b] * kG[j][b];
          }
          winograd[((4 * i + j) * in_p + ci) * out_p + co] = u;
        }
      }
    }
  }
  return winograd;
}

// Winograd weights [16][in_p][out_p] rounded to bf16 as pairs of input
// channels, [16][k_p / 2][out_p][2], channels in_p..k_p zero (the layout
// WinogradProductsBf16 and WinogradProductsAmx read).
std::vector<Bf16> Bf16Pairs(const std::vector<float>& winograd, int in_p,
                            int out_p, int k_p) {
  std::vector<Bf16> pairs(16 * k_p * out_p, 0);
  for (int xi = 0; xi < 16; ++xi) {
    for (int ci = 0; ci < in_p; ++ci) {
      for (int co = 0; co < out_p; ++co) {
        pairs[(xi * k_p + ci - ci % 2) * out_p + 2 * co + ci % 2] =
            ToBf16(winograd[(xi * in_p + ci) * out_p + co]);
      }
    }
  }
  return pairs;
}

// The kernels `options` asks for, as they will run: never kAuto, kAmx only
// with bf16.
absl::StatusOr<KernelSet> ChooseKernels(const FastForwardOptions& options) {
  if (!options.bf16) {
    if (options.kernels == KernelSet::kAmx) {
      return absl::InvalidArgumentError(
          "--kernels=amx multiplies in bf16: it needs --precision=bf16");
    }
    return ResolveKernelSet(options.kernels);
  }
  if (options.algorithm == ConvAlgorithm::kDirect) {
    return absl::InvalidArgumentError(
        "bf16 runs the Winograd convolutions only, not the direct ones");
  }
  KernelSet set = options.kernels;
  if (set == KernelSet::kAuto) {
    set = CpuHasAmxBf16() ? KernelSet::kAmx : KernelSet::kAvx512;
  }
  if (set == KernelSet::kAvx2 || set == KernelSet::kPortable) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bf16 runs on the amx or avx512 kernels, not ", KernelSetName(set)));
  }
  if (set == KernelSet::kAvx512 && !CpuHasAvx512Bf16()) {
    return absl::FailedPreconditionError(
        "bf16 needs a processor with AVX512-BF16 or AMX-BF16 (see lscpu)");
  }
  return ResolveKernelSet(set);
}

}  // namespace

std::string FastForward::Describe() const {
  return absl::StrCat(KernelSetName(kernels_), bf16_ ? " bf16" : " fp32");
}

absl::StatusOr<std::unique_ptr<FastForward>> FastForward::Create(
    const Checkpoint& checkpoint, const FastForwardOptions& options) {
  const int threads = options.threads;
  if (threads < 1 || threads > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("inference threads must be in [1, 256], not ", threads));
  }
  const NetworkConfig& c = checkpoint.metadata.config;
  if (absl::Status s = c.Validate(); !s.ok()) return s;
  absl::StatusOr<KernelSet> kernels = ChooseKernels(options);
  if (!kernels.ok()) return kernels.status();
  if (options.algorithm == ConvAlgorithm::kWinograd &&
      *kernels == KernelSet::kPortable) {
    return absl::FailedPreconditionError(
        "Winograd convolutions need the SIMD kernels (AVX2/FMA or AVX-512)");
  }
  std::unique_ptr<FastForward> net(new FastForward);
  net->config_ = c;
  net->kernels_ = *kernels;
  net->bf16_ = options.bf16;
  net->in_channels_padded_ = RoundUp8(c.input_planes);
  // Even padded sizes: Winograd tiles of 2x2 output pixels read 4x4 input
  // patches, so an odd board gets one more zero row/column.
  net->ph_ = 2 * ((c.board_height + 1) / 2) + 2;
  net->pw_ = 2 * ((c.board_width + 1) / 2) + 2;
  net->winograd_ = *kernels != KernelSet::kPortable &&
                   options.algorithm != ConvAlgorithm::kDirect;
  // The AVX-512 kernels write 16 output channels per vector.
  const bool wide =
      *kernels == KernelSet::kAvx512 || *kernels == KernelSet::kAmx;
  net->channels_padded_ = RoundUp(c.channels, wide ? 16 : 8);
  TensorMap tensors;
  for (const NamedTensor& t : checkpoint.tensors) tensors[t.name] = &t;

  // `in_p`: the input's channel stride (the input planes rounded up to 8
  // for the stem, the tower's padded channels after it).
  auto add_conv = [&](const std::string& conv, const std::string& bn, int in,
                      int in_p) -> absl::Status {
    auto w = Find(tensors, conv + ".weight", {c.channels, in, 3, 3});
    if (!w.ok()) return w.status();
    std::vector<float> scale, shift;
    if (absl::Status s = FoldBatchNorm(tensors, bn, c.channels, &scale, &shift);
        !s.ok()) {
      return s;
    }
    Conv3x3 folded;
    folded.in_p = in_p;
    folded.out_p = net->channels_padded_;
    folded.weights.assign(9 * folded.in_p * folded.out_p, 0.0f);
    folded.bias.assign(folded.out_p, 0.0f);
    for (int co = 0; co < c.channels; ++co) {
      folded.bias[co] = shift[co];
      for (int ci = 0; ci < in; ++ci) {
        for (int tap = 0; tap < 9; ++tap) {
          folded.weights[(tap * folded.in_p + ci) * folded.out_p + co] =
              (*w)->values[(co * in + ci) * 9 + tap] * scale[co];
        }
      }
    }
    folded.winograd = WinogradWeights(folded.weights, in, c.channels,
                                      folded.in_p, folded.out_p);
    if (net->bf16_) {
      folded.k_p = RoundUp(folded.in_p, 32);
      folded.winograd16 =
          Bf16Pairs(folded.winograd, folded.in_p, folded.out_p, folded.k_p);
    }
    net->convs_.push_back(std::move(folded));
    return absl::OkStatus();
  };
  if (absl::Status s = add_conv("stem", "stem_bn", c.input_planes,
                                net->in_channels_padded_);
      !s.ok()) {
    return s;
  }
  for (int b = 0; b < c.blocks; ++b) {
    std::string block = absl::StrCat("block", b, ".");
    for (int k = 1; k <= 2; ++k) {
      if (absl::Status s = add_conv(absl::StrCat(block, "conv", k),
                                    absl::StrCat(block, "bn", k), c.channels,
                                    net->channels_padded_);
          !s.ok()) {
        return s;
      }
    }
  }

  // Heads: fold each 1x1 convolution's batch norm into it.
  const int cells = c.board_height * c.board_width;
  auto add_1x1 = [&](const std::string& conv, const std::string& bn, int out,
                     std::vector<float>* w_out,
                     std::vector<float>* b_out) -> absl::Status {
    auto w = Find(tensors, conv + ".weight", {out, c.channels, 1, 1});
    if (!w.ok()) return w.status();
    std::vector<float> scale, shift;
    if (absl::Status s = FoldBatchNorm(tensors, bn, out, &scale, &shift);
        !s.ok()) {
      return s;
    }
    w_out->assign(out * c.channels, 0.0f);
    for (int o = 0; o < out; ++o) {
      for (int i = 0; i < c.channels; ++i) {
        (*w_out)[o * c.channels + i] = (*w)->values[o * c.channels + i] * scale[o];
      }
    }
    *b_out = shift;
    return absl::OkStatus();
  };
  auto add_fc = [&](const std::string& fc, int out, int in,
                    std::vector<float>* w_out,
                    std::vector<float>* b_out) -> absl::Status {
    auto w = Find(tensors, fc + ".weight", {out, in});
    auto b = Find(tensors, fc + ".bias", {out});
    if (!w.ok()) return w.status();
    if (!b.ok()) return b.status();
    *w_out = (*w)->values;
    *b_out = (*b)->values;
    return absl::OkStatus();
  };
  for (absl::Status s : {
           add_1x1("policy_conv", "policy_bn", c.policy_channels,
                   &net->policy_conv_w_, &net->policy_conv_b_),
           add_fc("policy_fc", c.num_actions, c.policy_channels * cells,
                  &net->policy_fc_w_, &net->policy_fc_b_),
           add_1x1("value_conv", "value_bn", c.value_channels,
                   &net->value_conv_w_, &net->value_conv_b_),
           add_fc("value_fc1", c.value_hidden, c.value_channels * cells,
                  &net->value_fc1_w_, &net->value_fc1_b_),
           add_fc("value_fc2", 3, c.value_hidden, &net->value_fc2_w_,
                  &net->value_fc2_b_),
       }) {
    if (!s.ok()) return s;
  }
  net->workspaces_.resize(threads);
  for (int i = 1; i < threads; ++i) {
    net->workers_.emplace_back([raw = net.get(), i] { raw->WorkerLoop(i); });
  }
  return net;
}

void FastForward::RunConv(const Conv3x3& conv, const float* in,
                          const float* skip, float* out,
                          const std::vector<int>& windows) const {
  const int pw = pw_;
  const int pixels = static_cast<int>(windows.size());
  Conv3x3Block block;
  const float* in_px[kPixels512];
  const float* skip_px[kPixels512];
  float* out_px[kPixels512];
  block.in_px = in_px;
  block.skip_px = skip != nullptr ? skip_px : nullptr;
  block.out_px = out_px;
  block.row_stride = pw * conv.in_p;
  block.in_p = conv.in_p;
  block.out_p = conv.out_p;
  block.weights = conv.weights.data();
  block.bias = conv.bias.data();
  // Input channels per pass: a chunk's weights for 32 output channels
  // (9 x 16 x 32 floats = 18 KiB) stay in L1 while every pixel streams by.
  const bool simd = kernels_ != KernelSet::kPortable;
  const bool wide = kernels_ == KernelSet::kAvx512 || kernels_ == KernelSet::kAmx;
  const int lanes = wide ? 16 : 8;
  const int chunk = simd ? kInputChunk : conv.in_p;
  for (int co0 = 0; co0 < conv.out_p;) {
    const int left = conv.out_p - co0;
    const int nc = left >= 4 * lanes ? 4 * lanes : left >= 2 * lanes ? 2 * lanes : lanes;
    const int per_block = wide ? kPixels512 : nc == 32 ? kPixels32 : 4;
    block.vectors = nc / lanes;
    block.co0 = co0;
    for (int c0 = 0; c0 < conv.in_p; c0 += chunk) {
      block.ci_begin = c0;
      block.ci_end = std::min(conv.in_p, c0 + chunk);
      block.first = c0 == 0;
      block.last = block.ci_end == conv.in_p;
      for (int i = 0; i < pixels; i += per_block) {
        block.pixels = std::min(per_block, pixels - i);
        for (int p = 0; p < block.pixels; ++p) {
          const size_t window = windows[i + p];
          const size_t center = window + pw + 1;
          in_px[p] = in + window * conv.in_p;
          out_px[p] = out + center * conv.out_p;
          if (skip != nullptr) skip_px[p] = skip + center * conv.out_p;
        }
        if (wide) {
          Conv3x3BlockAvx512(block);
        } else if (simd) {
          Conv3x3BlockAvx2(block);
        } else {
          ConvBlockPortable(in_px, block.pixels, block.row_stride, conv.in_p,
                            block.weights, conv.out_p, co0, nc, block.bias,
                            block.skip_px, out_px);
        }
      }
    }
    co0 += nc;
  }
}

void FastForward::RunConvWinograd(const Conv3x3& conv, const float* in,
                                  const float* skip, float* out,
                                  Workspace& ws) const {
  const int tiles = static_cast<int>(ws.patch.size());
  // Tiles per pass: the transformed inputs and products of a pass (16 x
  // chunk x channels each) stay in L2.
  // A multiple of 16: the AMX tiles take 16 rows at a time.
  constexpr int kTileChunk = 48;
  const int m_stride = kTileChunk * conv.out_p;
  ws.m.resize(static_cast<size_t>(16) * m_stride);
  const int row_stride = pw_ * conv.in_p;
  const int* patch = ws.patch.data();
  auto output = [&](int t0, int n) {
    const int* out_pixel = ws.out_pixel.data() + t0;
    const unsigned char* valid = ws.valid.data() + t0;
    if (kernels_ == KernelSet::kAvx2) {
      WinogradOutputAvx2(ws.m.data(), m_stride, n, conv.out_p, conv.bias.data(),
                         out_pixel, valid, pw_, skip, out);
    } else {
      WinogradOutputAvx512(ws.m.data(), m_stride, n, conv.out_p,
                           conv.bias.data(), out_pixel, valid, pw_, skip, out);
    }
  };
  if (bf16_) {
    const int v_stride = kTileChunk * conv.k_p;
    ws.v16.resize(static_cast<size_t>(16) * v_stride);
    for (int t0 = 0; t0 < tiles; t0 += kTileChunk) {
      const int n = std::min(kTileChunk, tiles - t0);
      WinogradInputBf16(in, patch + t0, n, row_stride, conv.in_p, conv.k_p,
                        ws.v16.data(), v_stride);
      if (kernels_ == KernelSet::kAmx) {
        // Rows n..15 of the last tile block hold stale (finite) values;
        // their products land in rows of M that output() never reads.
        WinogradProductsAmx(ws.v16.data(), v_stride, conv.winograd16.data(),
                            RoundUp(n, 16), conv.k_p, conv.out_p, ws.m.data(),
                            m_stride);
      } else {
        WinogradProductsBf16(ws.v16.data(), v_stride, conv.winograd16.data(), n,
                             conv.k_p, conv.out_p, ws.m.data(), m_stride);
      }
      output(t0, n);
    }
    return;
  }
  const int v_stride = kTileChunk * conv.in_p;
  ws.v.resize(static_cast<size_t>(16) * v_stride);
  for (int t0 = 0; t0 < tiles; t0 += kTileChunk) {
    const int n = std::min(kTileChunk, tiles - t0);
    if (kernels_ == KernelSet::kAvx2) {
      WinogradInputAvx2(in, patch + t0, n, row_stride, conv.in_p, ws.v.data(),
                        v_stride);
      WinogradProductsAvx2(ws.v.data(), v_stride, conv.winograd.data(), n,
                           conv.in_p, conv.out_p, ws.m.data(), m_stride);
    } else {
      WinogradInputAvx512(in, patch + t0, n, row_stride, conv.in_p, ws.v.data(),
                          v_stride);
      WinogradProductsAvx512(ws.v.data(), v_stride, conv.winograd.data(), n,
                             conv.in_p, conv.out_p, ws.m.data(), m_stride);
    }
    output(t0, n);
  }
}

void FastForward::RunHeads(const float* tower, int batch, float* policy_logits,
                           float* wdl_logits) const {
  const NetworkConfig& c = config_;
  const int h = c.board_height, w = c.board_width, cells = h * w;
  const int pw = pw_, plane = ph_ * pw_, cp = channels_padded_;
  std::vector<float> features(std::max(c.policy_channels, c.value_channels) *
                              cells);
  std::vector<float> hidden(c.value_hidden);
  float (*dot)(const float*, const float*, int) =
      kernels_ == KernelSet::kPortable ? DotPortable
      : kernels_ == KernelSet::kAvx2   ? DotAvx2
                                       : DotAvx512;
  for (int b = 0; b < batch; ++b) {
    const float* x = tower + static_cast<size_t>(b) * plane * cp;
    // 1x1 convolution + ReLU, written channel-major as LibTorch flattens.
    auto conv1x1 = [&](const std::vector<float>& wt,
                       const std::vector<float>& bias, int out) {
      for (int o = 0; o < out; ++o) {
        const float* wo = wt.data() + o * c.channels;
        for (int y = 0; y < h; ++y) {
          for (int xx = 0; xx < w; ++xx) {
            const float* px = x + ((y + 1) * pw + xx + 1) * cp;
            const float s = bias[o] + dot(wo, px, c.channels);
            features[o * cells + y * w + xx] = s > 0.0f ? s : 0.0f;
          }
        }
      }
    };
    auto linear = [dot](const std::vector<float>& wt,
                        const std::vector<float>& bias, const float* in,
                        int n_in, int n_out, float* out) {
      for (int o = 0; o < n_out; ++o) {
        out[o] = bias[o] + dot(wt.data() + static_cast<size_t>(o) * n_in, in, n_in);
      }
    };
    conv1x1(policy_conv_w_, policy_conv_b_, c.policy_channels);
    linear(policy_fc_w_, policy_fc_b_, features.data(),
           c.policy_channels * cells, c.num_actions,
           policy_logits + static_cast<size_t>(b) * c.num_actions);
    conv1x1(value_conv_w_, value_conv_b_, c.value_channels);
    linear(value_fc1_w_, value_fc1_b_, features.data(),
           c.value_channels * cells, c.value_hidden, hidden.data());
    for (float& v : hidden) v = v > 0.0f ? v : 0.0f;
    linear(value_fc2_w_, value_fc2_b_, hidden.data(), c.value_hidden, 3,
           wdl_logits + static_cast<size_t>(b) * 3);
  }
}

void FastForward::Forward(const float* observations, int batch,
                          float* policy_logits, float* wdl_logits) {
  const int threads = static_cast<int>(workspaces_.size());
  // Small batches are not worth waking a second core for.
  const int slices = std::min(threads, std::max(1, batch / 8));
  const size_t obs_size = static_cast<size_t>(config_.input_planes) *
                          config_.board_height * config_.board_width;
  auto run = [&](int index) {
    if (index >= slices) return;
    int first = batch * index / slices, last = batch * (index + 1) / slices;
    ForwardSlice(workspaces_[index], observations + first * obs_size,
                 last - first, policy_logits + first * config_.num_actions,
                 wdl_logits + first * 3);
  };
  if (slices == 1) {
    run(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = run;
    pending_ = threads - 1;
    ++generation_;
  }
  work_cv_.notify_all();
  run(0);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
}

void FastForward::ForwardSlice(Workspace& ws, const float* observations,
                               int batch, float* policy_logits,
                               float* wdl_logits) const {
  const NetworkConfig& c = config_;
  const int h = c.board_height, w = c.board_width, cells = h * w;
  const int pw = pw_, plane = ph_ * pw_;
  const size_t in_size = static_cast<size_t>(batch) * plane * in_channels_padded_;
  const size_t act_size = static_cast<size_t>(batch) * plane * channels_padded_;
  if (ws.act[0].size() < in_size) ws.act[0].resize(in_size, 0.0f);
  for (int k = 1; k < 4; ++k) {
    if (ws.act[k].size() < act_size) ws.act[k].resize(act_size, 0.0f);
  }
  float* input = ws.act[0].data();
  for (int b = 0; b < batch; ++b) {
    const float* obs = observations + static_cast<size_t>(b) * c.input_planes * cells;
    float* dst = input + static_cast<size_t>(b) * plane * in_channels_padded_;
    for (int p = 0; p < c.input_planes; ++p) {
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          dst[((y + 1) * pw + x + 1) * in_channels_padded_ + p] =
              obs[(p * h + y) * w + x];
        }
      }
    }
  }
  // x: the block input, y: the middle of the block, z: the block output
  // (a buffer of its own: the output holds partial sums while the skip
  // connection still reads x).
  float* x = ws.act[1].data();
  float* y = ws.act[2].data();
  float* z = ws.act[3].data();
  // Where each output pixel's 3x3 window starts, in padded pixels.
  ws.windows.resize(static_cast<size_t>(batch) * cells);
  for (int b = 0, i = 0; b < batch; ++b) {
    for (int r = 0; r < h; ++r) {
      for (int col = 0; col < w; ++col) ws.windows[i++] = b * plane + r * pw + col;
    }
  }
  if (winograd_) {
    // Tile (b, ty, tx): output pixels (2ty..2ty+1, 2tx..2tx+1) of board b.
    const int tiles_y = (h + 1) / 2, tiles_x = (w + 1) / 2;
    ws.patch.clear();
    ws.out_pixel.clear();
    ws.valid.clear();
    for (int b = 0; b < batch; ++b) {
      for (int ty = 0; ty < tiles_y; ++ty) {
        for (int tx = 0; tx < tiles_x; ++tx) {
          int corner = b * plane + 2 * ty * pw + 2 * tx;
          ws.patch.push_back(corner);
          ws.out_pixel.push_back(corner + pw + 1);
          bool right = 2 * tx + 1 < w, down = 2 * ty + 1 < h;
          ws.valid.push_back(1 | (right ? 2 : 0) | (down ? 4 : 0) |
                             (right && down ? 8 : 0));
        }
      }
    }
  }
  auto conv = [&](const Conv3x3& layer, const float* in, const float* skip,
                  float* out) {
    if (winograd_) {
      RunConvWinograd(layer, in, skip, out, ws);
    } else {
      RunConv(layer, in, skip, out, ws.windows);
    }
  };
  conv(convs_[0], input, nullptr, x);
  for (int b = 0; b < c.blocks; ++b) {
    conv(convs_[1 + 2 * b], x, nullptr, y);
    conv(convs_[2 + 2 * b], y, x, z);
    std::swap(x, z);
  }
  RunHeads(x, batch, policy_logits, wdl_logits);
}

}  // namespace az::nn
