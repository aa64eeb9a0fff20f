// Two actor threads sharing one inference server with a tiny random network
// (run under ThreadSanitizer by the tsan preset).
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/search_params.h"
#include "games/registry.h"
#include "games/reward.h"
#include "gtest/gtest.h"
#include "nn/inference_server.h"
#include "nn/network_builder.h"
#include "selfplay/actor_farm.h"

namespace az::selfplay {
namespace {

TEST(ActorFarmThreadsTest, TwoActorsShareTheInferenceServer) {
  const Game& game = **FindGame("tictactoe");
  auto checkpoint =
      nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(game, 1, 8), 3);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  nn::InferenceServerOptions server_options;
  server_options.clients = 2;
  server_options.max_batch = 16;
  auto server = nn::InferenceServer::Create(*checkpoint, server_options);
  ASSERT_TRUE(server.ok()) << server.status();

  ActorFarmOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.search.num_simulations = 16;
  options.search.root_noise = true;
  options.search.temperature_moves = 3;
  options.actor_threads = 2;
  options.games_per_thread = 8;
  std::mutex mu;
  std::vector<GameRecord> records;
  auto farm =
      ActorFarm::Create(game, server->get(), options, [&](GameRecord record) {
        std::lock_guard<std::mutex> lock(mu);
        records.push_back(std::move(record));
      });
  ASSERT_TRUE(farm.ok()) << farm.status();
  ASSERT_TRUE((*farm)->Start().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (records.size() >= 24) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE((*farm)->Stop().ok());
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(records.size(), 24u);
  const ActorFarmStats stats = (*farm)->Stats();
  EXPECT_EQ(stats.games, static_cast<int64_t>(records.size()));
  int64_t positions = 0;
  bool any_nonzero_v = false;
  for (const GameRecord& record : records) {
    ASSERT_EQ(record.positions.size(), record.moves.size());
    positions += static_cast<int64_t>(record.moves.size());
    std::unique_ptr<State> state = game.NewInitialState();
    for (size_t i = 0; i < record.moves.size(); ++i) {
      const PositionRecord& p = record.positions[i];
      EXPECT_EQ(p.z, RewardFor(record.outcome, state->ToMove()));
      EXPECT_GE(p.v, -1.0f);
      EXPECT_LE(p.v, 1.0f);
      EXPECT_GE(p.q, -1.0f);
      EXPECT_LE(p.q, 1.0f);
      any_nonzero_v |= p.v != 0.0f;
      ASSERT_TRUE(state->IsLegal(record.moves[i]));
      state->Apply(record.moves[i]);
    }
    EXPECT_TRUE(state->IsTerminal());
    EXPECT_EQ(state->Outcome(), record.outcome);
  }
  EXPECT_EQ(stats.positions, positions);
  // A random network has opinions: v is its raw value, not a placeholder.
  EXPECT_TRUE(any_nonzero_v);
  // Every leaf the actors sent reached the network (there is no cache).
  EXPECT_EQ((*server)->Stats().positions,
            static_cast<uint64_t>(stats.evaluations));
}

}  // namespace
}  // namespace az::selfplay
