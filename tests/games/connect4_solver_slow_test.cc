// The full public benchmark sets of Pascal Pons (end and middle game):
// every one of the 3000 scores must come out exact.
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "games/connect4/solver.h"
#include "games/position_file.h"
#include "games/registry.h"
#include "games/solver.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

class BenchmarkSetTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BenchmarkSetTest, EveryScoreIsExact) {
  const Game& game = **FindGame("connect4");
  std::string path = testing::SharedDataDir() + "/connect4/" + GetParam();
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    GTEST_SKIP() << path << " is missing (the shared benchmark data)";
  }
  absl::StatusOr<std::vector<PositionRecord>> records =
      ReadPositionFile(game, path);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1000u);
  std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
  std::unique_ptr<State> state = game.NewInitialState();
  int mismatches = 0;
  for (const PositionRecord& record : *records) {
    ASSERT_TRUE(record.score.has_value()) << "line " << record.line;
    state = game.NewInitialState();
    for (Action a : record.actions) state->Apply(a);
    absl::StatusOr<ExactValue> value = solver->Solve(*state);
    ASSERT_TRUE(value.ok()) << value.status();
    if (value->score != *record.score && ++mismatches <= 5) {
      ADD_FAILURE() << GetParam() << ":" << record.line << ": " << record.moves
                    << " scores " << value->score << ", expected "
                    << *record.score;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(Connect4, BenchmarkSetTest,
                         ::testing::Values("Test_L3_R1", "Test_L2_R1",
                                           "Test_L2_R2"));

}  // namespace
}  // namespace az
