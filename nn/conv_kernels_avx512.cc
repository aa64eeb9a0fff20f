// The AVX-512F kernels of the fast forward pass: the AVX2 kernels' shapes
// with 16 fp32 lanes and the 32 vector registers AVX-512 has, so each block
// keeps more accumulators live. This file alone is compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512dq; callers check the processor
// first (CpuHasAvx512).
#include <immintrin.h>

// GCC 12's own _mm512_undefined_ps/pd (behind _mm512_max_ps,
// _mm512_reduce_add_ps and friends) initialise a variable from itself, which
// -W(maybe-)uninitialized reports at every use; the warning is about the
// header, not this code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cstddef>

#include "glog/logging.h"
#include "nn/conv_kernels.h"
#include "nn/unroll.h"
#include "nn/winograd_avx512.h"

namespace az::nn {
namespace {

// Stores one accumulator: as a partial sum, or (on the last input chunk)
// with the residual added and the ReLU applied.
inline void Put(__m512 r, bool last, const float* skip, float* out) {
  if (last) {
    if (skip != nullptr) r = _mm512_add_ps(r, _mm512_loadu_ps(skip));
    r = _mm512_max_ps(r, _mm512_setzero_ps());
  }
  _mm512_storeu_ps(out, r);
}

// NV x 16 output channels for XB pixels, reducing over input channels
// [ci_begin, ci_end) of all 9 taps.
template <int NV, int XB>
void ConvBlock(const Conv3x3Block& b) {
  const int co0 = b.co0;
  __m512 acc[XB][NV];
  Unroll<XB>([&](auto p) {
    const float* from = b.first ? b.bias + co0 : b.out_px[p] + co0;
    Unroll<NV>([&](auto v) { acc[p][v] = _mm512_loadu_ps(from + 16 * v); });
  });
  const float* x[XB];
  Unroll<XB>([&](auto p) { x[p] = b.in_px[p] + b.ci_begin; });
  const int count = b.ci_end - b.ci_begin;
  for (int tap = 0; tap < 9; ++tap) {
    const float* wt = b.weights + (tap * b.in_p + b.ci_begin) * b.out_p + co0;
    const int off = (tap / 3) * b.row_stride + (tap % 3) * b.in_p;
    for (int ci = 0; ci < count; ++ci, wt += b.out_p) {
      __m512 w[NV];
      Unroll<NV>([&](auto v) { w[v] = _mm512_loadu_ps(wt + 16 * v); });
      Unroll<XB>([&](auto p) {
        const __m512 xs = _mm512_set1_ps(x[p][off + ci]);
        Unroll<NV>([&](auto v) {
          acc[p][v] = _mm512_fmadd_ps(xs, w[v], acc[p][v]);
        });
      });
    }
  }
  Unroll<XB>([&](auto p) {
    const float* skip = b.skip_px != nullptr ? b.skip_px[p] + co0 : nullptr;
    Unroll<NV>([&](auto v) {
      Put(acc[p][v], b.last, skip != nullptr ? skip + 16 * v : nullptr,
          b.out_px[p] + co0 + 16 * v);
    });
  });
}

template <int NV>
void ConvPixels(const Conv3x3Block& b) {
  switch (b.pixels) {
    case 1: return ConvBlock<NV, 1>(b);
    case 2: return ConvBlock<NV, 2>(b);
    case 3: return ConvBlock<NV, 3>(b);
    case 4: return ConvBlock<NV, 4>(b);
    case 5: return ConvBlock<NV, 5>(b);
    case 6: return ConvBlock<NV, 6>(b);
  }
  LOG(FATAL) << "no AVX-512 kernel for " << b.pixels << " pixels";
}

}  // namespace

float DotAvx512(const float* a, const float* b, int n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  if (i + 16 <= n) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    i += 16;
  }
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i),
                         _mm512_maskz_loadu_ps(mask, b + i), s1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

void Conv3x3BlockAvx512(const Conv3x3Block& b) {
  switch (b.vectors) {
    case 1: return ConvPixels<1>(b);
    case 2: return ConvPixels<2>(b);
    case 4: return ConvPixels<4>(b);
  }
  LOG(FATAL) << "no AVX-512 kernel for " << b.vectors << " vectors";
}

