// Reward specs: the menus and the registry's lookup, the reward and verdict
// types, each spec against hand-made finished games, and the exact values of
// tic-tac-toe under every spec against a slow reference.
#include <cmath>
#include <memory>
#include <random>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "games/reward.h"
#include "games/solver.h"
#include "gtest/gtest.h"

namespace az {
namespace {

const Game& GameWith(const std::string& name, const std::string& spec) {
  absl::StatusOr<const Game*> game = FindGameWithReward(name, spec);
  EXPECT_TRUE(game.ok()) << game.status();
  return **game;
}

std::unique_ptr<State> Play(const Game& game, absl::string_view moves) {
  auto state = game.NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? std::move(*state) : game.NewInitialState();
}

TEST(RewardSpecTest, EveryGameOffersItsMenuWithTheRulesFirst) {
  const std::vector<std::vector<std::string>> expected = {
      {"rules", "discs", "corners"},
      {"rules", "no_diagonals", "quick"},
      {"rules", "no_diagonals", "quick"}};
  std::vector<std::string> names = GameNames();
  ASSERT_EQ(names, (std::vector<std::string>{"connect4", "othello",
                                             "tictactoe"}));
  const std::vector<std::string>* menus[] = {&expected[1], &expected[0],
                                             &expected[2]};
  for (size_t g = 0; g < names.size(); ++g) {
    SCOPED_TRACE(names[g]);
    const Game& rules = **FindGame(names[g]);
    EXPECT_EQ(RewardSpecNames(rules), *menus[g]);
    EXPECT_EQ(rules.RewardSpec().name, kRulesSpec);
    EXPECT_TRUE(rules.PlaysByRules());
    EXPECT_TRUE(rules.RewardSpec().ternary);
    for (const RewardSpecInfo& spec : rules.RewardSpecs()) {
      const Game& game = GameWith(names[g], spec.name);
      EXPECT_EQ(game.Name(), names[g]);
      EXPECT_EQ(game.RewardSpec().name, spec.name);
      EXPECT_EQ(game.RewardSpec().ternary, spec.ternary);
      EXPECT_EQ(RewardSpecNames(game), *menus[g]);
      EXPECT_FALSE(spec.meant.empty());
      EXPECT_FALSE(absl::StrContains(spec.meant, "\n"));
      // One instance per game and spec; the rules' is FindGame()'s.
      EXPECT_EQ(&game, &GameWith(names[g], spec.name));
      EXPECT_EQ(&game == &rules, spec.name == kRulesSpec);
    }
  }
  EXPECT_FALSE(GameWith("connect4", "quick").RewardSpec().ternary);
  EXPECT_FALSE(GameWith("othello", "discs").RewardSpec().ternary);
  EXPECT_TRUE(GameWith("othello", "corners").RewardSpec().ternary);
  EXPECT_TRUE(GameWith("tictactoe", "no_diagonals").RewardSpec().ternary);
}

TEST(RewardSpecTest, UnknownSpecIsOneLineListingTheGamesSpecs) {
  absl::StatusOr<const Game*> game = FindGameWithReward("connect4", "discs");
  ASSERT_FALSE(game.ok());
  EXPECT_EQ(game.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(game.status().message(),
            "unknown reward spec \"discs\" for connect4 (its specs: rules, "
            "no_diagonals, quick)");
  game = FindGameWithReward("othello", "no\ndiagonals");
  ASSERT_FALSE(game.ok());
  EXPECT_FALSE(absl::StrContains(game.status().message(), "\n"));
  EXPECT_TRUE(absl::StrContains(game.status().message(),
                                "(its specs: rules, discs, corners)"));
  // An unknown game is reported as FindGame() reports it.
  game = FindGameWithReward("chess", "rules");
  EXPECT_EQ(game.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(game.status().message(), FindGame("chess").status().message());
}

TEST(TerminalRewardTest, CarriesAPayoffAndStaysZeroSum) {
  EXPECT_EQ(TerminalReward::Win().value(), 1.0f);
  EXPECT_EQ(TerminalReward::Win().ForOpponent(), TerminalReward::Loss());
  EXPECT_EQ(TerminalReward::Draw().ForOpponent(), TerminalReward::Draw());
  EXPECT_FALSE(std::signbit(TerminalReward::Draw().ForOpponent().value()));
  EXPECT_EQ(TerminalReward::Payoff(1.0f), TerminalReward::Win());
  EXPECT_EQ(TerminalReward::Payoff(-0.0f), TerminalReward::Draw());

  TerminalReward graded = TerminalReward::Payoff(0.75f);
  EXPECT_EQ(graded.value(), 0.75f);
  EXPECT_TRUE(graded.is_win());
  EXPECT_FALSE(graded.is_ternary());
  EXPECT_EQ(graded.ForOpponent().value(), -0.75f);
  EXPECT_TRUE(graded.ForOpponent().is_loss());
  EXPECT_EQ(graded.ForOpponent().ForOpponent(), graded);
  EXPECT_NE(graded, TerminalReward::Win());

  EXPECT_EQ(TerminalReward::Win().ToString(), "win");
  EXPECT_EQ(TerminalReward::Loss().ToString(), "loss");
  EXPECT_EQ(TerminalReward::Draw().ToString(), "draw");
  EXPECT_EQ(graded.ToString(), "0.75");
  EXPECT_EQ(graded.ForOpponent().ToString(), "-0.75");
  EXPECT_TRUE(TerminalReward::Loss().is_ternary());
}

TEST(TerminalRewardDeathTest, PayoffOutOfRangeIsAProgrammerError) {
  EXPECT_DEATH(TerminalReward::Payoff(1.5f), "outside");
  EXPECT_DEATH(TerminalReward::Payoff(std::nanf("")), "outside");
}

TEST(TerminalRewardTest, QuickWinPayoffFallsWithTheLengthToTheFloor) {
  EXPECT_EQ(QuickWinPayoff(5, 5, 9), TerminalReward::Win());
  EXPECT_EQ(QuickWinPayoff(9, 5, 9).value(), kQuickWinFloor);
  EXPECT_EQ(QuickWinPayoff(7, 5, 9).value(), (1.0f + kQuickWinFloor) / 2);
  EXPECT_GT(kQuickWinFloor, 0.0f);
  EXPECT_GT(QuickWinPayoff(20, 7, 42).value(),
            QuickWinPayoff(21, 7, 42).value());
}

TEST(IntendedVerdictTest, NamesAndCompares) {
  EXPECT_FALSE(IntendedVerdict{}.decided());
  EXPECT_EQ(IntendedVerdict{}.ply, -1);
  IntendedVerdict won{GameOutcome::kFirstPlayerWins, 11};
  EXPECT_TRUE(won.decided());
  EXPECT_EQ(VerdictName(won), "first player wins at ply 11");
  EXPECT_EQ(VerdictName(IntendedVerdict{}), "ongoing");
  EXPECT_NE(won, (IntendedVerdict{GameOutcome::kFirstPlayerWins, 13}));
}

// Every spec of every game under random play: see game_conformance.h.

TEST(TicTacToeSpecTest, NoDiagonalsPlaysOnPastADiagonalLine) {
  // X completes the diagonal 1-5-9 at ply 5, then the row 4-5-6 at ply 9.
  const Game& game = GameWith("tictactoe", "no_diagonals");
  std::unique_ptr<State> s = Play(game, "12539");
  EXPECT_FALSE(s->IsTerminal());
  EXPECT_EQ(s->Outcome(), GameOutcome::kOngoing);
  EXPECT_EQ(s->Verdict(),
            (IntendedVerdict{GameOutcome::kFirstPlayerWins, 5}));
  EXPECT_EQ(s->LegalActions().size(), 4u);
  EXPECT_TRUE(Play(**FindGame("tictactoe"), "12539")->IsTerminal());

  s = Play(game, "125398476");
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->Outcome(), GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  EXPECT_EQ(s->Verdict(),
            (IntendedVerdict{GameOutcome::kFirstPlayerWins, 5}));

  // O's diagonal 3-5-7 wins nothing; the board fills up without a straight
  // line: a draw by the spec, a loss for X by the rules.
  s = Play(game, "152397468");
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->Outcome(), GameOutcome::kDraw);
  EXPECT_TRUE(s->Reward(Player::kSecond).is_draw());
  EXPECT_EQ(s->Verdict(),
            (IntendedVerdict{GameOutcome::kSecondPlayerWins, 6}));
}

TEST(TicTacToeSpecTest, QuickPaysFastWinsMore) {
  const Game& game = GameWith("tictactoe", "quick");
  std::unique_ptr<State> s = Play(game, "14253");  // X wins at ply 5
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  EXPECT_EQ(s->Reward(Player::kSecond), TerminalReward::Loss());
  EXPECT_EQ(s->Verdict(), (IntendedVerdict{GameOutcome::kFirstPlayerWins, 5}));
  s = Play(game, "415293");  // O wins with 1 2 3 at ply 6
  EXPECT_EQ(s->Outcome(), GameOutcome::kSecondPlayerWins);
  EXPECT_EQ(s->Reward(Player::kSecond).value(),
            1.0f - (1.0f - kQuickWinFloor) / 4);
  EXPECT_EQ(s->Reward(Player::kFirst), s->Reward(Player::kSecond).ForOpponent());
  s = Play(game, "125374689");  // X wins with 1 5 9 at the last cell
  EXPECT_EQ(s->Outcome(), GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(s->Reward(Player::kFirst).value(), kQuickWinFloor);
  s = Play(game, "512873469");  // a draw pays nothing
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Draw());
}

// The slow reference: plain minimax over the State interface, maximising
// the spec's payoff (and, apart, the tic-tac-toe score: sooner wins first).
struct SlowValue {
  float payoff;
  int score;
};

SlowValue SlowMinimax(const State& s) {
  if (s.IsTerminal()) {
    TerminalReward r = s.Reward(s.ToMove());
    const int sign = r.is_win() ? 1 : r.is_loss() ? -1 : 0;
    return {r.value(), sign * (10 - s.MoveNumber())};
  }
  SlowValue best{-2.0f, -100};
  for (Action a : s.LegalActions()) {
    std::unique_ptr<State> child = s.Clone();
    child->Apply(a);
    SlowValue v = SlowMinimax(*child);
    best.payoff = std::max(best.payoff, -v.payoff);
    best.score = std::max(best.score, -v.score);
  }
  return best;
}

TEST(TicTacToeSpecTest, ExactValuesUnderEverySpecMatchPlainMinimax) {
  int differ_from_rules = 0;
  for (const char* spec : {"rules", "no_diagonals", "quick"}) {
    SCOPED_TRACE(spec);
    const Game& game = GameWith("tictactoe", spec);
    std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
    ASSERT_NE(solver, nullptr);
    std::unique_ptr<ExactSolver> rules_solver =
        (*FindGame("tictactoe"))->NewExactSolver();
    // The root and every position after one or two moves.
    std::vector<std::string> openings = {""};
    for (char a = '1'; a <= '9'; ++a) {
      openings.push_back(std::string(1, a));
      for (char b = '1'; b <= '9'; ++b) {
        if (a != b) openings.push_back(std::string{a, b});
      }
    }
    for (const std::string& moves : openings) {
      std::unique_ptr<State> s = Play(game, moves);
      absl::StatusOr<ExactValue> exact = solver->Solve(*s);
      ASSERT_TRUE(exact.ok()) << exact.status();
      SlowValue slow = SlowMinimax(*s);
      EXPECT_EQ(exact->reward.value(), slow.payoff) << moves;
      EXPECT_EQ(exact->score, slow.score) << moves;
      if (game.RewardSpec().ternary) {
        EXPECT_TRUE(exact->reward.is_ternary());
      }
      ExactValue by_rules = *rules_solver->Solve(*Play(**FindGame("tictactoe"),
                                                       moves));
      differ_from_rules += by_rules.reward != exact->reward;
    }
  }
  // The specs are different games: without diagonals, and with graded wins,
  // some positions change value.
  EXPECT_GT(differ_from_rules, 0);
  // Perfect play draws under every spec.
  for (const char* spec : {"rules", "no_diagonals", "quick"}) {
    const Game& game = GameWith("tictactoe", spec);
    EXPECT_TRUE((*game.NewExactSolver()->Solve(*game.NewInitialState()))
                    .reward.is_draw())
        << spec;
  }
  // After "52" (O answers the centre on an edge) X forces a win, but not at
  // once: under quick the exact payoff says how soon.
  const Game& quick = GameWith("tictactoe", "quick");
  ExactValue won = *quick.NewExactSolver()->Solve(*Play(quick, "52"));
  EXPECT_TRUE(won.reward.is_win());
  EXPECT_LT(won.reward.value(), 1.0f);
  EXPECT_FALSE(won.reward.is_ternary());
}

TEST(TicTacToeSpecTest, SolverRefusesAnotherSpecsPositions) {
  std::unique_ptr<ExactSolver> solver =
      GameWith("tictactoe", "no_diagonals").NewExactSolver();
  absl::StatusOr<ExactValue> value =
      solver->Solve(*(*FindGame("tictactoe"))->NewInitialState());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(value.status().message(), "no_diagonals"));
}

TEST(ConnectFourSpecTest, NoDiagonalsPlaysOnPastADiagonalFour) {
  // X completes the diagonal 1-2-3-4 (rows 1 to 4) with its 6th stone at
  // ply 11; later O fills column 7 and wins at ply 18.
  const std::string diagonal = "12234334544";
  std::unique_ptr<State> by_rules = Play(**FindGame("connect4"), diagonal);
  EXPECT_TRUE(by_rules->IsTerminal());
  EXPECT_EQ(by_rules->Outcome(), GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(by_rules->Verdict(), (IntendedVerdict{by_rules->Outcome(), 11}));

  const Game& game = GameWith("connect4", "no_diagonals");
  std::unique_ptr<State> s = Play(game, diagonal);
  EXPECT_FALSE(s->IsTerminal());
  EXPECT_EQ(s->LegalActions().size(), 7u);
  const IntendedVerdict verdict{GameOutcome::kFirstPlayerWins, 11};
  EXPECT_EQ(s->Verdict(), verdict);
  EXPECT_EQ(s->Hash(), by_rules->Hash());  // positions are the game's

  s = Play(game, diagonal + "7676717");
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->MoveNumber(), 18);
  EXPECT_EQ(s->Outcome(), GameOutcome::kSecondPlayerWins);
  EXPECT_EQ(s->Reward(Player::kSecond), TerminalReward::Win());
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Loss());
  EXPECT_EQ(s->Verdict(), verdict);
  EXPECT_EQ(s->Transformed(1)->Verdict(), verdict);
}

TEST(ConnectFourSpecTest, QuickPaysFastWinsMore) {
  const Game& game = GameWith("connect4", "quick");
  std::unique_ptr<State> s = Play(game, "1212121");  // X at ply 7
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  s = Play(game, "12121232");  // O at ply 8
  EXPECT_EQ(s->Outcome(), GameOutcome::kSecondPlayerWins);
  EXPECT_FLOAT_EQ(s->Reward(Player::kSecond).value(),
                  1.0f - (1.0f - kQuickWinFloor) / 35);
  EXPECT_EQ(s->Verdict(), (IntendedVerdict{GameOutcome::kSecondPlayerWins, 8}));
  s = Play(game, "126613431456475467333341527215612225546777");
  EXPECT_TRUE(s->Reward(Player::kFirst).is_draw());
}

TEST(OthelloSpecTest, DiscsPaysTheMarginAndCornersJudgesByCorners) {
  // Black wipes white out at ply 9, holding no corner: the rules and
  // corners (a 0-0 tie broken by discs) give black the win, discs 13/64.
  const std::string wipe_out = "d3c3b3e3f3f4f5d6d7";
  for (const char* spec : {"rules", "discs", "corners"}) {
    std::unique_ptr<State> s = Play(GameWith("othello", spec), wipe_out);
    EXPECT_TRUE(s->IsTerminal()) << spec;
    EXPECT_EQ(s->Outcome(), GameOutcome::kFirstPlayerWins) << spec;
    EXPECT_EQ(s->Verdict(), (IntendedVerdict{GameOutcome::kFirstPlayerWins, 9}));
  }
  std::unique_ptr<State> s = Play(GameWith("othello", "discs"), wipe_out);
  EXPECT_EQ(s->Reward(Player::kFirst).value(), 13.0f / 64);
  EXPECT_EQ(s->Reward(Player::kSecond).value(), -13.0f / 64);

  // 32-32 with two corners each: a draw under every spec.
  const std::string draw =
      "d3c3c4e3f4f5f6e6f7g6g4e7f3b5d8g3f2e2d6c6h5h7c5g2b7f8b2d7g7h4e1d2g1c2h2"
      "a8b1g5b4a2b6a3h6g8d1b3a4a5e8h3b8f1a1h1h8a7a6c8c7c1";
  for (const char* spec : {"rules", "discs", "corners"}) {
    s = Play(GameWith("othello", spec), draw);
    EXPECT_EQ(s->Outcome(), GameOutcome::kDraw) << spec;
    EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Draw()) << spec;
    EXPECT_EQ(s->Verdict(),
              (IntendedVerdict{GameOutcome::kDraw, s->MoveNumber()}));
  }
}

