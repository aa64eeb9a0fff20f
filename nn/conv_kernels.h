// Convolution kernels of the fast forward pass (nn/fast_forward.h).
#pragma once

namespace az::nn {

// Whether this processor runs the AVX2/FMA kernels.
bool CpuHasAvx2Fma();

// One block of a 3x3 convolution over zero-bordered channels-last
// activations: `vectors` x 8 output channels (1, 2 or 4) starting at co0, for
// `pixels` output pixels (1 to 4; at most 3 with 4 vectors) whose 3x3 input
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

}  // namespace az::nn
