// Actors add games from several threads while a trainer samples (the tsan
// preset runs this file).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/replay_buffer.h"
#include "tests/selfplay/random_records.h"

namespace az::selfplay {
namespace {

TEST(ReplayBufferThreadsTest, ConcurrentAddGameAndSample) {
  const Game& game = **FindGame("connect4");
  ReplayBufferOptions options;
  options.capacity_positions = 300;
  options.augment_symmetries = true;
  ReplayBuffer buffer(game, options);
  const std::string dir =
      ::testing::TempDir() + "/replay_threads_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  auto store = ReplayStore::Open(dir, "connect4", 7);
  ASSERT_TRUE(store.ok()) << store.status();

  constexpr int kThreads = 4, kGamesPerThread = 25;
  std::atomic<int64_t> positions{0};
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    base::Rng rng(1);
    while (!done.load()) {
      for (const TrainingExample& e : buffer.Sample(16, rng)) {
        ASSERT_EQ(e.policy.size(), 7u);
      }
    }
  });
  std::vector<std::thread> actors;
  for (int t = 0; t < kThreads; ++t) {
    actors.emplace_back([&, t] {
      for (int g = 0; g < kGamesPerThread; ++g) {
        GameRecord record = testing::RandomGameRecord(game, t * 1000 + g);
        positions += record.positions.size();
        ASSERT_TRUE((*store)->Append(record).ok());
        ASSERT_TRUE(buffer.AddGame(std::move(record)).ok());
      }
    });
  }
  for (std::thread& t : actors) t.join();
  done = true;
  sampler.join();
  ASSERT_TRUE((*store)->Flush().ok());

  ReplayBufferCounts counts = buffer.counts();
  EXPECT_EQ(counts.games_added, kThreads * kGamesPerThread);
  EXPECT_EQ(counts.positions_added, positions.load());
  EXPECT_EQ(counts.positions_in_window, 300);
  EXPECT_EQ((*store)->games_written(), kThreads * kGamesPerThread);

  ReplayBuffer reloaded(game, options);
  absl::StatusOr<LoadStats> stats = LoadRecentGames(dir, &reloaded);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(reloaded.counts().positions_in_window, 300);
}

}  // namespace
}  // namespace az::selfplay
