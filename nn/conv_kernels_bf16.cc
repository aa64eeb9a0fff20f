// The bf16 Winograd kernels on AVX512-BF16: the input transform in fp32,
// rounded to bf16, and products whose every instruction (vdpbf16ps) does two
// multiply-adds per fp32 lane. Compiled with the AVX-512 and AVX512-BF16
// flags; callers check the processor first (CpuHasAvx512Bf16).
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "glog/logging.h"
#include "nn/conv_kernels.h"
#include "nn/unroll.h"
#include "nn/winograd_avx512.h"

namespace az::nn {

void WinogradInputBf16(const float* in, const int* patch, int tiles,
                       int row_stride, int in_p, int k_p, Bf16* v,
                       int v_stride) {
  for (int t = 0; t < tiles; ++t) {
    const float* base = in + static_cast<size_t>(patch[t]) * in_p;
    Bf16* out = v + static_cast<size_t>(t) * k_p;
    for (int c = 0; c < k_p; c += 16) {
      const int left = in_p - c;
      if (left <= 0) {
        // Padding channels: zeros, whatever an earlier layer left here.
        for (int xi = 0; xi < 16; ++xi) {
          _mm256_storeu_si256(
              reinterpret_cast<__m256i*>(out + xi * static_cast<size_t>(v_stride) + c),
              _mm256_setzero_si256());
        }
        continue;
      }
      __m512 x[16];
      InputTransform(base, row_stride, in_p, c, TailMask(left), x);
      for (int xi = 0; xi < 16; ++xi) {
        // Masked-off lanes came out zero, so all 16 can be stored.
        __m256bh h = _mm512_cvtneps_pbh(x[xi]);
        std::memcpy(out + xi * static_cast<size_t>(v_stride) + c, &h, 32);
      }
    }
  }
}

namespace {

// Rows [t0, t0 + XB) x columns [co0, co0 + 16 NV) of one product: each step
// takes a pair of input channels.
struct Bf16Block {
  template <int NV, int XB>
  static void Run(const Bf16* v, const Bf16* u, int k_p, int out_p, int t0,
                  int co0, float* m) {
    __m512 acc[XB][NV];
    Unroll<XB>([&](auto p) {
      Unroll<NV>([&](auto q) { acc[p][q] = _mm512_setzero_ps(); });
    });
    const Bf16* x = v + static_cast<size_t>(t0) * k_p;
    const Bf16* wt = u + 2 * co0;
    for (int k = 0; k < k_p; k += 2, wt += 2 * out_p) {
      __m512bh w[NV];
      Unroll<NV>([&](auto q) {
        w[q] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(wt + 32 * q));
      });
      Unroll<XB>([&](auto p) {
        int32_t pair;
        std::memcpy(&pair, x + p * k_p + k, 4);
        const __m512bh xs = reinterpret_cast<__m512bh>(_mm512_set1_epi32(pair));
        Unroll<NV>([&](auto q) {
          acc[p][q] = _mm512_dpbf16_ps(acc[p][q], xs, w[q]);
        });
      });
    }
    float* row = m + static_cast<size_t>(t0) * out_p + co0;
    Unroll<XB>([&](auto p) {
      Unroll<NV>([&](auto q) {
        _mm512_storeu_ps(row + p * out_p + 16 * q, acc[p][q]);
      });
    });
  }
};

}  // namespace

void WinogradProductsBf16(const Bf16* v, int v_stride, const Bf16* u,
                          int tiles, int k_p, int out_p, float* m,
                          int m_stride) {
  DCHECK_EQ(out_p % 16, 0);
  DCHECK_EQ(k_p % 2, 0);
  Products<Bf16Block>(v, v_stride, u, tiles, k_p, out_p, m, m_stride);
}

}  // namespace az::nn
