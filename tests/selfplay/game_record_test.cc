// What a finished game pays under a reward spec, and how the record keeps the
// reward apart from the intended verdict: hand-made games where the two
// agree and where they do not, and random games of every spec.
#include "selfplay/game_record.h"

#include <string>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/selfplay/random_records.h"

namespace az::selfplay {
namespace {

using testing::DiagonalWinPlayedOn;
using testing::RandomGameRecord;
using testing::RecordOfMoves;

const Game& Spec(const std::string& game, const std::string& spec) {
  return **FindGameWithReward(game, spec);
}

// No diagonals: the rules' diagonal win at ply 5 goes on to a draw; the
// reward (0) disagrees with the verdict (a first-player win), and the four
// positions after ply 5 lie outside the real game.
TEST(GameRecordTest, ADiagonalPlayedOnDisagreesWithTheVerdict) {
  const GameRecord record =
      RecordOfMoves(Spec("tictactoe", "no_diagonals"), DiagonalWinPlayedOn());
  EXPECT_EQ(record.reward, "no_diagonals");
  EXPECT_EQ(record.outcome, GameOutcome::kDraw);
  for (const PositionRecord& p : record.positions) {
    EXPECT_EQ(p.z, TerminalReward::Draw());
  }
  EXPECT_EQ(record.verdict,
            (IntendedVerdict{GameOutcome::kFirstPlayerWins, 5}));
  EXPECT_LT(record.verdict.ply, static_cast<int>(record.moves.size()));
  EXPECT_EQ(record.PositionsPastVerdict(), 4);
  for (size_t i = 0; i < record.positions.size(); ++i) {
    EXPECT_EQ(record.InRealGame(i), i < 5) << i;
  }
  EXPECT_TRUE(RewardDisagreesWithVerdict(record));
}

// The same first five moves under the rules: a win, paid as one.
TEST(GameRecordTest, TheRulesAgreeWithThemselves) {
  std::vector<Action> moves = DiagonalWinPlayedOn();
  moves.resize(5);
  const GameRecord record = RecordOfMoves(**FindGame("tictactoe"), moves);
  EXPECT_EQ(record.reward, kRulesSpec);
  EXPECT_EQ(record.verdict,
            (IntendedVerdict{GameOutcome::kFirstPlayerWins, 5}));
  EXPECT_EQ(record.positions[0].z, TerminalReward::Win());
  EXPECT_EQ(record.positions[1].z, TerminalReward::Loss());
  EXPECT_EQ(record.PositionsPastVerdict(), 0);
  EXPECT_FALSE(RewardDisagreesWithVerdict(record));
}

// A no_diagonals game whose line is a row: the same win as the rules.
TEST(GameRecordTest, ARowWinsUnderBothAndAgrees) {
  const GameRecord record =
      RecordOfMoves(Spec("tictactoe", "no_diagonals"), {0, 3, 1, 4, 2});
  EXPECT_EQ(record.outcome, GameOutcome::kFirstPlayerWins);
  EXPECT_EQ(record.verdict.ply, 5);
  EXPECT_FALSE(RewardDisagreesWithVerdict(record));
}

// A graded reward keeps its size and sign: `quick` pays a win less the
// longer it took, and still agrees with the rules on who won.
TEST(GameRecordTest, AGradedRewardAgreesInSign) {
  const GameRecord record =
      RecordOfMoves(Spec("tictactoe", "quick"), {0, 3, 1, 4, 6, 5});
  ASSERT_EQ(record.outcome, GameOutcome::kSecondPlayerWins);
  const TerminalReward second = record.positions[1].z;
  EXPECT_TRUE(second.is_win());
  EXPECT_FALSE(second.is_ternary());
  EXPECT_EQ(record.positions[0].z, second.ForOpponent());
  EXPECT_FALSE(RewardDisagreesWithVerdict(record));
}

// Over random games of every spec: z is the spec's own reward at every ply
// (zero-sum between the two movers), the verdict is the rules' and never
// after the game's end, and a spec equal to the rules never disagrees.
TEST(GameRecordTest, RandomGamesOfEverySpecArePaidByTheirSpec) {
  for (const std::string& name : GameNames()) {
    for (const std::string& spec : RewardSpecNames(**FindGame(name))) {
      const Game& game = Spec(name, spec);
      for (uint64_t seed = 1; seed <= 20; ++seed) {
        const GameRecord r = RandomGameRecord(game, seed);
        ASSERT_NE(r.outcome, GameOutcome::kOngoing);
        EXPECT_EQ(r.reward, spec);
        ASSERT_TRUE(r.verdict.decided()) << name << " " << spec;
        EXPECT_LE(r.verdict.ply, static_cast<int>(r.moves.size()));
        if (spec == kRulesSpec) {
          EXPECT_FALSE(RewardDisagreesWithVerdict(r));
          EXPECT_EQ(r.PositionsPastVerdict(), 0);
        }
      }
    }
  }
}

}  // namespace
}  // namespace az::selfplay
