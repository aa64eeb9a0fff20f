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
      const __mmask16 mask = left >= 16 ? static_cast<__mmask16>(0xFFFF)
                                        : static_cast<__mmask16>((1u << left) - 1);
      __m512 d[4][4];
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          d[i][j] = _mm512_maskz_loadu_ps(mask, base + i * row_stride + j * in_p + c);
        }
      }
      __m512 r[4][4];
      for (int j = 0; j < 4; ++j) {
        r[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
        r[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
        r[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
        r[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
      }
      auto put = [&](int xi, __m512 x) {
        // Masked-off lanes loaded as zeros, so the whole 16 can be stored.
        __m256bh h = _mm512_cvtneps_pbh(x);
        std::memcpy(out + xi * static_cast<size_t>(v_stride) + c, &h, 32);
      };
      for (int i = 0; i < 4; ++i) {
        put(4 * i + 0, _mm512_sub_ps(r[i][0], r[i][2]));
        put(4 * i + 1, _mm512_add_ps(r[i][1], r[i][2]));
        put(4 * i + 2, _mm512_sub_ps(r[i][2], r[i][1]));
        put(4 * i + 3, _mm512_sub_ps(r[i][1], r[i][3]));
      }
    }
  }
}

namespace {

// Rows [t0, t0 + XB) x columns [co0, co0 + 16 NV) of one product: each step
// takes a pair of input channels.
template <int NV, int XB>
inline void ProductBlock(const Bf16* v, const Bf16* u, int k_p, int out_p,
                         int t0, int co0, float* m) {
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

template <int NV, int XB>
void ProductColumns(const Bf16* v, const Bf16* u, int tiles, int k_p,
                    int out_p, int co0, float* m) {
  int t = 0;
  for (; t + XB <= tiles; t += XB) {
    ProductBlock<NV, XB>(v, u, k_p, out_p, t, co0, m);
  }
  switch (tiles - t) {
    case 0: return;
    case 1: return ProductBlock<NV, 1>(v, u, k_p, out_p, t, co0, m);
    case 2: return ProductBlock<NV, 2>(v, u, k_p, out_p, t, co0, m);
    case 3: return ProductBlock<NV, 3>(v, u, k_p, out_p, t, co0, m);
    case 4: return ProductBlock<NV, 4>(v, u, k_p, out_p, t, co0, m);
    case 5: return ProductBlock<NV, 5>(v, u, k_p, out_p, t, co0, m);
    case 6: return ProductBlock<NV, 6>(v, u, k_p, out_p, t, co0, m);
    case 7: return ProductBlock<NV, 7>(v, u, k_p, out_p, t, co0, m);
  }
}

}  // namespace

void WinogradProductsBf16(const Bf16* v, int v_stride, const Bf16* u,
                          int tiles, int k_p, int out_p, float* m,
                          int m_stride) {
  DCHECK_EQ(out_p % 16, 0);
  DCHECK_EQ(k_p % 2, 0);
  for (int xi = 0; xi < 16; ++xi) {
    const Bf16* vx = v + static_cast<size_t>(xi) * v_stride;
    const Bf16* ux = u + static_cast<size_t>(xi) * k_p * out_p;
    float* mx = m + static_cast<size_t>(xi) * m_stride;
    for (int co0 = 0; co0 < out_p;) {
      const int left = out_p - co0;
      if (left >= 64) {
        ProductColumns<4, 6>(vx, ux, tiles, k_p, out_p, co0, mx);
        co0 += 64;
      } else if (left >= 32) {
        ProductColumns<2, 8>(vx, ux, tiles, k_p, out_p, co0, mx);
        co0 += 32;
      } else {
        ProductColumns<1, 8>(vx, ux, tiles, k_p, out_p, co0, mx);
        co0 += 16;
      }
    }
  }
}

}  // namespace az::nn
