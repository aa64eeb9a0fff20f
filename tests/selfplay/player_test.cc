#include "selfplay/player.h"

#include <algorithm>
#include <fstream>
#include <utility>
#include <sstream>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "nn/checkpoint.h"
#include "nn/network_builder.h"
#include "tests/test_util.h"

namespace az::selfplay {
namespace {

const Game& GetGame(const char* name) { return **FindGame(name); }

PlayerOptions Options(const Game& game) {
  PlayerOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.search.num_simulations = 50;
  options.search.temperature_moves = 0;
  return options;
}

// A checkpoint of `game` in the test's temporary directory.
std::string SaveRandomCheckpoint(const Game& game, const std::string& name) {
  auto ck = nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(game, 1, 8), 7);
  EXPECT_TRUE(ck.ok()) << ck.status();
  std::string path = ::testing::TempDir() + "/" + name;
  EXPECT_TRUE(nn::SaveCheckpoint(*ck, path).ok());
  return path;
}

void ExpectError(const Game& game, const std::string& spec,
                 absl::StatusCode code, absl::string_view needle) {
  auto player = ParsePlayerSpec(game, spec, Options(game));
  ASSERT_FALSE(player.ok()) << spec;
  EXPECT_EQ(player.status().code(), code) << spec << ": " << player.status();
  EXPECT_TRUE(absl::StrContains(player.status().message(), needle))
      << spec << ": " << player.status();
  EXPECT_TRUE(absl::StrContains(player.status().message(), spec))
      << "the message names the spec: " << player.status();
  EXPECT_FALSE(absl::StrContains(player.status().message(), "\n"));
}

TEST(PlayerSpecTest, EveryBadSpecIsAClearError) {
  const Game& c4 = GetGame("connect4");
  ExpectError(c4, "foo", absl::StatusCode::kInvalidArgument, "unknown player");
  ExpectError(c4, "", absl::StatusCode::kInvalidArgument, "unknown player");
  ExpectError(c4, "mcts:sims=-1", absl::StatusCode::kInvalidArgument,
              "sims must be >= 1");
  ExpectError(c4, "mcts:sims=0", absl::StatusCode::kInvalidArgument,
              "sims must be >= 1");
  ExpectError(c4, "mcts:sims=lots", absl::StatusCode::kInvalidArgument,
              "whole number");
  ExpectError(c4, "mcts:200", absl::StatusCode::kInvalidArgument,
              "unknown option \"200\" (known: sims=N");
  ExpectError(c4, "net:", absl::StatusCode::kInvalidArgument, "path");
  ExpectError(c4, "net:/missing", absl::StatusCode::kNotFound, "/missing");
  ExpectError(c4, "net:/missing:sims=-3", absl::StatusCode::kInvalidArgument,
              "sims must be >= 0");
  ExpectError(c4, "run:/missing", absl::StatusCode::kNotFound,
              "/missing/checkpoints/latest");
  ExpectError(GetGame("othello"), "solver", absl::StatusCode::kInvalidArgument,
              "no exact solver");
  // A human needs somewhere to type.
  ExpectError(c4, "human", absl::StatusCode::kInvalidArgument, "terminal");
  // Search options.
  ExpectError(c4, "mcts:sims=100:c_init=0", absl::StatusCode::kInvalidArgument,
              "c_init must be > 0");
  ExpectError(c4, "mcts:c_init=much", absl::StatusCode::kInvalidArgument,
              "c_init must be a number");
  ExpectError(c4, "mcts:fpu=-0.5", absl::StatusCode::kInvalidArgument,
              "fpu (a reduction) must be >= 0");
  ExpectError(c4, "mcts:fpu=nan", absl::StatusCode::kInvalidArgument,
              "fpu must be a number");
  ExpectError(c4, "mcts:cpuct=2", absl::StatusCode::kInvalidArgument,
              "unknown option \"cpuct=2\"");
  ExpectError(c4, "mcts:raw", absl::StatusCode::kInvalidArgument,
              "unknown option \"raw\"");
  ExpectError(c4, "net:/missing:sims=5:c_init=-1",
              absl::StatusCode::kInvalidArgument, "c_init must be > 0");
}

// The fraction of the root's visits on its most visited move, and the number
// of moves visited at all, after one search of `spec` from the empty board.
std::pair<double, int> RootVisits(const Game& game, const std::string& spec) {
  auto player = ParsePlayerSpec(game, spec, Options(game));
  EXPECT_TRUE(player.ok()) << spec << ": " << player.status();
  if (!player.ok()) return {0.0, 0};
  (*player)->Reset(1);
  MoveInfo info;
  auto move = (*player)->ChooseMove(*game.NewInitialState(), &info);
  EXPECT_TRUE(move.ok()) << move.status();
  int total = 0, most = 0, visited = 0;
  for (const engine::MoveStats& m : info.search->moves) {
    total += m.visits;
    most = std::max(most, m.visits);
    visited += m.visits > 0;
  }
  return {static_cast<double>(most) / std::max(total, 1), visited};
}

TEST(PlayerSpecTest, SearchOptionsReachThatPlayersSearch) {
  const Game& c4 = GetGame("connect4");
  // A small exploration rate piles the visits onto the best-looking move; a
  // large one spreads them along the (uniform) priors.
  const double narrow = RootVisits(c4, "mcts:sims=300:c_init=0.05").first;
  const double wide = RootVisits(c4, "mcts:c_init=50:sims=300").first;
  EXPECT_GT(narrow, 0.4);
  EXPECT_LT(wide, 0.25);
  // A large first-play reduction makes unvisited moves look lost, so few are
  // tried; none tries them all.
  EXPECT_EQ(RootVisits(c4, "mcts:sims=30:fpu=0").second, 7);
  EXPECT_LE(RootVisits(c4, "mcts:sims=30:fpu=3").second, 3);

  // On a network player, after a path that itself holds ':'.
  const Game& ttt = GetGame("tictactoe");
  std::string path = SaveRandomCheckpoint(ttt, "with:colon.ckpt");
  EXPECT_GT(RootVisits(ttt, "net:" + path + ":sims=200:c_init=0.02").first,
            RootVisits(ttt, "net:" + path + ":c_init=50:sims=200").first);
  auto raw = ParsePlayerSpec(ttt, "net:" + path + ":c_init=2:raw", Options(ttt));
  ASSERT_TRUE(raw.ok()) << raw.status();
  MoveInfo info;
  ASSERT_TRUE((*raw)->ChooseMove(*ttt.NewInitialState(), &info).ok());
  EXPECT_EQ(info.search->simulations, 0);
}

TEST(PlayerSpecTest, CheckpointOfAnotherGameIsRefused) {
  const Game& ttt = GetGame("tictactoe");
  std::string path = SaveRandomCheckpoint(ttt, "ttt.ckpt");
  ExpectError(GetGame("connect4"), "net:" + path,
              absl::StatusCode::kInvalidArgument, "tictactoe");
}

TEST(PlayerSpecTest, NetworkPlayersWithAndWithoutSearch) {
  const Game& ttt = GetGame("tictactoe");
  std::string path = SaveRandomCheckpoint(ttt, "net.ckpt");
  auto state = ttt.NewInitialState();
  for (std::string spec : {"net:" + path, "net:" + path + ":sims=20",
                           "net:" + path + ":raw", "net:" + path + ":sims=0"}) {
    auto player = ParsePlayerSpec(ttt, spec, Options(ttt));
    ASSERT_TRUE(player.ok()) << spec << ": " << player.status();
    EXPECT_EQ((*player)->Name(), spec);
    MoveInfo info;
    auto move = (*player)->ChooseMove(*state, &info);
    ASSERT_TRUE(move.ok()) << move.status();
    EXPECT_TRUE(state->IsLegal(*move));
    ASSERT_TRUE(info.search.has_value());
    EXPECT_TRUE(info.value_is_learned);
    const bool raw = absl::EndsWith(spec, "raw") || absl::EndsWith(spec, "=0");
    EXPECT_EQ(info.search->simulations == 0, raw) << spec;
    EXPECT_EQ(info.search->moves.size(), 9u);
  }
}

TEST(PlayerSpecTest, RunDirectoryFollowsTheLatestPointer) {
  const Game& ttt = GetGame("tictactoe");
  std::string run = ::testing::TempDir() + "/run_latest";
  std::string dir = run + "/checkpoints";
  ASSERT_EQ(system(("mkdir -p " + dir).c_str()), 0);
  auto ck = nn::NewRandomCheckpoint(nn::NetworkConfig::ForGame(ttt, 1, 8), 3);
  ASSERT_TRUE(ck.ok());
  ASSERT_TRUE(nn::SaveCheckpoint(*ck, dir + "/step-00000010").ok());
  // No pointer yet: a clear NotFound.
  std::remove((dir + "/latest").c_str());
  ExpectError(ttt, "run:" + run, absl::StatusCode::kNotFound, "latest");
  std::ofstream(dir + "/latest") << "step-00000010\n";
  auto latest = LatestCheckpoint(run);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, dir + "/step-00000010");
  EXPECT_TRUE(
      ParsePlayerSpec(ttt, "run:" + run + ":sims=5", Options(ttt)).ok());
}

