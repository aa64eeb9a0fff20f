// A small, fast, seedable random generator, and a Dirichlet sampler.
//
// Everything random in az (the search's noise and move sampling, rollouts,
// self-play openings, held-out draws, replay sampling) is drawn from an Rng
// seeded from a setting, so runs repeat exactly on the same platform.
#pragma once

#include <cstdint>

#include "base/hash.h"

namespace az::base {

// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. It satisfies
// UniformRandomBitGenerator, so the <random> distributions accept it.
class Rng {
 public:
  using result_type = uint64_t;

  explicit Rng(uint64_t seed = 0) { Seed(seed); }

  void Seed(uint64_t seed) {
    for (int i = 0; i < 4; ++i) s_[i] = MixBits(seed + i);
  }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~uint64_t{0}; }

  result_type operator()() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // A uniform integer in [0, n), n >= 1 (Lemire's multiply-shift; the bias
  // for the small n used here is below 2^-32).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((*this)() >> 32) * uint64_t{n} >> 32);
  }

  // A uniform double in [0, 1).
  double Uniform() { return ((*this)() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Writes a sample of Dirichlet(alpha, ..., alpha) of dimension n into out
// (alpha > 0, n >= 1).
void SampleDirichlet(float alpha, int n, Rng& rng, float* out);

}  // namespace az::base
