#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace az {
namespace {

using az::testing::RunAz;
using Json = nlohmann::json;

TEST(MatchCommandTest, JsonHasTheSpecifiedKeys) {
  auto r = RunAz(
      "match --game=tictactoe --players=solver,random --games=6 --threads=2 "
      "--opening_plies=0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j["pairs"].is_array());
  ASSERT_EQ(j["pairs"].size(), 1u);
  const Json& p = j["pairs"][0];
  for (const char* key :
       {"a", "b", "wins", "draws", "losses", "elo", "elo_lo", "elo_hi"}) {
    EXPECT_TRUE(p.contains(key)) << key;
  }
  EXPECT_EQ(p["a"], "solver");
  EXPECT_EQ(p["b"], "random");
  EXPECT_EQ(
      p["wins"].get<int>() + p["draws"].get<int>() + p["losses"].get<int>(), 6);
  // Counted for a, the solver, which never loses from the initial position
  // (a random opening could hand it a lost one).
  EXPECT_EQ(p["losses"], 0);
  // By colour: three games each, adding up to the totals.
  for (const char* key : {"wins", "draws", "losses"}) {
    EXPECT_EQ(p["first"][key].get<int>() + p["second"][key].get<int>(),
              p[key].get<int>())
        << key;
  }
  EXPECT_EQ(p["first"]["wins"].get<int>() + p["first"]["draws"].get<int>() +
                p["first"]["losses"].get<int>(),
            3);
  ASSERT_TRUE(j["ratings"].is_object());
  EXPECT_EQ(j["ratings"]["solver"], 0.0);  // the anchor
  EXPECT_LT(j["ratings"]["random"].get<double>(), 0.0);
}

TEST(MatchCommandTest, RoundRobinTableAndCsv) {
  std::string csv = ::testing::TempDir() + "/match.csv";
  auto r = RunAz(
      "match --game=tictactoe --players=random,solver,mcts:sims=50 --games=4 "
      "--anchor=random --out=" +
      csv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "ratings (Bradley-Terry")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "random = 0")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "a first / second (W-D-L)")) << r.out;
  std::ifstream in(csv);
  ASSERT_TRUE(in.good());
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header,
            "a,b,wins,draws,losses,games,score,elo,elo_lo,elo_hi,rating_a,"
            "rating_b,wins_first,draws_first,losses_first");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 3);
}

TEST(MatchCommandTest, GamesOutRecordsEveryGameForReplay) {
  std::string path = ::testing::TempDir() + "/match_games.csv";
  std::remove(path.c_str());
  auto r = RunAz(
      "match --game=tictactoe --players=solver,random --games=6 --start=5 "
      "--opening_plies=0 --games_out=" +
      path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Game& ttt = **FindGame("tictactoe");
  std::ifstream in(path);
  ASSERT_TRUE(in.good());
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "game,first,second,result,players_from,moves");
  int rows = 0, solver_first = 0;
  while (std::getline(in, line)) {
    ++rows;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    ASSERT_EQ(f.size(), 6u) << line;
    EXPECT_EQ(f[0], std::to_string(rows));
    ASSERT_TRUE((f[1] == "solver" && f[2] == "random") ||
                (f[1] == "random" && f[2] == "solver"))
        << line;
    solver_first += f[1] == "solver";
    // --start's move, then the players.
    EXPECT_EQ(f[4], "1") << line;
    EXPECT_TRUE(absl::StartsWith(f[5], "5")) << line;
    // The moves replay to a finished game with the recorded result.
    auto state = ttt.NewStateFromMoves(f[5]);
    ASSERT_TRUE(state.ok()) << line << ": " << state.status();
    ASSERT_TRUE((*state)->IsTerminal()) << line;
    const GameOutcome outcome = (*state)->Outcome();
    EXPECT_EQ(f[3], outcome == GameOutcome::kFirstPlayerWins    ? "1-0"
                    : outcome == GameOutcome::kSecondPlayerWins ? "0-1"
                                                                : "1/2")
        << line;
    // The solver never loses: the centre opening is a draw.
    EXPECT_NE(f[3], f[1] == "solver" ? "0-1" : "1-0") << line;
  }
  EXPECT_EQ(rows, 6);
  EXPECT_EQ(solver_first, 3);
}

