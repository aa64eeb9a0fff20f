// Convolution kernels of the fast forward pass (nn/fast_forward.h).
#pragma once

#include <cstdint>

#include "nn/cpu_kernels.h"

namespace az::nn {

// One block of a 3x3 convolution over zero-bordered channels-last
// activations: `vectors` (1, 2 or 4) x lanes output channels starting at co0
// (8 lanes with AVX2, 16 with AVX-512), for `pixels` output pixels (AVX2: 1
// to 4, at most 3 with 4 vectors; AVX-512: 1 to 6) whose 3x3 input
// windows start at in_px[p], reducing over input channels
// [ci_begin, ci_end). With `first` the sums start from the bias, else from
// the partial sums already at out_px[p]; with `last` the kernel writes
// max(0, sum + skip) (skip only where skip_px is set), else the raw partial
// sums. Splitting the input channels keeps each chunk's weights in L1.
struct Conv3x3Block {
  int vectors = 4;
  int pixels = 1;
  const float* const* in_px = nullptr;
  const float* const* skip_px = nullptr;
  float* const* out_px = nullptr;
  int row_stride = 0;  // floats between input rows
  int in_p = 0;        // input channels (padded), the input pixel stride
  int out_p = 0;       // output channels (padded), the output pixel stride
  const float* weights = nullptr;  // [9 taps][in_p][out_p]
  const float* bias = nullptr;     // [out_p]
  int co0 = 0;
  int ci_begin = 0;
  int ci_end = 0;
  bool first = true;
  bool last = true;
};

void Conv3x3BlockAvx2(const Conv3x3Block& block);
void Conv3x3BlockAvx512(const Conv3x3Block& block);

// sum of a[i] * b[i] for i < n: the heads' 1x1 convolutions and fully
// connected layers, whose reductions the compiler will not vectorise.
float DotAvx2(const float* a, const float* b, int n);
float DotAvx512(const float* a, const float* b, int n);

}  // namespace az::nn

namespace az::nn {

// Winograd F(2x2, 3x3) pieces for the AVX2 path: each 2x2 block of output
// pixels (a tile) comes from a 4x4 input patch, and the 3x3 convolution
// becomes 16 independent matrix products over the tiles (about half the
// multiply-adds of the direct form). Channel counts are multiples of 8.

// V[xi][t][c] = (B^T d B)[xi] for the 4x4 patch d of tile t, whose top-left
// input pixel is at in + patch[t] * in_p (rows `row_stride` floats apart).
// V holds 16 matrices of `tiles` x in_p, each `v_stride` floats apart.
void WinogradInputAvx2(const float* in, const int* patch, int tiles,
                       int row_stride, int in_p, float* v, int v_stride);

// For each of the 16 xi: M[xi] (tiles x out_p) = V[xi] (tiles x in_p) x
// U[xi] (in_p x out_p). U holds 16 matrices in_p * out_p floats apart.
void WinogradProductsAvx2(const float* v, int v_stride, const float* u,
                          int tiles, int in_p, int out_p, float* m,
                          int m_stride);

// Output of tile t: Y = A^T M A (2x2 pixels), plus bias, plus skip where
// skip is set, through ReLU, written at out + pixel * out_p for the pixels
// of the tile inside the board (valid[t] bits 0-3: which of the 4 exist).
// out_pixel[t] is the tile's top-left output pixel; the others are +1,
// +row_pixels, +row_pixels+1.
void WinogradOutputAvx2(const float* m, int m_stride, int tiles, int out_p,
                        const float* bias, const int* out_pixel,
                        const unsigned char* valid, int row_pixels,
                        const float* skip, float* out);

}  // namespace az::nn

namespace az::nn {

// The same three steps with 16 lanes (AVX-512F). Input channels are a
// multiple of 8, output channels a multiple of 16.
void WinogradInputAvx512(const float* in, const int* patch, int tiles,
                         int row_stride, int in_p, float* v, int v_stride);
void WinogradProductsAvx512(const float* v, int v_stride, const float* u,
                            int tiles, int in_p, int out_p, float* m,
                            int m_stride);
void WinogradOutputAvx512(const float* m, int m_stride, int tiles, int out_p,
                          const float* bias, const int* out_pixel,
                          const unsigned char* valid, int row_pixels,
                          const float* skip, float* out);

// bf16 products, fp32 sums. The transformed inputs are rounded to bf16 and
// laid out as V[xi][t][k] with k < k_p, the input channels rounded up to 32
// (the padding is written as zeros). The transformed weights are bf16
// pairs: U[xi][k / 2][co][k % 2], the layout both vdpbf16ps and the AMX
// tiles read. The products come out as the fp32 M of WinogradOutput.
using Bf16 = uint16_t;
void WinogradInputBf16(const float* in, const int* patch, int tiles,
                       int row_stride, int in_p, int k_p, Bf16* v,
                       int v_stride);
// AVX512-BF16 dot products (vdpbf16ps).
void WinogradProductsBf16(const Bf16* v, int v_stride, const Bf16* u,
                          int tiles, int k_p, int out_p, float* m,
                          int m_stride);
// AMX-BF16 tiles. `tiles` must be a multiple of 16: rows past the real
// tiles are computed from whatever V holds there and must be ignored.
void WinogradProductsAmx(const Bf16* v, int v_stride, const Bf16* u,
                         int tiles, int k_p, int out_p, float* m,
                         int m_stride);

// Rounds to the nearest bf16, ties to even (what vcvtneps2bf16 does).
inline Bf16 ToBf16(float x) {
  uint32_t bits;
  __builtin_memcpy(&bits, &x, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<Bf16>(bits >> 16);
}

}  // namespace az::nn
