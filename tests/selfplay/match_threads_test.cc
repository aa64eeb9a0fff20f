// Parallel games sharing one inference server and one rollout evaluator
// (run under ThreadSanitizer by the tsan preset).
#include <string>
#include <vector>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "selfplay/match.h"

namespace az::selfplay {
namespace {

TEST(MatchThreadsTest, NetworkAndMctsPlayersOnSeveralThreads) {
  const Game& ttt = **FindGame("tictactoe");
  auto ck = nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(ttt, 1, 8), 5);
  ASSERT_TRUE(ck.ok()) << ck.status();
  const std::string path = ::testing::TempDir() + "/match_threads.ckpt";
  ASSERT_TRUE(nn::SaveCheckpoint(*ck, path).ok());
  PlayerOptions options;
  options.search = engine::DefaultSearchParams(ttt);
  options.search.num_simulations = 30;
  options.search.temperature_moves = 0;
  options.inference.clients = 3;
  std::vector<std::unique_ptr<PlayerFactory>> owned;
  std::vector<PlayerFactory*> players;
  for (std::string spec :
       std::vector<std::string>{"net:" + path + ":sims=20", "mcts:sims=30",
                                "net:" + path + ":raw"}) {
    auto f = PlayerFactory::Create(ttt, spec, options);
    ASSERT_TRUE(f.ok()) << f.status();
    players.push_back(f->get());
    owned.push_back(*std::move(f));
  }
  MatchOptions match;
  match.games_per_pair = 6;
  match.threads = 3;
  auto result = RunMatch(ttt, players, match);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->games.size(), 18u);
  for (const PairResults& pair : result->pairs) EXPECT_EQ(pair.games(), 6);
  for (const MatchGame& g : result->games) {
    EXPECT_NE(g.outcome, GameOutcome::kOngoing);
  }
}

}  // namespace
}  // namespace az::selfplay
