// CRC-32C (Castagnoli), the checksum every az file format ends its frames
// with: checkpoints, optimizer state, game-record shards, label caches.
#pragma once

#include <cstddef>
#include <cstdint>

namespace az::base {

// CRC-32C of `size` bytes at `data`. Pass the result of an earlier call as
// `crc` to continue over data that arrives in pieces:
// Crc32c(b, nb, Crc32c(a, na)) == Crc32c of a followed by b.
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace az::base
