// Playing strength: uniform prior + random rollouts with 1000 simulations
// against a uniformly random player, 100 games of Connect Four with
// alternating colours. Quick despite the 100 games (under a second in a
// release build, a few seconds under ASan).
#include <memory>

#include "engine/evaluators.h"
#include "base/random.h"
#include "engine/search.h"
#include "games/registry.h"
#include "glog/logging.h"
#include "gtest/gtest.h"

namespace az::engine {
namespace {

TEST(SearchStrengthTest, BeatsARandomPlayerInConnect4) {
  const Game& game = **FindGame("connect4");
  auto rollout = *RolloutEvaluator::Create(game, 1, 1);
  SearchParams params = DefaultSearchParams(game);
  params.num_simulations = 1000;
  auto search = *Search::Create(game, rollout.get(), params);
  base::Rng rng(2024);
  int wins = 0, draws = 0;
  constexpr int kGames = 100;
  for (int g = 0; g < kGames; ++g) {
    const Player engine = g % 2 == 0 ? Player::kFirst : Player::kSecond;
    auto state = game.NewInitialState();
    ASSERT_TRUE(search->SetPosition(*state).ok());
    while (!state->IsTerminal()) {
      Action a;
      if (state->ToMove() == engine) {
        SearchResult result = *search->Run();
        a = result.best_action;
      } else {
        std::vector<Action> legal = state->LegalActions();
        a = legal[rng.Below(legal.size())];
      }
      state->Apply(a);
      ASSERT_TRUE(search->ApplyMove(a).ok());
    }
    TerminalReward reward = state->Reward(engine);
    wins += reward.is_win();
    draws += reward.is_draw();
    if (!reward.is_win()) {
      LOG(INFO) << "game " << g << " not won:\n" << state->ToString();
    }
  }
  LOG(INFO) << "won " << wins << ", drew " << draws << " of " << kGames;
  EXPECT_GE(wins, 98);
}

}  // namespace
}  // namespace az::engine