void WinogradInputAvx512(const float* in, const int* patch, int tiles,
                         int row_stride, int in_p, float* v, int v_stride) {
  for (int t = 0; t < tiles; ++t) {
    const float* base = in + static_cast<size_t>(patch[t]) * in_p;
    for (int c = 0; c < in_p; c += 16) {
      const __mmask16 mask = TailMask(in_p - c);
      __m512 x[16];
      InputTransform(base, row_stride, in_p, c, mask, x);
      float* out = v + static_cast<size_t>(t) * in_p + c;
      for (int xi = 0; xi < 16; ++xi) {
        _mm512_mask_storeu_ps(out + xi * static_cast<size_t>(v_stride), mask,
                              x[xi]);
      }
    }
  }
}

namespace {

// Rows [t0, t0 + XB) x columns [co0, co0 + 16 NV) of one product.
struct Fp32Block {
  template <int NV, int XB>
  static void Run(const float* v, const float* u, int in_p, int out_p, int t0,
                  int co0, float* m) {
    __m512 acc[XB][NV];
    Unroll<XB>([&](auto p) {
      Unroll<NV>([&](auto q) { acc[p][q] = _mm512_setzero_ps(); });
    });
    const float* x = v + static_cast<size_t>(t0) * in_p;
    const float* wt = u + co0;
    for (int ci = 0; ci < in_p; ++ci, wt += out_p) {
      __m512 w[NV];
      Unroll<NV>([&](auto q) { w[q] = _mm512_loadu_ps(wt + 16 * q); });
      Unroll<XB>([&](auto p) {
        const __m512 xs = _mm512_set1_ps(x[p * in_p + ci]);
        Unroll<NV>([&](auto q) {
          acc[p][q] = _mm512_fmadd_ps(xs, w[q], acc[p][q]);
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

void WinogradProductsAvx512(const float* v, int v_stride, const float* u,
                            int tiles, int in_p, int out_p, float* m,
                            int m_stride) {
  DCHECK_EQ(out_p % 16, 0);
  Products<Fp32Block>(v, v_stride, u, tiles, in_p, out_p, m, m_stride);
}

void WinogradOutputAvx512(const float* m, int m_stride, int tiles, int out_p,
                          const float* bias, const int* out_pixel,
                          const unsigned char* valid, int row_pixels,
                          const float* skip, float* out) {
  DCHECK_EQ(out_p % 16, 0);
  const __m512 zero = _mm512_setzero_ps();
  const size_t offsets[4] = {0, 1, static_cast<size_t>(row_pixels),
                             static_cast<size_t>(row_pixels) + 1};
  for (int t = 0; t < tiles; ++t) {
    for (int c = 0; c < out_p; c += 16) {
      __m512 s[4][4];
      const float* base = m + static_cast<size_t>(t) * out_p + c;
      for (int xi = 0; xi < 16; ++xi) {
        s[xi / 4][xi % 4] =
            _mm512_loadu_ps(base + static_cast<size_t>(xi) * m_stride);
      }
      // Rows: A^T s (2 x 4), then columns: (A^T s) A (2 x 2).
      __m512 r[2][4];
      for (int j = 0; j < 4; ++j) {
        r[0][j] = _mm512_add_ps(_mm512_add_ps(s[0][j], s[1][j]), s[2][j]);
        r[1][j] = _mm512_sub_ps(_mm512_sub_ps(s[1][j], s[2][j]), s[3][j]);
      }
      __m512 y[4];
      for (int i = 0; i < 2; ++i) {
        y[2 * i] = _mm512_add_ps(_mm512_add_ps(r[i][0], r[i][1]), r[i][2]);
        y[2 * i + 1] = _mm512_sub_ps(_mm512_sub_ps(r[i][1], r[i][2]), r[i][3]);
      }
      const __m512 b = _mm512_loadu_ps(bias + c);
      for (int k = 0; k < 4; ++k) {
        if (!(valid[t] >> k & 1)) continue;
        const size_t at =
            (static_cast<size_t>(out_pixel[t]) + offsets[k]) * out_p + c;
        __m512 value = _mm512_add_ps(y[k], b);
        if (skip != nullptr) {
          value = _mm512_add_ps(value, _mm512_loadu_ps(skip + at));
        }
        _mm512_storeu_ps(out + at, _mm512_max_ps(value, zero));
      }
    }
  }
}

}  // namespace az::nn
