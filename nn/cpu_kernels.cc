#include "nn/cpu_kernels.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace az::nn {

absl::StatusOr<KernelSet> ParseKernelSet(const std::string& text) {
  if (text == "auto") return KernelSet::kAuto;
  if (text == "amx") return KernelSet::kAmx;
  if (text == "avx512") return KernelSet::kAvx512;
  if (text == "avx2") return KernelSet::kAvx2;
  if (text == "portable") return KernelSet::kPortable;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown kernel set \"", text, "\" (auto, amx, avx512, avx2, portable)"));
}

std::string KernelSetName(KernelSet set) {
  switch (set) {
    case KernelSet::kAuto:
      return "auto";
    case KernelSet::kAmx:
      return "amx";
    case KernelSet::kAvx512:
      return "avx512";
    case KernelSet::kAvx2:
      return "avx2";
    case KernelSet::kPortable:
      return "portable";
  }
  return "?";
}

bool CpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool CpuHasAvx512() {
  __builtin_cpu_init();
  return CpuHasAvx2Fma() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq");
}

bool CpuHasAvx512Bf16() {
  __builtin_cpu_init();
  return CpuHasAvx512() && __builtin_cpu_supports("avx512bf16");
}

namespace {

// CPUID leaf 7, subleaf 0, EDX bits 22 (AMX-BF16) and 24 (AMX-TILE).
bool CpuidHasAmxBf16() {
  unsigned a = 7, b = 0, c = 0, d = 0;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return (d >> 22 & 1) && (d >> 24 & 1);
}

// Linux hands out the 8 KiB of tile state only to a process that asks
// (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA); the grant covers
// every thread of the process.
bool RequestTilePermission() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

}  // namespace

bool CpuHasAmxBf16() {
  static const bool has =
      CpuHasAvx512Bf16() && CpuidHasAmxBf16() && RequestTilePermission();
  return has;
}

KernelSet BestKernelSet() {
  if (CpuHasAvx512()) return KernelSet::kAvx512;
  if (CpuHasAvx2Fma()) return KernelSet::kAvx2;
  return KernelSet::kPortable;
}

absl::StatusOr<KernelSet> ResolveKernelSet(KernelSet set) {
  bool runs = true;
  switch (set) {
    case KernelSet::kAuto:
      return BestKernelSet();
    case KernelSet::kAmx:
      runs = CpuHasAmxBf16();
      break;
    case KernelSet::kAvx512:
      runs = CpuHasAvx512();
      break;
    case KernelSet::kAvx2:
      runs = CpuHasAvx2Fma();
      break;
    case KernelSet::kPortable:
      break;
  }
  if (!runs) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this processor cannot run the ", KernelSetName(set),
        " kernels (see lscpu; --kernels=auto picks what it can)"));
  }
  return set;
}

}  // namespace az::nn
