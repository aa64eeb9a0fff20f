#include "base/parallel.h"

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace az::base {
namespace {

TEST(ForChunksTest, EveryIndexOnceInChunksOnEveryThread) {
  constexpr size_t kN = 1003;
  std::vector<std::atomic<int>> visits(kN);
  std::atomic<int> bad_chunks{0}, bad_threads{0};
  absl::Status status =
      ForChunks(kN, 10, 4, [&](size_t begin, size_t end, int thread) {
        if (end <= begin || end - begin > 10 || end > kN) ++bad_chunks;
        if (thread < 0 || thread >= 4) ++bad_threads;
        for (size_t i = begin; i < end; ++i) ++visits[i];
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(bad_chunks, 0);
  EXPECT_EQ(bad_threads, 0);
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(visits[i], 1) << i;
}

TEST(ForChunksTest, OneThreadIsTheCallingThread) {
  const std::thread::id caller = std::this_thread::get_id();
  int calls = 0;
  absl::Status status = ForChunks(5, 2, 1, [&](size_t, size_t, int thread) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(thread, 0);
    ++calls;
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(ForChunks(0, 4, 3, [](size_t, size_t, int) {
                ADD_FAILURE() << "no work, no call";
                return absl::OkStatus();
              }).ok());
}

TEST(ForChunksTest, AnErrorIsReturnedAndStopsTheWork) {
  std::vector<size_t> begins;
  absl::Status status = ForChunks(100, 1, 1, [&](size_t begin, size_t, int) {
    begins.push_back(begin);
    if (begin == 7) return absl::DataLossError("chunk 7");
    return absl::OkStatus();
  });
  EXPECT_EQ(status, absl::DataLossError("chunk 7"));
  EXPECT_EQ(begins.size(), 8u);  // none after the failed chunk
  // On several threads, the one error is what comes back.
  status = ForChunks(1000, 3, 4, [&](size_t begin, size_t end, int) {
    if (begin <= 500 && 500 < end) return absl::DataLossError("chunk of 500");
    return absl::OkStatus();
  });
  EXPECT_EQ(status, absl::DataLossError("chunk of 500"));
}

}  // namespace
}  // namespace az::base
