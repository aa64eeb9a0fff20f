// The az binary's own part, through the binary: `az help`, the overview,
// and the command-line checks made before any subcommand runs.
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using testing::RunAz;

TEST(AzMainTest, TheOverviewListsTheSubcommands) {
  testing::CommandResult help = RunAz("help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* name : {"analyze", "bench", "gap", "info", "init", "match",
                           "play", "solve", "train", "help"}) {
    EXPECT_TRUE(absl::StrContains(help.out, std::string("  ") + name + " "))
        << name << " in " << help.out;
  }
  // Without a subcommand the same overview, as a usage error.
  testing::CommandResult none = RunAz("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.out, help.out);
}

TEST(AzMainTest, HelpListsACommandsFlagsItsGroupsAndTheCommonOnes) {
  testing::CommandResult r = RunAz("help match");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "az match: ")) << r.out;
  for (const char* text :
       {"usage: az match --game=G", "\nflags:\n", "--games", "--anchor",
        "--games_out", "\nplayers flags:\n", "--players", "\nsearch flags:\n",
        "--sims", "\nnetwork flags:\n", "--device",
        "\ncommon flags (where the subcommand uses them):\n", "--threads"}) {
    EXPECT_TRUE(absl::StrContains(r.out, text)) << text;
  }
  // Another subcommand's flag is not listed.
  EXPECT_FALSE(absl::StrContains(r.out, "--positions")) << r.out;
  // --help after the subcommand is the same help.
  EXPECT_EQ(RunAz("match --help").out, r.out);
}

TEST(AzMainTest, CommandLineMistakesAreOneLineUsageErrors) {
  for (const char* args : {"chess", "help chess"}) {
    testing::CommandResult r = RunAz(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.err, "az: unknown subcommand 'chess' (see 'az help')\n");
    EXPECT_EQ(r.out, "");
  }
  testing::ExpectOneLineError("match --positions=x", "az match: --positions");
  testing::ExpectOneLineError("play --games", "--games");
  testing::ExpectOneLineError("info --no_such_flag x", "unknown flag");
  testing::ExpectOneLineError("match --games=many", "not a valid int32");
  testing::ExpectOneLineError("solve --threads", "--threads needs a value");
}

// Every flag a command's usage names is one it accepts: az serve's --sets
// and --run live in shared groups, not in another command's file (where the
// flag check would refuse them), and its help lists them.
TEST(AzMainTest, ServeAcceptsTheFlagsItsUsageNames) {
  auto help = RunAz("help serve");
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_TRUE(absl::StrContains(help.out, "--sets (string")) << help.out;
  EXPECT_TRUE(absl::StrContains(help.out, "--run (string")) << help.out;
  // A file that does not exist is now the complaint, not the flag.
  auto r = testing::ExpectOneLineError(
      "serve --game=tictactoe --players=random --port=0 "
      "--sets=/nonexistent/positions",
      "cannot open /nonexistent/positions", testing::kAnyFailure);
  EXPECT_FALSE(absl::StrContains(r.err, "not a flag")) << r.err;
}

TEST(AzMainTest, BooleanFlagsTurnOffWithNo) {
  testing::CommandResult r =
      RunAz("solve --game=tictactoe --nojson --positions=/missing");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "/missing")) << r.err;
}

}  // namespace
}  // namespace az