// --reward plays and scores the games by a spec of the game's menu: the
// no_diagonals solver, perfect under its own reward, against the rules'
// solver in games scored by each; the report names the spec.
TEST(MatchCommandTest, RewardScoresTheGamesByItsSpec) {
  for (const std::string spec : {"rules", "no_diagonals"}) {
    auto r = RunAz("match --game=tictactoe --players=solver,random --games=4 "
                   "--opening_plies=0 --reward=" + spec + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j["reward"], spec);
    // The solver of the spec never loses under the spec's own scoring.
    const Json& p = j["pairs"][0];
    EXPECT_EQ(p["losses"], 0) << spec;
    // The rules' verdict of the same games, counted apart.
    EXPECT_EQ(p["rules_wins"].get<int>() + p["rules_draws"].get<int>() +
                  p["rules_losses"].get<int>(),
              4);
    if (spec == "rules") {
      EXPECT_EQ(p["rules_wins"], p["wins"]);
      EXPECT_EQ(p["rules_losses"], p["losses"]);
    }
  }
  auto table = RunAz("match --game=tictactoe --players=solver,random "
                     "--games=2 --reward=no_diagonals");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(absl::StrContains(
      table.out, "scored by reward spec no_diagonals (a proxy, not the rules)"))
      << table.out;
  EXPECT_TRUE(absl::StrContains(table.out, "the same games by the rules: "))
      << table.out;
}

TEST(MatchCommandTest, AnUnknownRewardSpecIsOneLineAndExitTwo) {
  auto r = az::testing::ExpectOneLineError(
      "match --game=tictactoe --players=solver,random --reward=discs",
      "--reward=discs", 2);
  EXPECT_TRUE(absl::StartsWith(r.err, "az match: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "no_diagonals")) << r.err;
}

// Every bad option and spec is checked in-process (match_options_test,
// match_report_test); these two show the binary's wiring of both stages.
TEST(MatchCommandTest, BadSpecsExitWithOneLine) {
  for (std::string args :
       {"--players=net:/missing,random", "--players=solver,random --games=0"}) {
    auto r = az::testing::ExpectOneLineError("match --game=tictactoe " + args,
                                             "", az::testing::kAnyFailure);
    EXPECT_TRUE(absl::StartsWith(r.err, "az match: ")) << r.err;
  }
}

// Options that parse as numbers but do not fit the float the search keeps
// (inf, or 0) are usage errors naming the option, not an abort when the
// first game starts.
TEST(MatchCommandTest, OptionsOutOfFloatRangeAreUsageErrors) {
  for (std::string spec : {"mcts:c_init=1e39", "mcts:c_init=1e-50",
                           "mcts:fpu=1e39", "mcts:sims=5:fpu=-1e-50"}) {
    const std::string field =
        spec.find("c_init") != std::string::npos ? "c_init" : "fpu";
    az::testing::ExpectOneLineError(
        "match --game=tictactoe --games=1 --players=random," + spec, field);
  }
  for (std::string flag : {"--c_init=1e39", "--c_init=1e-50", "--c_base=1e39",
                           "--c_base=1e-50", "--fpu_reduction=1e39"}) {
    az::testing::ExpectOneLineError(
        "match --game=tictactoe --games=1 --players=random,mcts " + flag,
        flag.substr(2, flag.find('=') - 2));
  }
}

// A forward pass that LibTorch refuses (it has no fp16 convolution on the
// CPU) fails the match with one line, exit 1, instead of std::terminate in
// the inference thread.
TEST(MatchCommandTest, AFailingNetworkIsAnErrorNotACrash) {
  const std::string path = ::testing::TempDir() + "/fp16.ckpt";
  ASSERT_EQ(RunAz("init --game=tictactoe --blocks=1 --channels=8 --out=" + path)
                .exit_code,
            0);
  auto r =
      RunAz("match --game=tictactoe --games=1 --players=net:" + path +
            ":sims=4,random --backend=torch --device=cpu --precision=fp16");
  if (r.exit_code == 0)
    GTEST_SKIP() << "this LibTorch computes fp16 on the CPU";
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "az match: ")) << r.err;
  EXPECT_NE(r.err.find("LibTorch forward pass"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace az
