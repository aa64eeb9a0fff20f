#include "selfplay/match.h"

#include <atomic>
#include <istream>
#include <set>
#include <sstream>
#include <streambuf>

#include "games/registry.h"
#include "gtest/gtest.h"

namespace az::selfplay {
namespace {

struct Players {
  std::vector<std::unique_ptr<PlayerFactory>> owned;
  std::vector<PlayerFactory*> raw;
};

Players Make(const Game& game, std::vector<std::string> specs) {
  PlayerOptions options;
  options.search = engine::DefaultSearchParams(game);
  options.search.num_simulations = 50;
  options.search.temperature_moves = 0;
  Players p;
  for (const std::string& spec : specs) {
    auto f = PlayerFactory::Create(game, spec, options);
    EXPECT_TRUE(f.ok()) << f.status();
    p.raw.push_back(f->get());
    p.owned.push_back(*std::move(f));
  }
  return p;
}

// Each game keeps the rules' verdict beside its result: the same under the
// rules; under no_diagonals random games run past diagonals that the rules
// call wins.
TEST(MatchTest, GamesKeepTheRulesVerdict) {
  for (const std::string spec : {"rules", "no_diagonals"}) {
    const Game& game = **FindGameWithReward("tictactoe", spec);
    Players p = Make(game, {"random", "random"});
    MatchOptions options;
    options.games_per_pair = 60;
    options.opening_plies = 0;
    auto result = RunMatch(game, p.raw, options);
    ASSERT_TRUE(result.ok()) << result.status();
    int differ = 0;
    for (const MatchGame& g : result->games) {
      ASSERT_TRUE(g.verdict.decided()) << spec;
      EXPECT_LE(g.verdict.ply, static_cast<int>(g.moves.size()));
      differ += g.verdict.outcome != g.outcome;
    }
    if (spec == "rules") {
      EXPECT_EQ(differ, 0);
    } else {
      EXPECT_GT(differ, 0);
    }
  }
}

TEST(MatchTest, SolverNeverLosesToRandomInConnectFour) {
  const Game& c4 = **FindGame("connect4");
  Players p = Make(c4, {"solver", "random"});
  MatchOptions options;
  options.games_per_pair = 10;
  // A drawn position (Pons' test set Test_L3_R1, score 0) 14 plies in: the
  // empty board takes the solver minutes, this one milliseconds. No random
  // opening: one could hand the solver a lost position; the solver's choice
  // among equal moves and the random player vary the games.
  options.start = "12675471354133";
  options.opening_plies = 0;
  options.threads = 2;
  auto result = RunMatch(c4, p.raw, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->pairs.size(), 1u);
  const PairResults& pair = result->pairs[0];
  EXPECT_EQ(pair.games(), 10);
  EXPECT_EQ(pair.losses, 0);
  EXPECT_GE(pair.wins, 8);  // random rarely survives to a draw
  // Colours alternate.
  int solver_first = 0;
  for (const MatchGame& g : result->games) solver_first += g.first == 0;
  EXPECT_EQ(solver_first, 5);
  std::set<std::vector<Action>> distinct;
  for (const MatchGame& g : result->games) distinct.insert(g.moves);
  EXPECT_GE(distinct.size(), 5u);
}

// Pure MCTS is deterministic within a game (playouts are a function of the
// position, so that they may be cached) but must not be across games:
// otherwise two such players replay one game per opening and colour, and a
// match of hundreds of games measures a few dozen.
TEST(MatchTest, RolloutPlayersVaryFromGameToGame) {
  const Game& c4 = **FindGame("connect4");
  Players p = Make(c4, {"mcts:sims=50", "mcts:sims=50"});
  MatchOptions options;
  options.games_per_pair = 8;
  options.opening_plies = 0;  // every game from the empty board
  auto result = RunMatch(c4, p.raw, options);
  ASSERT_TRUE(result.ok()) << result.status();
  std::set<std::vector<Action>> distinct;
  for (const MatchGame& g : result->games) distinct.insert(g.moves);
  EXPECT_GE(distinct.size(), 6u);
  // The same seed replays the same match.
  auto again = RunMatch(c4, p.raw, options);
  ASSERT_TRUE(again.ok()) << again.status();
  for (size_t i = 0; i < result->games.size(); ++i) {
    EXPECT_EQ(again->games[i].moves, result->games[i].moves) << "game " << i;
  }
}

TEST(MatchTest, ResultsAreSplitByColour) {
  const Game& ttt = **FindGame("tictactoe");
  Players p = Make(ttt, {"solver", "random"});
  MatchOptions options;
  options.games_per_pair = 10;
  // X (to move) has a forced win here: X 4 forks 1-4-7 and 4-5-6. The
  // solver moving first wins every game; moving second it faces a random X
  // that may or may not find the win.
  options.start = "1259";
  options.opening_plies = 0;
  options.threads = 2;
  auto result = RunMatch(ttt, p.raw, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const PairResults& pair = result->pairs[0];
  EXPECT_EQ(pair.games_first(), 5);
  EXPECT_EQ(pair.wins_first, 5);
  // The split agrees with the games themselves.
  int wins_second = 0, draws_second = 0, losses_second = 0;
  for (const MatchGame& g : result->games) {
    if (g.first == 0) continue;
    const TerminalReward r = RewardFor(g.outcome, az::Player::kSecond);
    wins_second += r.is_win();
    draws_second += r.is_draw();
    losses_second += r.is_loss();
  }
  EXPECT_EQ(pair.wins - pair.wins_first, wins_second);
  EXPECT_EQ(pair.draws - pair.draws_first, draws_second);
  EXPECT_EQ(pair.losses - pair.losses_first, losses_second);
  EXPECT_EQ(wins_second + draws_second + losses_second, 5);
}

TEST(MatchTest, ColoursAlternateAndOpeningsDifferButPairUp) {
  const Game& ttt = **FindGame("tictactoe");
  Players p = Make(ttt, {"mcts:sims=30", "solver", "random"});
  MatchOptions options;
  options.games_per_pair = 6;
  options.opening_plies = 2;
  options.seed = 5;
  auto result = RunMatch(ttt, p.raw, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->pairs.size(), 3u);
  ASSERT_EQ(result->games.size(), 18u);
  std::set<std::vector<Action>> openings;
  for (size_t i = 0; i < result->games.size(); i += 2) {
    const MatchGame& a = result->games[i];
    const MatchGame& b = result->games[i + 1];
    // One game of each colour, from the same opening.
    EXPECT_EQ(a.first, b.second);
    EXPECT_EQ(a.second, b.first);
    ASSERT_EQ(a.opening_plies, 2);
    std::vector<Action> oa(a.moves.begin(), a.moves.begin() + 2);
    std::vector<Action> ob(b.moves.begin(), b.moves.begin() + 2);
    EXPECT_EQ(oa, ob);
    openings.insert(oa);
  }
  EXPECT_GE(openings.size(), 2u) << "seeded openings vary between pairs";
  for (const PairResults& pair : result->pairs) EXPECT_EQ(pair.games(), 6);
  // The same seed repeats the match exactly (single-threaded players).
  auto again = RunMatch(ttt, p.raw, options);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < result->games.size(); ++i) {
    EXPECT_EQ(result->games[i].moves, again->games[i].moves);
  }
  options.seed = 6;
  auto other = RunMatch(ttt, p.raw, options);
  ASSERT_TRUE(other.ok());
  int different = 0;
  for (size_t i = 0; i < result->games.size(); ++i) {
    different += result->games[i].moves != other->games[i].moves;
  }
  EXPECT_GT(different, 0);
}

TEST(MatchTest, RejectsBadOptions) {
  const Game& ttt = **FindGame("tictactoe");
  Players p = Make(ttt, {"random", "random"});
  MatchOptions options;
  options.games_per_pair = 0;
  EXPECT_FALSE(RunMatch(ttt, p.raw, options).ok());
  options.games_per_pair = 2;
  EXPECT_FALSE(RunMatch(ttt, {p.raw[0]}, options).ok());
  options.start = "55";
  EXPECT_FALSE(RunMatch(ttt, p.raw, options).ok());
}

}  // namespace
}  // namespace az::selfplay

