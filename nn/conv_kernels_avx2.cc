// The AVX2/FMA kernels of the fast forward pass. This file alone is compiled
// with -mavx2 -mfma; callers check the processor first (CpuHasAvx2Fma).
#include <immintrin.h>

#include "glog/logging.h"
#include "nn/conv_kernels.h"

namespace az::nn {
namespace {

// Up to four accumulator vectors (32 output channels) of one pixel. Named
// members rather than an array: GCC keeps these in registers, while it spills
// an array of vectors to the stack on every iteration.
struct Acc {
  __m256 a, b, c, d;
};

template <int NV>
inline Acc AccLoad(const float* p) {
  Acc acc;
  acc.a = _mm256_loadu_ps(p);
  acc.b = NV > 1 ? _mm256_loadu_ps(p + 8) : acc.a;
  acc.c = NV > 2 ? _mm256_loadu_ps(p + 16) : acc.a;
  acc.d = NV > 3 ? _mm256_loadu_ps(p + 24) : acc.a;
  return acc;
}

template <int NV>
inline void AccFma(Acc& acc, __m256 x, __m256 w0, __m256 w1, __m256 w2,
                   __m256 w3) {
  acc.a = _mm256_fmadd_ps(x, w0, acc.a);
  if constexpr (NV > 1) acc.b = _mm256_fmadd_ps(x, w1, acc.b);
  if constexpr (NV > 2) acc.c = _mm256_fmadd_ps(x, w2, acc.c);
  if constexpr (NV > 3) acc.d = _mm256_fmadd_ps(x, w3, acc.d);
}

// Stores the accumulators: as partial sums, or (on the last input chunk)
// with the residual added and the ReLU applied.
template <int NV>
inline void AccStore(Acc acc, bool last, const float* skip, float* out) {
  const __m256 zero = _mm256_setzero_ps();
  auto put = [&](__m256 r, int v) {
    if (last) {
      if (skip != nullptr) r = _mm256_add_ps(r, _mm256_loadu_ps(skip + 8 * v));
      r = _mm256_max_ps(r, zero);
    }
    _mm256_storeu_ps(out + 8 * v, r);
  };
  put(acc.a, 0);
  if constexpr (NV > 1) put(acc.b, 1);
  if constexpr (NV > 2) put(acc.c, 2);
  if constexpr (NV > 3) put(acc.d, 3);
}

// NV x 8 output channels for XB pixels, reducing over input channels
// [ci_begin, ci_end) of all 9 taps. The accumulators stay in registers for
// the whole reduction.
template <int NV, int XB>
void ConvBlock(const Conv3x3Block& b) {
  static_assert(NV >= 1 && NV <= 4 && XB >= 1 && XB <= 4);
  const int co0 = b.co0;
  Acc p0, p1, p2, p3;
  if (b.first) {
    p0 = p1 = p2 = p3 = AccLoad<NV>(b.bias + co0);
  } else {
    p0 = AccLoad<NV>(b.out_px[0] + co0);
    if constexpr (XB > 1) p1 = AccLoad<NV>(b.out_px[1] + co0);
    if constexpr (XB > 2) p2 = AccLoad<NV>(b.out_px[2] + co0);
    if constexpr (XB > 3) p3 = AccLoad<NV>(b.out_px[3] + co0);
  }
  const float* x0 = b.in_px[0] + b.ci_begin;
  const float* x1 = b.in_px[XB > 1 ? 1 : 0] + b.ci_begin;
  const float* x2 = b.in_px[XB > 2 ? 2 : 0] + b.ci_begin;
  const float* x3 = b.in_px[XB > 3 ? 3 : 0] + b.ci_begin;
  const int count = b.ci_end - b.ci_begin;
  for (int tap = 0; tap < 9; ++tap) {
    const float* wt =
        b.weights + (tap * b.in_p + b.ci_begin) * b.out_p + co0;
    const int off = (tap / 3) * b.row_stride + (tap % 3) * b.in_p;
    for (int ci = 0; ci < count; ++ci, wt += b.out_p) {
      __m256 w0 = _mm256_loadu_ps(wt);
      __m256 w1 = NV > 1 ? _mm256_loadu_ps(wt + 8) : w0;
      __m256 w2 = NV > 2 ? _mm256_loadu_ps(wt + 16) : w0;
      __m256 w3 = NV > 3 ? _mm256_loadu_ps(wt + 24) : w0;
      AccFma<NV>(p0, _mm256_broadcast_ss(x0 + off + ci), w0, w1, w2, w3);
      if constexpr (XB > 1) {
        AccFma<NV>(p1, _mm256_broadcast_ss(x1 + off + ci), w0, w1, w2, w3);
      }
      if constexpr (XB > 2) {
        AccFma<NV>(p2, _mm256_broadcast_ss(x2 + off + ci), w0, w1, w2, w3);
      }
      if constexpr (XB > 3) {
        AccFma<NV>(p3, _mm256_broadcast_ss(x3 + off + ci), w0, w1, w2, w3);
      }
    }
  }
  auto skip_at = [&](int p) {
    return b.skip_px != nullptr ? b.skip_px[p] + co0 : nullptr;
  };
  AccStore<NV>(p0, b.last, skip_at(0), b.out_px[0] + co0);
  if constexpr (XB > 1) AccStore<NV>(p1, b.last, skip_at(1), b.out_px[1] + co0);
  if constexpr (XB > 2) AccStore<NV>(p2, b.last, skip_at(2), b.out_px[2] + co0);
  if constexpr (XB > 3) AccStore<NV>(p3, b.last, skip_at(3), b.out_px[3] + co0);
}

}  // namespace

float DotAvx2(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  }
  s0 = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void Conv3x3BlockAvx2(const Conv3x3Block& b) {
  switch (b.vectors * 10 + b.pixels) {
    case 41: return ConvBlock<4, 1>(b);
    case 42: return ConvBlock<4, 2>(b);
    case 43: return ConvBlock<4, 3>(b);
    case 21: return ConvBlock<2, 1>(b);
    case 22: return ConvBlock<2, 2>(b);
    case 23: return ConvBlock<2, 3>(b);
    case 24: return ConvBlock<2, 4>(b);
    case 11: return ConvBlock<1, 1>(b);
    case 12: return ConvBlock<1, 2>(b);
    case 13: return ConvBlock<1, 3>(b);
    case 14: return ConvBlock<1, 4>(b);
  }
  LOG(FATAL) << "no kernel for " << b.vectors << " vectors x " << b.pixels
             << " pixels";
}

}  // namespace az::nn

