// The checks of az match's options, in-process: every usage error and how
// the values become MatchOptions.
#include "tools/match_options.h"

#include "gtest/gtest.h"
#include "tests/tools/exit_code_testing.h"
#include "tools/command.h"

namespace az {
namespace {

MatchFlagValues Flags(const std::string& players) {
  MatchFlagValues flags;
  flags.players = players;
  return flags;
}

TEST(MatchOptionsTest, ValuesBecomeTheMatch) {
  MatchFlagValues flags = Flags("solver,random,mcts:sims=50");
  flags.games = 4;
  flags.opening_plies = 3;
  flags.anchor = "random";
  flags.start = "5";
  flags.threads = 3;
  flags.seed = 17;
  absl::StatusOr<MatchCommandOptions> options = ResolveMatchOptions(flags, 16);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->specs,
            (std::vector<std::string>{"solver", "random", "mcts:sims=50"}));
  EXPECT_EQ(options->anchor, 1);
  EXPECT_EQ(options->match.games_per_pair, 4);
  EXPECT_EQ(options->match.opening_plies, 3);
  EXPECT_EQ(options->match.start, "5");
  EXPECT_EQ(options->match.threads, 3);
  EXPECT_EQ(options->match.seed, 17u);
}

TEST(MatchOptionsTest, TheAnchorDefaultsToTheFirstAndEmptySpecsAreSkipped) {
  absl::StatusOr<MatchCommandOptions> options =
      ResolveMatchOptions(Flags(",solver,,random,"), 4);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->specs, (std::vector<std::string>{"solver", "random"}));
  EXPECT_EQ(options->anchor, 0);
}

TEST(MatchOptionsTest, ThreadsDefaultToOnePerCoreUpToEight) {
  EXPECT_EQ(MatchThreads(0, 4), 4);
  EXPECT_EQ(MatchThreads(0, 64), 8);
  EXPECT_EQ(MatchThreads(0, 0), 1);  // the core count is unknown
  EXPECT_EQ(MatchThreads(12, 4), 12);
  EXPECT_EQ(ResolveMatchOptions(Flags("a,b"), 2)->match.threads, 2);
}

// The options of the binary's BadSpecsExitWithOneLine that need no player
// made: one line, "az match: ", a usage error.
TEST(MatchOptionsTest, BadOptionsAreOneLineUsageErrors) {
  absl::Status one_player = ResolveMatchOptions(Flags("solver"), 4).status();
  EXPECT_EQ(one_player.message(),
            "--players needs two or more players, SPEC,SPEC[,...] (got "
            "\"solver\")");
  testing::ExpectOneLineExit("match", one_player, "--players");

  MatchFlagValues no_games = Flags("solver,random");
  no_games.games = 0;
  absl::Status games = ResolveMatchOptions(no_games, 4).status();
  EXPECT_EQ(games.message(), "--games must be >= 1 (got 0)");
  testing::ExpectOneLineExit("match", games, "--games");

  MatchFlagValues stranger = Flags("solver,random");
  stranger.anchor = "human";
  absl::Status anchor = ResolveMatchOptions(stranger, 4).status();
  EXPECT_EQ(anchor.message(), "--anchor=human is not one of the players");
  testing::ExpectOneLineExit("match", anchor, "--anchor");
}

}  // namespace
}  // namespace az
