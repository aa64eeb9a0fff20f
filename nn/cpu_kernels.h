// Which instruction sets the fast CPU forward (nn/fast_forward.h) runs on.
// The processors this project runs on differ (AVX2 only; AVX-512 with
// AVX512-BF16; AVX-512 with AMX), so kernels are chosen at run time, and a
// kernel set can be forced for benchmarks and tests.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace az::nn {

enum class KernelSet {
  kAuto,      // the best this processor runs
  kAmx,       // AVX-512 kernels, bf16 products on AMX tiles
  kAvx512,    // AVX-512F kernels (16 fp32 lanes); bf16 through AVX512-BF16
  kAvx2,      // AVX2/FMA kernels (8 fp32 lanes)
  kPortable,  // plain loops: correct everywhere, slow
};

// Parses "auto" / "amx" / "avx512" / "avx2" / "portable".
absl::StatusOr<KernelSet> ParseKernelSet(const std::string& text);
std::string KernelSetName(KernelSet set);

bool CpuHasAvx2Fma();
bool CpuHasAvx512();      // F, BW, VL, DQ: what the AVX-512 kernels use
bool CpuHasAvx512Bf16();  // vdpbf16ps
// AMX-BF16 tiles, and the kernel's permission to use them (Linux grants it
// per process on request; false where it refuses).
bool CpuHasAmxBf16();

// What kAuto means here: the widest fp32 kernels this processor runs.
KernelSet BestKernelSet();
// `set` itself, or kAuto resolved; an error when this processor cannot run
// it (e.g. --kernels=avx512 on an AVX2-only machine).
absl::StatusOr<KernelSet> ResolveKernelSet(KernelSet set);

}  // namespace az::nn
