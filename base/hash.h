// Stable 64-bit mixing for position hashes: the same values on every run and
// platform, so hashes can be stored in files and compared across machines.
#pragma once

#include <cstdint>

namespace az::base {

// The finaliser of SplitMix64: a bijection on 64-bit integers with good
// avalanche behaviour.
constexpr uint64_t MixBits(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Combines two words into one hash (order matters).
constexpr uint64_t HashPair(uint64_t a, uint64_t b) {
  return MixBits(MixBits(a) ^ (b + 0x632be59bd9b4e019ULL));
}

}  // namespace az::base
