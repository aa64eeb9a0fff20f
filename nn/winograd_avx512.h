// Pieces shared by the AVX-512 Winograd kernels in fp32
// (conv_kernels_avx512.cc) and bf16 (conv_kernels_bf16.cc). Include it only
// from files compiled with the AVX-512 flags. Everything here has internal
// linkage, so each file gets its own copy built for its own flags.
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace az::nn {
namespace {

// The lanes of a 16-lane vector below `left` channels.
inline __mmask16 TailMask(int left) {
  return left >= 16 ? static_cast<__mmask16>(0xFFFF)
                    : static_cast<__mmask16>((1u << left) - 1);
}

// The 16 values (B^T d B) of the 4x4 patch at `base`, channels [c, c + 16)
// (those under `mask`; the others come out zero).
inline void InputTransform(const float* base, int row_stride, int in_p, int c,
                           __mmask16 mask, __m512 out[16]) {
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
  for (int i = 0; i < 4; ++i) {
    out[4 * i + 0] = _mm512_sub_ps(r[i][0], r[i][2]);
    out[4 * i + 1] = _mm512_add_ps(r[i][1], r[i][2]);
    out[4 * i + 2] = _mm512_sub_ps(r[i][2], r[i][1]);
    out[4 * i + 3] = _mm512_sub_ps(r[i][1], r[i][3]);
  }
}

// All tiles for columns [co0, co0 + 16 NV) of one product: blocks of XB
// rows, then one block of what is left. Block::Run<NV, XB>(v, u, k, out_p,
// t0, co0, m) computes one block of rows.
template <typename Block, int NV, int XB, typename T>
void ProductColumns(const T* v, const T* u, int tiles, int k, int out_p,
                    int co0, float* m) {
  int t = 0;
  for (; t + XB <= tiles; t += XB) {
    Block::template Run<NV, XB>(v, u, k, out_p, t, co0, m);
  }
  switch (tiles - t) {
    case 0: return;
    case 1: return Block::template Run<NV, 1>(v, u, k, out_p, t, co0, m);
    case 2: return Block::template Run<NV, 2>(v, u, k, out_p, t, co0, m);
    case 3: return Block::template Run<NV, 3>(v, u, k, out_p, t, co0, m);
    case 4: return Block::template Run<NV, 4>(v, u, k, out_p, t, co0, m);
    case 5: return Block::template Run<NV, 5>(v, u, k, out_p, t, co0, m);
    case 6: return Block::template Run<NV, 6>(v, u, k, out_p, t, co0, m);
    case 7: return Block::template Run<NV, 7>(v, u, k, out_p, t, co0, m);
  }
}

// The 16 products M[xi] = V[xi] U[xi] (tiles x out_p each): 64 output
// channels at a time in blocks of 6 rows (24 accumulators), then 32 in
// blocks of 8 (16), then 16 in blocks of 8. `k` is the reduction length and
// U[xi] holds k * out_p elements.
template <typename Block, typename T>
void Products(const T* v, int v_stride, const T* u, int tiles, int k,
              int out_p, float* m, int m_stride) {
  for (int xi = 0; xi < 16; ++xi) {
    const T* vx = v + static_cast<size_t>(xi) * v_stride;
    const T* ux = u + static_cast<size_t>(xi) * k * out_p;
    float* mx = m + static_cast<size_t>(xi) * m_stride;
    for (int co0 = 0; co0 < out_p;) {
      const int left = out_p - co0;
      if (left >= 64) {
        ProductColumns<Block, 4, 6>(vx, ux, tiles, k, out_p, co0, mx);
        co0 += 64;
      } else if (left >= 32) {
        ProductColumns<Block, 2, 8>(vx, ux, tiles, k, out_p, co0, mx);
        co0 += 32;
      } else {
        ProductColumns<Block, 1, 8>(vx, ux, tiles, k, out_p, co0, mx);
        co0 += 16;
      }
    }
  }
}

}  // namespace
}  // namespace az::nn
