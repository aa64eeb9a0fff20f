// Work split over a few threads, in consecutive chunks: for jobs that are
// independent per item (labelling and evaluating the positions of az gap).
#pragma once

#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace az::base {

// Runs work(begin, end, thread) over consecutive chunks of [0, n) on
// `threads` threads (the calling thread is one of them); the first error
// wins and stops the others at their next chunk.
absl::Status ForChunks(
    size_t n, size_t chunk, int threads,
    const std::function<absl::Status(size_t, size_t, int)>& work);

}  // namespace az::base
