#include "tools/search_flags.h"

#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/engine/tree_game.h"

namespace az {
namespace {

TEST(SearchFlagsTest, MakesEachEvaluator) {
  const Game& game = **FindGame("connect4");
  EXPECT_EQ((*MakeEvaluator(game, "uniform", 1, 1, 0)).get()->Name(),
            "uniform");
  EXPECT_EQ((*MakeEvaluator(game, "rollout", 3, 1, 0)).get()->Name(),
            "rollout:k=3");
  EXPECT_EQ((*MakeEvaluator(game, "rollout:5", 3, 1, 0)).get()->Name(),
            "rollout:k=5");
  EXPECT_EQ((*MakeEvaluator(game, "solver", 1, 1, 0)).get()->Name(), "solver");
  EXPECT_EQ((*MakeEvaluator(game, "uniform", 1, 1, 1000)).get()->Name(),
            "uniform+cache");
}

TEST(SearchFlagsTest, RefusesWhatCannotBeMade) {
  const Game& game = **FindGame("connect4");
  EXPECT_EQ(MakeEvaluator(game, "oracle", 1, 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(MakeEvaluator(game, "rollout:0", 1, 1, 0).ok());
  EXPECT_FALSE(MakeEvaluator(game, "uniform", 1, 1, -1).ok());
  az::testing::TreeGame no_solver("(F S)");
  auto solver = MakeEvaluator(no_solver, "solver", 1, 1, 0);
  EXPECT_EQ(solver.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(solver.status().message().find("no exact solver"),
            std::string::npos);
}

}  // namespace
}  // namespace az