namespace az::selfplay {
namespace {

TEST(MatchTest, CancelStopsSchedulingGames) {
  const Game& ttt = **FindGame("tictactoe");
  Players p = Make(ttt, {"random", "random"});
  MatchOptions options;
  options.games_per_pair = 100;
  std::atomic<bool> cancel{false};
  options.cancel = &cancel;
  int played = 0;
  auto result = RunMatch(ttt, p.raw, options, [&](const MatchGame&) {
    if (++played == 3) cancel = true;
  });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(played, 3);  // one thread: the game after the third never starts
}

// Hands out one line per read, "1\n" to "7\n" in turn; the read after the
// first `cancel_after` lines sets `cancel` (as if Ctrl-C came while the
// player was thinking) and still hands out its line.
class CancellingInput : public std::streambuf {
 public:
  CancellingInput(std::atomic<bool>* cancel, int cancel_after)
      : cancel_(cancel), cancel_after_(cancel_after) {}
  int lines_read() const { return lines_; }

 protected:
  int_type underflow() override {
    if (lines_ == cancel_after_) *cancel_ = true;
    if (lines_ >= 100) return traits_type::eof();
    line_[0] = static_cast<char>('1' + lines_ % 7);
    line_[1] = '\n';
    ++lines_;
    setg(line_, line_, line_ + 2);
    return traits_type::to_int_type(line_[0]);
  }

 private:
  std::atomic<bool>* cancel_;
  int cancel_after_;
  int lines_ = 0;
  char line_[2];
};

TEST(MatchTest, CancelStopsTheGameInPlayWithinOneMove) {
  const Game& c4 = **FindGame("connect4");
  std::atomic<bool> cancel{false};
  CancellingInput buffer(&cancel, 2);
  std::istream input(&buffer);
  std::ostringstream messages;
  PlayerOptions players;
  players.search = engine::DefaultSearchParams(c4);
  players.input = &input;
  players.messages = &messages;
  players.prompts = &messages;
  auto human = PlayerFactory::Create(c4, "human", players);
  auto random = PlayerFactory::Create(c4, "random", players);
  ASSERT_TRUE(human.ok() && random.ok());
  MatchOptions options;
  options.games_per_pair = 2;
  options.opening_plies = 0;
  options.cancel = &cancel;
  int finished = 0;
  auto result = RunMatch(c4, {human->get(), random->get()}, options,
                         [&](const MatchGame&) { ++finished; });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled)
      << result.status();
  // The cancel came during the human's third move: that move is played,
  // and the game stops before the next one (a connect4 game has at least
  // 7 moves, so without the stop the human would read at least 4 lines).
  EXPECT_EQ(buffer.lines_read(), 3);
  EXPECT_EQ(finished, 0);
}

}  // namespace
}  // namespace az::selfplay