TEST(PlayerTest, SolverPlaysTheWinningMove) {
  const Game& ttt = GetGame("tictactoe");
  // X holds 1 and 5, O holds 2 and 9: X forces a win with 4 or 7.
  auto state = ttt.NewStateFromMoves("1259");
  ASSERT_TRUE(state.ok());
  auto player = ParsePlayerSpec(ttt, "solver", Options(ttt));
  ASSERT_TRUE(player.ok());
  MoveInfo info;
  auto move = (*player)->ChooseMove(**state, &info);
  ASSERT_TRUE(move.ok());
  std::string text = ttt.ActionToString(*move);
  EXPECT_TRUE(text == "4" || text == "7") << text;
  ASSERT_TRUE(info.exact.has_value());
  EXPECT_TRUE(info.exact->reward.is_win());
}

TEST(PlayerTest, MctsKeepsItsTreeAcrossObservedMoves) {
  const Game& c4 = GetGame("connect4");
  auto player = ParsePlayerSpec(c4, "mcts:sims=100", Options(c4));
  ASSERT_TRUE(player.ok());
  auto state = c4.NewInitialState();
  (*player)->Reset(1);
  for (int ply = 0; ply < 4; ++ply) {
    MoveInfo info;
    auto move = (*player)->ChooseMove(*state, &info);
    ASSERT_TRUE(move.ok());
    ASSERT_TRUE(info.search.has_value());
    if (ply > 0) {
      // Visits kept from the previous search come on top of the new ones.
      EXPECT_GT(info.search->root_visits, 100) << "ply " << ply;
    }
    state->Apply(*move);
    (*player)->Observe(*move);
  }
}