namespace az::nn {

void WinogradInputAvx2(const float* in, const int* patch, int tiles,
                       int row_stride, int in_p, float* v, int v_stride) {
  for (int t = 0; t < tiles; ++t) {
    const float* base = in + static_cast<size_t>(patch[t]) * in_p;
    for (int c = 0; c < in_p; c += 8) {
      __m256 d[4][4];
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          d[i][j] = _mm256_loadu_ps(base + i * row_stride + j * in_p + c);
        }
      }
      // Rows: B^T d.
      __m256 r[4][4];
      for (int j = 0; j < 4; ++j) {
        r[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
        r[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
        r[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
        r[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
      }
      // Columns: (B^T d) B.
      float* out = v + static_cast<size_t>(t) * in_p + c;
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(out + (4 * i + 0) * static_cast<size_t>(v_stride),
                         _mm256_sub_ps(r[i][0], r[i][2]));
        _mm256_storeu_ps(out + (4 * i + 1) * static_cast<size_t>(v_stride),
                         _mm256_add_ps(r[i][1], r[i][2]));
        _mm256_storeu_ps(out + (4 * i + 2) * static_cast<size_t>(v_stride),
                         _mm256_sub_ps(r[i][2], r[i][1]));
        _mm256_storeu_ps(out + (4 * i + 3) * static_cast<size_t>(v_stride),
                         _mm256_sub_ps(r[i][1], r[i][3]));
      }
    }
  }
}

namespace {

// Rows [t0, t0 + XB) x columns [co0, co0 + 8 NV) of one product.
template <int NV, int XB>
inline void ProductBlock(const float* v, const float* u, int in_p, int out_p,
                         int t0, int co0, float* m) {
  Acc p0, p1, p2, p3;
  const __m256 zero = _mm256_setzero_ps();
  p0.a = p0.b = p0.c = p0.d = zero;
  p1 = p2 = p3 = p0;
  const float* x0 = v + static_cast<size_t>(t0) * in_p;
  const float* x1 = x0 + (XB > 1 ? in_p : 0);
  const float* x2 = x0 + (XB > 2 ? 2 * in_p : 0);
  const float* x3 = x0 + (XB > 3 ? 3 * in_p : 0);
  const float* wt = u + co0;
  for (int ci = 0; ci < in_p; ++ci, wt += out_p) {
    __m256 w0 = _mm256_loadu_ps(wt);
    __m256 w1 = NV > 1 ? _mm256_loadu_ps(wt + 8) : w0;
    __m256 w2 = NV > 2 ? _mm256_loadu_ps(wt + 16) : w0;
    __m256 w3 = NV > 3 ? _mm256_loadu_ps(wt + 24) : w0;
    AccFma<NV>(p0, _mm256_broadcast_ss(x0 + ci), w0, w1, w2, w3);
    if constexpr (XB > 1) AccFma<NV>(p1, _mm256_broadcast_ss(x1 + ci), w0, w1, w2, w3);
    if constexpr (XB > 2) AccFma<NV>(p2, _mm256_broadcast_ss(x2 + ci), w0, w1, w2, w3);
    if constexpr (XB > 3) AccFma<NV>(p3, _mm256_broadcast_ss(x3 + ci), w0, w1, w2, w3);
  }
  float* row = m + static_cast<size_t>(t0) * out_p + co0;
  AccStore<NV>(p0, false, nullptr, row);
  if constexpr (XB > 1) AccStore<NV>(p1, false, nullptr, row + out_p);
  if constexpr (XB > 2) AccStore<NV>(p2, false, nullptr, row + 2 * out_p);
  if constexpr (XB > 3) AccStore<NV>(p3, false, nullptr, row + 3 * out_p);
}

template <int NV, int XB>
void ProductColumns(const float* v, const float* u, int tiles, int in_p,
                    int out_p, int co0, float* m) {
  int t = 0;
  for (; t + XB <= tiles; t += XB) ProductBlock<NV, XB>(v, u, in_p, out_p, t, co0, m);
  for (; t < tiles; ++t) ProductBlock<NV, 1>(v, u, in_p, out_p, t, co0, m);
}

}  // namespace

void WinogradProductsAvx2(const float* v, int v_stride, const float* u,
                          int tiles, int in_p, int out_p, float* m,
                          int m_stride) {
  for (int xi = 0; xi < 16; ++xi) {
    const float* vx = v + static_cast<size_t>(xi) * v_stride;
    const float* ux = u + static_cast<size_t>(xi) * in_p * out_p;
    float* mx = m + static_cast<size_t>(xi) * m_stride;
    for (int co0 = 0; co0 < out_p;) {
      int left = out_p - co0;
      if (left >= 32) {
        ProductColumns<4, 3>(vx, ux, tiles, in_p, out_p, co0, mx);
        co0 += 32;
      } else if (left >= 16) {
        ProductColumns<2, 4>(vx, ux, tiles, in_p, out_p, co0, mx);
        co0 += 16;
      } else {
        ProductColumns<1, 4>(vx, ux, tiles, in_p, out_p, co0, mx);
        co0 += 8;
      }
    }
  }
}

void WinogradOutputAvx2(const float* m, int m_stride, int tiles, int out_p,
                        const float* bias, const int* out_pixel,
                        const unsigned char* valid, int row_pixels,
                        const float* skip, float* out) {
  const __m256 zero = _mm256_setzero_ps();
  const size_t offsets[4] = {0, 1, static_cast<size_t>(row_pixels),
                             static_cast<size_t>(row_pixels) + 1};
  for (int t = 0; t < tiles; ++t) {
    for (int c = 0; c < out_p; c += 8) {
      __m256 s[4][4];
      const float* base = m + static_cast<size_t>(t) * out_p + c;
      for (int xi = 0; xi < 16; ++xi) {
        s[xi / 4][xi % 4] =
            _mm256_loadu_ps(base + static_cast<size_t>(xi) * m_stride);
      }
      // Rows: A^T s (2 x 4), then columns: (A^T s) A (2 x 2).
      __m256 r[2][4];
      for (int j = 0; j < 4; ++j) {
        r[0][j] = _mm256_add_ps(_mm256_add_ps(s[0][j], s[1][j]), s[2][j]);
        r[1][j] = _mm256_sub_ps(_mm256_sub_ps(s[1][j], s[2][j]), s[3][j]);
      }
      __m256 y[4];
      for (int i = 0; i < 2; ++i) {
        y[2 * i] = _mm256_add_ps(_mm256_add_ps(r[i][0], r[i][1]), r[i][2]);
        y[2 * i + 1] = _mm256_sub_ps(_mm256_sub_ps(r[i][1], r[i][2]), r[i][3]);
      }
      const __m256 b = _mm256_loadu_ps(bias + c);
      for (int k = 0; k < 4; ++k) {
        if (!(valid[t] >> k & 1)) continue;
        const size_t at = (static_cast<size_t>(out_pixel[t]) + offsets[k]) * out_p + c;
        __m256 value = _mm256_add_ps(y[k], b);
        if (skip != nullptr) value = _mm256_add_ps(value, _mm256_loadu_ps(skip + at));
        _mm256_storeu_ps(out + at, _mm256_max_ps(value, zero));
      }
    }
  }
}

}  // namespace az::nn
