// az play's library side, in-process: the option checks, whole games with a
// person's moves read from a string, undo and quit, and the analysis and
// result lines.
#include "tools/play_session.h"

#include <sstream>

#include "absl/strings/match.h"
#include "engine/node.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/tools/exit_code_testing.h"
#include "tools/command.h"

namespace az {
namespace {

const Game& TicTacToe() { return **FindGame("tictactoe"); }

// Options for `players` on tictactoe, a person's lines read from `input`
// and explained on `messages`, no prompts (as when stdin is a pipe).
PlayOptions Options(const Game& game, const std::string& players,
                    std::istream* input, std::ostream* messages) {
  PlayFlagValues flags;
  flags.players = players;
  PlayOptions options = *ResolvePlayOptions(game, flags);
  options.players.search =
      engine::FullStrength(engine::DefaultSearchParams(game));
  options.players.input = input;
  options.players.messages = messages;
  return options;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(PlaySessionTest, OptionsDefaultToAPersonAgainstMcts) {
  PlayFlagValues flags;
  flags.start = "5";
  flags.analysis = true;
  flags.seed = 9;
  absl::StatusOr<PlayOptions> options = ResolvePlayOptions(TicTacToe(), flags);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->specs, (std::vector<std::string>{"human", "mcts"}));
  EXPECT_EQ(options->start, "5");
  EXPECT_TRUE(options->analysis);
  EXPECT_EQ(options->seed, 9u);
}

// BadPlayersAreOneLineErrors of the binary, in-process: each a usage error
// (exit 2), one line "az play: ...", nothing on stdout.
TEST(PlaySessionTest, BadOptionsAndPlayersAreOneLineUsageErrors) {
  for (std::string players : {"human", "a,b,c"}) {
    PlayFlagValues flags;
    flags.players = players;
    absl::Status status = ResolvePlayOptions(TicTacToe(), flags).status();
    EXPECT_TRUE(absl::StrContains(status.message(),
                                  "--players needs two players, FIRST,SECOND"))
        << status;
    testing::ExpectOneLineExit("play", status, "az play: ");
  }
  PlayFlagValues bad_start;
  bad_start.players = "human,human";
  bad_start.start = "11";
  testing::ExpectOneLineExit(
      "play", ResolvePlayOptions(TicTacToe(), bad_start).status(), "--start");

  std::istringstream input;
  std::ostringstream messages;
  for (std::string players : {"human,foo", "human,mcts:sims=-1",
                              "net:/missing,human", "human,run:/missing"}) {
    std::ostringstream out;
    absl::StatusOr<PlayedGame> played = PlayGame(
        TicTacToe(), Options(TicTacToe(), players, &input, &messages), out);
    testing::ExpectOneLineExit("play", played.status(), "az play: ");
    EXPECT_EQ(out.str(), "") << players;
  }
  const Game& othello = **FindGame("othello");
  std::ostringstream out;
  testing::ExpectOneLineExit(
      "play",
      PlayGame(othello, Options(othello, "human,solver", &input, &messages),
               out)
          .status(),
      "no exact solver");
}

TEST(PlaySessionTest, HumansPlayAFullGame) {
  // A malformed move, then an occupied square, then X takes the top row.
  std::istringstream input("1\nx\n4\n1\n2\n5\n3\n");
  std::ostringstream messages, out;
  const PlayOptions options =
      Options(TicTacToe(), "human,human", &input, &messages);
  absl::StatusOr<PlayedGame> played = PlayGame(TicTacToe(), options, out);
  ASSERT_TRUE(played.ok()) << played.status();
  EXPECT_FALSE(played->quit);
  EXPECT_EQ(played->outcome, GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(ResultText(TicTacToe(), options, *played),
            "\nresult: first player wins (human) after 5 plies; moves: "
            "14253\n");
  EXPECT_TRUE(
      absl::StartsWith(out.str(), "tictactoe: first human, second human\n"))
      << out.str();
  EXPECT_EQ(Count(out.str(), "plays "), 5) << out.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "second (human) plays 4"));
  EXPECT_TRUE(absl::StrContains(messages.str(), "\"x\"")) << messages.str();
  EXPECT_TRUE(absl::StrContains(messages.str(), "1 is not a legal move"))
      << messages.str();
}

TEST(PlaySessionTest, UndoTakesBackTheMovePairAndQuitStops) {
  std::istringstream input("5\nundo\nundo\nquit\n");
  std::ostringstream messages, out;
  absl::StatusOr<PlayedGame> played =
      PlayGame(TicTacToe(),
               Options(TicTacToe(), "human,solver", &input, &messages), out);
  ASSERT_TRUE(played.ok()) << played.status();
  EXPECT_TRUE(played->quit);
  EXPECT_TRUE(played->moves.empty());
  EXPECT_EQ(QuitText(*played), "quit after 0 moves; no result");
  EXPECT_TRUE(absl::StrContains(out.str(), "first (human) plays 5"));
  EXPECT_TRUE(absl::StrContains(out.str(), "second (solver) plays"));
  EXPECT_TRUE(absl::StrContains(out.str(), "undo: back to move 1"));
  EXPECT_TRUE(absl::StrContains(messages.str(), "nothing to undo"));
}

TEST(PlaySessionTest, TheStartCountsInTheResultNotInTheQuit) {
  std::istringstream input("1\nquit\n");
  std::ostringstream messages, out;
  PlayOptions options = Options(TicTacToe(), "human,solver", &input, &messages);
  options.start = "5";
  absl::StatusOr<PlayedGame> played = PlayGame(TicTacToe(), options, out);
  ASSERT_TRUE(played.ok()) << played.status();
  EXPECT_EQ(played->start_plies, 1);
  // 5, the solver's reply as O, the person's 1, the solver again.
  ASSERT_EQ(played->moves.size(), 4u);
  EXPECT_EQ(QuitText(*played), "quit after 3 moves; no result");

  PlayedGame draw;
  draw.moves = *TicTacToe().ParseMoves("519328467");
  draw.start_plies = 1;
  draw.outcome = GameOutcome::kDraw;
  EXPECT_EQ(ResultText(TicTacToe(), options, draw),
            "\nresult: draw after 9 plies; moves: 519328467\n");
  EXPECT_EQ(QuitText(PlayedGame{true, {1}, 0}), "quit after 1 move; no result");
}

TEST(PlaySessionTest, AnalysisSeparatesLearnedFromProven) {
  selfplay::MoveInfo info;
  EXPECT_EQ(AnalysisText(TicTacToe(), info), "");  // a person or random
  info.exact = ExactValue{TerminalReward::Win(), 3};
  EXPECT_EQ(AnalysisText(TicTacToe(), info),
            "  rules   exact value (solver): win, score 3\n");

  info.exact.reset();
  engine::SearchResult r;
  r.v = 0.25f;
  r.q = -0.5f;
  r.simulations = 40;
  r.root_visits = 40;
  r.reward_visits = 10;
  r.value_visits = 30;
  engine::MoveStats best{4, 30, 0.5f, 0.125f, std::nullopt};
  engine::MoveStats other{
      0, 10, 0.25f, std::nullopt,
      engine::ProvenValue::Exact(ExactValue{TerminalReward::Loss(), -2})};
  engine::MoveStats unvisited{8, 0, 0.25f, std::nullopt, std::nullopt};
  engine::MoveStats fourth{2, 0, 0.0f, std::nullopt, std::nullopt};
  r.moves = {other, fourth, best, unvisited};
  info.search = r;
  info.value_is_learned = true;
  EXPECT_EQ(AnalysisText(TicTacToe(), info),
            "  learned v (raw network value, side to move): +0.250\n"
            "  search  q (40 simulations, side to move): -0.500\n"
            "  rules   not proven: 25% of 40 root visits rest on terminal "
            "rewards, 75% on learned values\n"
            "  top moves:  5 (visits 30, prior 50.0%, q +0.125)  1 (visits "
            "10, prior 25.0%, q -, loss (score -2))  9 (visits 0, prior 25.0%, "
            "q -)\n");

  info.search->simulations = 0;
  info.value_is_learned = false;
  const std::string raw = AnalysisText(TicTacToe(), info);
  EXPECT_TRUE(absl::StartsWith(
      raw, "  heuristic v (random rollouts, side to move): +0.250\n"))
      << raw;
  EXPECT_TRUE(absl::StrContains(raw, "policy head alone")) << raw;

  info.search->simulations = 40;
  info.search->exact = engine::ProvenValue::Terminal(TerminalReward::Win());
  EXPECT_TRUE(absl::StrContains(AnalysisText(TicTacToe(), info),
                                "  rules   proven: win"));
}

}  // namespace
}  // namespace az
