// Work split over a few threads for the measurements of az gap: labelling
// positions and evaluating them are independent per position.
#pragma once

#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace az::analysis {

// Runs work(begin, end, thread) over consecutive chunks of [0, n) on
// `threads` threads (the calling thread is one of them); the first error
// wins and stops the others at their next chunk.
absl::Status ForChunks(
    size_t n, size_t chunk, int threads,
    const std::function<absl::Status(size_t, size_t, int)>& work);

}  // namespace az::analysis
