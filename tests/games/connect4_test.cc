#include "games/connect4/connect4.h"

#include <memory>
#include <string>
#include <vector>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/games/game_conformance.h"

namespace az {
namespace {

const Game& Connect4() {
  static const Game* game = *FindGame("connect4");
  return *game;
}

std::unique_ptr<State> Play(absl::string_view moves) {
  auto state = Connect4().NewStateFromMoves(moves);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? std::move(*state) : Connect4().NewInitialState();
}

TEST(Connect4Test, DescribesItself) {
  const Game& game = Connect4();
  EXPECT_EQ(game.Name(), "connect4");
  EXPECT_EQ(game.NumActions(), 7);
  EXPECT_EQ(game.MaxGameLength(), 42);
  EXPECT_EQ(game.GetObservationShape(), (ObservationShape{3, 6, 7}));
  ASSERT_EQ(game.Symmetries().size(), 2u);
  EXPECT_EQ(game.Symmetries()[1].action_map,
            (std::vector<Action>{6, 5, 4, 3, 2, 1, 0}));
}

TEST(Connect4Test, RandomGamesKeepEveryInvariantUnderEverySpec) {
  testing::CheckRandomGamesEverySpec("connect4", 3000, 11, 1500);
}

// Plays `moves`, checking that the game goes on until the last one, which
// must end it with `outcome`.
void ExpectEndsWith(absl::string_view moves, GameOutcome outcome) {
  SCOPED_TRACE(std::string(moves));
  std::unique_ptr<State> s = Connect4().NewInitialState();
  for (size_t i = 0; i < moves.size(); ++i) {
    ASSERT_FALSE(s->IsTerminal()) << "ended early, after " << i << " moves";
    auto action = Connect4().ParseAction(moves.substr(i, 1));
    ASSERT_TRUE(action.ok());
    s->Apply(*action);
  }
  EXPECT_TRUE(s->IsTerminal());
  EXPECT_EQ(s->Outcome(), outcome);
  EXPECT_EQ(s->LegalActions(), std::vector<Action>{});
}

TEST(Connect4Test, FourInARowInEveryDirectionWins) {
  ExpectEndsWith("1412171", GameOutcome::kFirstPlayerWins);        // vertical
  ExpectEndsWith("1647362", GameOutcome::kFirstPlayerWins);        // across
  ExpectEndsWith("5776577541616", GameOutcome::kFirstPlayerWins);  // rising
  ExpectEndsWith("7654657432544", GameOutcome::kFirstPlayerWins);  // falling
  ExpectEndsWith("12121232", GameOutcome::kSecondPlayerWins);      // vertical
}

TEST(Connect4Test, WinGivesRewards) {
  auto s = Play("1647362");
  EXPECT_EQ(s->Reward(Player::kFirst), TerminalReward::Win());
  EXPECT_EQ(s->Reward(Player::kSecond), TerminalReward::Loss());
  EXPECT_NE(s->ToString().find("X wins"), std::string::npos) << s->ToString();
}

TEST(Connect4Test, FullBoardWithoutFourIsDraw) {
  const char kDraw[] = "126613431456475467333341527215612225546777";
  ExpectEndsWith(kDraw, GameOutcome::kDraw);
  auto s = Play(kDraw);
  EXPECT_EQ(s->MoveNumber(), 42);
  EXPECT_TRUE(s->Reward(Player::kFirst).is_draw());
  EXPECT_NE(s->ToString().find("draw"), std::string::npos);
}

TEST(Connect4Test, FullColumnIsIllegal) {
  auto s = Play("444444");
  EXPECT_FALSE(s->IsLegal(3));
  EXPECT_EQ(s->LegalActions(), (std::vector<Action>{0, 1, 2, 4, 5, 6}));
  absl::Status status = s->CheckLegal(3);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("column 4 is full"), std::string::npos)
      << status;
  auto bad = Connect4().NewStateFromMoves("4444444");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("move 7"), std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("column 4 is full"), std::string::npos)
      << bad.status();
}