// Counts of the first player's and the second player's discs in `squares`,
// read from the observation (planes: side to move's discs, opponent's).
std::pair<int, int> Count(const State& s, uint64_t squares) {
  std::vector<float> obs(s.game().GetObservationShape().size());
  s.EncodeObservation(obs.data());
  int mine = 0, theirs = 0;
  for (int sq = 0; sq < 64; ++sq) {
    if (!(squares >> sq & 1)) continue;
    mine += obs[sq] > 0.5f;
    theirs += obs[64 + sq] > 0.5f;
  }
  return s.ToMove() == Player::kFirst ? std::make_pair(mine, theirs)
                                      : std::make_pair(theirs, mine);
}

GameOutcome ByCounts(std::pair<int, int> counts) {
  return counts.first > counts.second   ? GameOutcome::kFirstPlayerWins
         : counts.first < counts.second ? GameOutcome::kSecondPlayerWins
                                        : GameOutcome::kDraw;
}

TEST(OthelloSpecTest, RandomGamesAreJudgedAsEachSpecSays) {
  const Game& rules = **FindGame("othello");
  const Game& discs = GameWith("othello", "discs");
  const Game& corners = GameWith("othello", "corners");
  constexpr uint64_t kAll = ~uint64_t{0};
  constexpr uint64_t kCorners = 0x8100000000000081ULL;
  std::mt19937_64 rng(5);
  int corners_disagree = 0;
  for (int g = 0; g < 200; ++g) {
    std::unique_ptr<State> s = rules.NewInitialState();
    std::string moves;
    while (!s->IsTerminal()) {
      std::vector<Action> legal = s->LegalActions();
      Action a = legal[rng() % legal.size()];
      moves += rules.ActionToString(a);
      s->Apply(a);
    }
    const std::pair<int, int> all = Count(*s, kAll);
    std::unique_ptr<State> d = Play(discs, moves);
    EXPECT_EQ(d->Reward(Player::kFirst).value(),
              static_cast<float>(all.first - all.second) / 64);
    EXPECT_EQ(d->Outcome(), s->Outcome());
    std::unique_ptr<State> c = Play(corners, moves);
    const GameOutcome by_corners = ByCounts(Count(*s, kCorners));
    EXPECT_EQ(c->Outcome(),
              by_corners == GameOutcome::kDraw ? ByCounts(all) : by_corners);
    EXPECT_EQ(c->Verdict(), (IntendedVerdict{s->Outcome(), s->MoveNumber()}));
    corners_disagree += c->Outcome() != s->Outcome();
  }
  // Corners are not what wins: the proxy misjudges some games.
  EXPECT_GT(corners_disagree, 0);
}

TEST(OthelloSpecTest, NoExactSolver) {
  for (const char* spec : {"rules", "discs", "corners"}) {
    EXPECT_EQ(GameWith("othello", spec).NewExactSolver(), nullptr) << spec;
  }
}

}  // namespace
}  // namespace az
