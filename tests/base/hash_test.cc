#include "base/hash.h"

#include <cstdint>
#include <set>

#include "gtest/gtest.h"

namespace az::base {
namespace {

// Hashes are stored in files: the values are part of the format.
TEST(HashTest, MixBitsIsTheSplitMix64Finaliser) {
  static_assert(MixBits(0) == 0xe220a8397b1dcdafULL);
  EXPECT_EQ(MixBits(1), 0x910a2dec89025cc1ULL);
}

TEST(HashTest, HashPairDependsOnTheOrderAndOnBothWords) {
  EXPECT_NE(HashPair(1, 2), HashPair(2, 1));
  EXPECT_NE(HashPair(0, 0), HashPair(0, 1));
  EXPECT_NE(HashPair(0, 0), HashPair(1, 0));
  std::set<uint64_t> seen;
  for (uint64_t a = 0; a < 64; ++a) {
    for (uint64_t b = 0; b < 64; ++b) seen.insert(HashPair(a, b));
  }
  EXPECT_EQ(seen.size(), 64u * 64u);
}

}  // namespace
}  // namespace az::base
