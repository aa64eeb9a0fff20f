#include "nn/fast_forward.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace az::nn {

struct FastForward::Conv3x3 {
  int in_p = 0;   // input channels, padded to 8
  int out_p = 0;  // output channels, padded to 8
  std::vector<float> weights;  // [9 taps][in_p][out_p]
  std::vector<float> bias;     // [out_p]
};

namespace {

constexpr float kBatchNormEps = 1e-5f;  // LibTorch's default

int RoundUp8(int n) { return (n + 7) / 8 * 8; }

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

bool CpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// One block of output pixels of a 3x3 convolution: NV x 8 output channels
// starting at co0, for XB pixels whose 3x3 input windows start at in_px[p].
// Accumulators stay in registers for the whole reduction.
template <int NV, int XB>
__attribute__((target("avx2,fma"))) void ConvBlockAvx2(
    const float* const* in_px, int row_stride, int in_p, const float* w,
    int out_p, int co0, const float* bias, const float* const* skip_px,
    float* const* out_px) {
  __m256 acc[XB][NV];
  for (int v = 0; v < NV; ++v) {
    __m256 b = _mm256_loadu_ps(bias + co0 + 8 * v);
    for (int p = 0; p < XB; ++p) acc[p][v] = b;
  }
  for (int dy = 0; dy < 3; ++dy) {
    for (int dx = 0; dx < 3; ++dx) {
      const float* wt = w + (dy * 3 + dx) * in_p * out_p + co0;
      const int off = dy * row_stride + dx * in_p;
      for (int ci = 0; ci < in_p; ++ci) {
        __m256 wv[NV];
        for (int v = 0; v < NV; ++v) {
          wv[v] = _mm256_loadu_ps(wt + ci * out_p + 8 * v);
        }
        for (int p = 0; p < XB; ++p) {
          __m256 x = _mm256_broadcast_ss(in_px[p] + off + ci);
          for (int v = 0; v < NV; ++v) {
            acc[p][v] = _mm256_fmadd_ps(x, wv[v], acc[p][v]);
          }
        }
      }
    }
  }
  const __m256 zero = _mm256_setzero_ps();
  for (int p = 0; p < XB; ++p) {
    for (int v = 0; v < NV; ++v) {
      __m256 r = acc[p][v];
      if (skip_px != nullptr) {
        r = _mm256_add_ps(r, _mm256_loadu_ps(skip_px[p] + co0 + 8 * v));
      }
      _mm256_storeu_ps(out_px[p] + co0 + 8 * v, _mm256_max_ps(r, zero));
    }
  }
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

FastForward::~FastForward() = default;

absl::StatusOr<std::unique_ptr<FastForward>> FastForward::Create(
    const Checkpoint& checkpoint) {
  const NetworkConfig& c = checkpoint.metadata.config;
  if (absl::Status s = c.Validate(); !s.ok()) return s;
  std::unique_ptr<FastForward> net(new FastForward);
  net->config_ = c;
  net->simd_ = CpuHasAvx2Fma();
  net->in_channels_padded_ = RoundUp8(c.input_planes);
  net->channels_padded_ = RoundUp8(c.channels);
  TensorMap tensors;
  for (const NamedTensor& t : checkpoint.tensors) tensors[t.name] = &t;

  auto add_conv = [&](const std::string& conv, const std::string& bn,
                      int in) -> absl::Status {
    auto w = Find(tensors, conv + ".weight", {c.channels, in, 3, 3});
    if (!w.ok()) return w.status();
    std::vector<float> scale, shift;
    if (absl::Status s = FoldBatchNorm(tensors, bn, c.channels, &scale, &shift);
        !s.ok()) {
      return s;
    }
    Conv3x3 folded;
    folded.in_p = RoundUp8(in);
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
    net->convs_.push_back(std::move(folded));
    return absl::OkStatus();
  };
  if (absl::Status s = add_conv("stem", "stem_bn", c.input_planes); !s.ok()) {
    return s;
  }
  for (int b = 0; b < c.blocks; ++b) {
    std::string block = absl::StrCat("block", b, ".");
    for (int k = 1; k <= 2; ++k) {
      if (absl::Status s = add_conv(absl::StrCat(block, "conv", k),
                                    absl::StrCat(block, "bn", k), c.channels);
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
  return net;
}

void FastForward::RunConv(const Conv3x3& conv, const float* in,
                          const float* skip, float* out, int batch) const {
  const int h = config_.board_height, w = config_.board_width;
  const int pw = w + 2, plane = (h + 2) * pw;
  const int in_stride = conv.in_p, out_stride = conv.out_p;
  const int pixels = batch * h * w;
  // Input window start, output and skip position of flat output pixel i.
  auto window = [&](int i) { return i / (h * w) * plane + (i % (h * w)) / w * pw + i % w; };

  constexpr int kMaxBlock = 8;
  const float* in_px[kMaxBlock];
  const float* skip_px[kMaxBlock];
  float* out_px[kMaxBlock];
  auto run_tile = [&](int first, int count, int co0, int nc) {
    for (int p = 0; p < count; ++p) {
      int base = window(first + p);
      in_px[p] = in + static_cast<size_t>(base) * in_stride;
      int center = base + pw + 1;
      out_px[p] = out + static_cast<size_t>(center) * out_stride;
      if (skip) skip_px[p] = skip + static_cast<size_t>(center) * out_stride;
    }
    const float* const* sk = skip ? skip_px : nullptr;
    const int row = pw * in_stride;
    if (!simd_) {
      ConvBlockPortable(in_px, count, row, conv.in_p, conv.weights.data(),
                        conv.out_p, co0, nc, conv.bias.data(), sk, out_px);
      return;
    }
    const float* wt = conv.weights.data();
    const float* b = conv.bias.data();
#define AZ_CONV(NV, XB) \
  ConvBlockAvx2<NV, XB>(in_px, row, conv.in_p, wt, conv.out_p, co0, b, sk, out_px)
    if (nc == 32) {
      if (count == 3) AZ_CONV(4, 3);
      else if (count == 2) AZ_CONV(4, 2);
      else AZ_CONV(4, 1);
    } else if (nc == 16) {
      if (count == 6) AZ_CONV(2, 6);
      else for (int p = 0; p < count; ++p) {
        ConvBlockAvx2<2, 1>(in_px + p, row, conv.in_p, wt, conv.out_p, co0, b,
                            sk ? sk + p : nullptr, out_px + p);
      }
    } else {
      if (count == 8) AZ_CONV(1, 8);
      else for (int p = 0; p < count; ++p) {
        ConvBlockAvx2<1, 1>(in_px + p, row, conv.in_p, wt, conv.out_p, co0, b,
                            sk ? sk + p : nullptr, out_px + p);
      }
    }
#undef AZ_CONV
  };
  for (int co0 = 0; co0 < conv.out_p;) {
    int nc = conv.out_p - co0 >= 32 ? 32 : conv.out_p - co0 >= 16 ? 16 : 8;
    int block = nc == 32 ? 3 : nc == 16 ? 6 : 8;
    for (int i = 0; i < pixels; i += block) {
      run_tile(i, std::min(block, pixels - i), co0, nc);
    }
    co0 += nc;
  }
}

void FastForward::RunHeads(const float* tower, int batch, float* policy_logits,
                           float* wdl_logits) const {
  const NetworkConfig& c = config_;
  const int h = c.board_height, w = c.board_width, cells = h * w;
  const int pw = w + 2, plane = (h + 2) * pw, cp = channels_padded_;
  std::vector<float> features(std::max(c.policy_channels, c.value_channels) *
                              cells);
  std::vector<float> hidden(c.value_hidden);
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
            float s = bias[o];
            for (int i = 0; i < c.channels; ++i) s += wo[i] * px[i];
            features[o * cells + y * w + xx] = s > 0.0f ? s : 0.0f;
          }
        }
      }
    };
    auto linear = [](const std::vector<float>& wt, const std::vector<float>& bias,
                     const float* in, int n_in, int n_out, float* out) {
      for (int o = 0; o < n_out; ++o) {
        const float* wo = wt.data() + static_cast<size_t>(o) * n_in;
        float s = bias[o];
        for (int i = 0; i < n_in; ++i) s += wo[i] * in[i];
        out[o] = s;
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
  const NetworkConfig& c = config_;
  const int h = c.board_height, w = c.board_width, cells = h * w;
  const int pw = w + 2, plane = (h + 2) * pw;
  const size_t in_size = static_cast<size_t>(batch) * plane * in_channels_padded_;
  const size_t act_size = static_cast<size_t>(batch) * plane * channels_padded_;
  // Buffers only grow, and only interiors are ever written: borders and
  // padding channels stay zero.
  if (act_[0].size() < in_size) act_[0].resize(in_size, 0.0f);
  for (int k = 1; k < 3; ++k) {
    if (act_[k].size() < act_size) act_[k].resize(act_size, 0.0f);
  }
  float* input = act_[0].data();
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
  float* x = act_[1].data();
  float* y = act_[2].data();
  RunConv(convs_[0], input, nullptr, x, batch);
  for (int b = 0; b < c.blocks; ++b) {
    RunConv(convs_[1 + 2 * b], x, nullptr, y, batch);
    // The second convolution adds the block input and writes over it.
    RunConv(convs_[2 + 2 * b], y, x, x, batch);
  }
  RunHeads(x, batch, policy_logits, wdl_logits);
}

}  // namespace az::nn