TEST(HumanPlayerTest, ExplainsBadInputAndAsksAgain) {
  const Game& c4 = GetGame("connect4");
  auto state = c4.NewStateFromMoves("444444");
  ASSERT_TRUE(state.ok());
  std::istringstream in("zz\n4\nhelp\n\n3\n");
  std::ostringstream messages;
  HumanPlayer human(c4, &in, &messages, nullptr);
  auto command = human.ReadCommand(**state);
  EXPECT_EQ(command.kind, HumanPlayer::Command::Kind::kMove);
  EXPECT_EQ(c4.ActionToString(command.action), "3");
  const std::string text = messages.str();
  EXPECT_TRUE(absl::StrContains(text, "\"zz\"")) << text;
  EXPECT_TRUE(absl::StrContains(text, "4 is not a legal move")) << text;
  EXPECT_TRUE(absl::StrContains(text, "undo")) << text;  // the help
  // The end of the input is a quit.
  EXPECT_EQ(human.ReadCommand(**state).kind, HumanPlayer::Command::Kind::kQuit);
  std::istringstream undo("UNDO\n");
  HumanPlayer human2(c4, &undo, &messages, nullptr);
  EXPECT_EQ(human2.ReadCommand(**state).kind,
            HumanPlayer::Command::Kind::kUndo);
}

}  // namespace
}  // namespace az::selfplay
