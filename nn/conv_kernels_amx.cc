// The bf16 Winograd products on AMX tiles: each tdpbf16ps multiplies a
// 16 x 32 bf16 tile of transformed inputs by a 32 x 16 tile of transformed
// weights into a 16 x 16 fp32 tile, 8192 multiply-adds per instruction.
// Compiled with -mamx-tile -mamx-bf16; callers check the processor and the
// kernel's permission first (CpuHasAmxBf16).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "glog/logging.h"
#include "nn/conv_kernels.h"

namespace az::nn {
namespace {

// Palette 1: tiles 0-3 hold sums (16 rows x 16 fp32), 4-5 inputs (16 rows x
// 32 bf16), 6-7 weights (16 rows of 16 bf16 pairs). Every tile is 16 rows of
// 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

const TileConfig& Config() {
  static const TileConfig config = [] {
    TileConfig c;
    for (int i = 0; i < 8; ++i) {
      c.colsb[i] = 64;
      c.rows[i] = 16;
    }
    return c;
  }();
  return config;
}

// Rows [t0, t0 + 16 TA) x columns [co0, co0 + 16 TB) of one product.
template <int TA, int TB>
inline void TileBlock(const Bf16* v, const Bf16* u, int k_p, int out_p,
                      int t0, int co0, float* m) {
  _tile_zero(0);
  if constexpr (TB > 1) _tile_zero(1);
  if constexpr (TA > 1) _tile_zero(2);
  if constexpr (TA > 1 && TB > 1) _tile_zero(3);
  const size_t v_row = static_cast<size_t>(k_p) * 2;      // bytes
  const size_t u_row = static_cast<size_t>(out_p) * 4;    // bytes: 16 pairs
  const Bf16* a = v + static_cast<size_t>(t0) * k_p;
  for (int k = 0; k < k_p; k += 32) {
    const Bf16* b = u + static_cast<size_t>(k / 2) * out_p * 2 + 2 * co0;
    _tile_loadd(4, a + k, v_row);
    if constexpr (TA > 1) _tile_loadd(5, a + 16 * static_cast<size_t>(k_p) + k, v_row);
    _tile_loadd(6, b, u_row);
    if constexpr (TB > 1) _tile_loadd(7, b + 32, u_row);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (TB > 1) _tile_dpbf16ps(1, 4, 7);
    if constexpr (TA > 1) _tile_dpbf16ps(2, 5, 6);
    if constexpr (TA > 1 && TB > 1) _tile_dpbf16ps(3, 5, 7);
  }
  float* c = m + static_cast<size_t>(t0) * out_p + co0;
  const size_t c_row = static_cast<size_t>(out_p) * 4;
  _tile_stored(0, c, c_row);
  if constexpr (TB > 1) _tile_stored(1, c + 16, c_row);
  if constexpr (TA > 1) _tile_stored(2, c + 16 * static_cast<size_t>(out_p), c_row);
  if constexpr (TA > 1 && TB > 1) {
    _tile_stored(3, c + 16 * static_cast<size_t>(out_p) + 16, c_row);
  }
}

}  // namespace

void WinogradProductsAmx(const Bf16* v, int v_stride, const Bf16* u,
                         int tiles, int k_p, int out_p, float* m,
                         int m_stride) {
  CHECK_EQ(tiles % 16, 0);
  CHECK_EQ(k_p % 32, 0);
  CHECK_EQ(out_p % 16, 0);
  // The configuration is per thread; loading it each call costs little
  // beside 16 products.
  _tile_loadconfig(&Config());
  for (int xi = 0; xi < 16; ++xi) {
    const Bf16* vx = v + static_cast<size_t>(xi) * v_stride;
    const Bf16* ux = u + static_cast<size_t>(xi) * k_p * out_p;
    float* mx = m + static_cast<size_t>(xi) * m_stride;
    for (int t0 = 0; t0 < tiles;) {
      const bool two_rows = tiles - t0 >= 32;
      for (int co0 = 0; co0 < out_p;) {
        const bool two_cols = out_p - co0 >= 32;
        if (two_rows && two_cols) {
          TileBlock<2, 2>(vx, ux, k_p, out_p, t0, co0, mx);
        } else if (two_rows) {
          TileBlock<2, 1>(vx, ux, k_p, out_p, t0, co0, mx);
        } else if (two_cols) {
          TileBlock<1, 2>(vx, ux, k_p, out_p, t0, co0, mx);
        } else {
          TileBlock<1, 1>(vx, ux, k_p, out_p, t0, co0, mx);
        }
        co0 += two_cols ? 32 : 16;
      }
      t0 += two_rows ? 32 : 16;
    }
  }
  _tile_release();
}

}  // namespace az::nn
