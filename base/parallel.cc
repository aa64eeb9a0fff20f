#include "base/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace az::base {

absl::Status ForChunks(
    size_t n, size_t chunk, int threads,
    const std::function<absl::Status(size_t, size_t, int)>& work) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<absl::Status> errors(threads);
  auto loop = [&](int t) {
    while (!failed) {
      const size_t begin = next.fetch_add(chunk);
      if (begin >= n) return;
      absl::Status s = work(begin, std::min(n, begin + chunk), t);
      if (!s.ok()) {
        errors[t] = s;
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(loop, t);
  loop(0);
  for (std::thread& t : pool) t.join();
  for (const absl::Status& s : errors) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace az::base