TEST(Connect4Test, NotationErrorsNameTheMoveAndCharacter) {
  auto bad = Connect4().NewStateFromMoves("4483");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("move 3 \"8\" at character 3"),
            std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("no such column (columns are 1-7)"),
            std::string::npos)
      << bad.status();
  auto zero = Connect4().NewStateFromMoves("40");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("move 2"), std::string::npos);
  auto letter = Connect4().NewStateFromMoves("4 4 x");
  ASSERT_FALSE(letter.ok());
  EXPECT_NE(letter.status().message().find("character 5"), std::string::npos)
      << letter.status();
  auto after_end = Connect4().NewStateFromMoves("14121713");
  ASSERT_FALSE(after_end.ok());
  EXPECT_NE(after_end.status().message().find("over"), std::string::npos);
  EXPECT_FALSE(Connect4().ParseAction("").ok());
  EXPECT_FALSE(Connect4().ParseAction("44").ok());
}

TEST(Connect4Test, NotationRoundTrips) {
  for (Action a = 0; a < 7; ++a) {
    std::string text = Connect4().ActionToString(a);
    EXPECT_EQ(text, std::string(1, static_cast<char>('1' + a)));
    EXPECT_EQ(*Connect4().ParseAction(text), a);
  }
  auto actions = Connect4().ParseMoves("4453");
  ASSERT_TRUE(actions.ok());
  EXPECT_EQ(*actions, (std::vector<Action>{3, 3, 4, 2}));
  EXPECT_EQ(Connect4().FormatMoves(*actions), "4453");
}

TEST(Connect4Test, ObservationIsFromTheSideToMove) {
  auto s = Play("43");  // X in column 4, O in column 3; X to move.
  std::vector<float> obs(3 * 6 * 7);
  s->EncodeObservation(obs.data());
  auto at = [&](int plane, int row, int col) {
    return obs[(plane * 6 + row) * 7 + col];
  };
  // Row 5 is the bottom row.
  EXPECT_EQ(at(0, 5, 3), 1.0f);  // own (X) stone
  EXPECT_EQ(at(1, 5, 2), 1.0f);  // opponent (O) stone
  EXPECT_EQ(at(0, 5, 2), 0.0f);
  EXPECT_EQ(at(1, 4, 3), 0.0f);
  float own = 0, opponent = 0, ones = 0;
  for (int i = 0; i < 42; ++i) {
    own += obs[i];
    opponent += obs[42 + i];
    ones += obs[84 + i];
  }
  EXPECT_EQ(own, 1.0f);
  EXPECT_EQ(opponent, 1.0f);
  EXPECT_EQ(ones, 42.0f);

  s->Apply(0);  // now O to move: its stone is on the own plane
  s->EncodeObservation(obs.data());
  EXPECT_EQ(at(0, 5, 2), 1.0f);
  EXPECT_EQ(at(1, 5, 3), 1.0f);
  EXPECT_EQ(at(1, 5, 0), 1.0f);
}

TEST(Connect4Test, MirrorMapsColumns) {
  auto s = Play("1123");
  auto mirrored = s->Transformed(1);
  EXPECT_EQ(mirrored->Hash(), Play("7765")->Hash());
  EXPECT_EQ(mirrored->ToString(), Play("7765")->ToString());
  EXPECT_NE(mirrored->Hash(), s->Hash());
  EXPECT_EQ(s->Transformed(0)->Hash(), s->Hash());
}

TEST(Connect4Test, HashIsStableAndDependsOnTheBoard) {
  // Same position by two move orders.
  EXPECT_EQ(Play("4453")->Hash(), Play("4354")->Hash());
  EXPECT_NE(Play("4453")->Hash(), Play("4435")->Hash());
  EXPECT_NE(Play("")->Hash(), Play("4")->Hash());
}

TEST(Connect4Test, ToStringDrawsTheBoard) {
  auto s = Play("443");
  EXPECT_EQ(s->ToString(),
            " . . . . . . .\n"
            " . . . . . . .\n"
            " . . . . . . .\n"
            " . . . . . . .\n"
            " . . . O . . .\n"
            " . . X X . . .\n"
            " 1 2 3 4 5 6 7\n"
            "O to move\n");
}

}  // namespace
}  // namespace az
