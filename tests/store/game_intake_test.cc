#include "store/game_intake.h"

#include <string>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/record_io.h"
#include "tests/selfplay/random_records.h"

namespace az::store {
namespace {

using selfplay::GameRecord;
using selfplay::testing::RandomGameRecord;
using Kind = IntakeVerdict::Kind;

const Game& Connect4() { return **FindGame("connect4"); }
const Game& TicTacToe() { return **FindGame("tictactoe"); }

StreamEntry Entry(const GameRecord& record, uint64_t seq = 1) {
  StreamEntry e;
  e.id = "1-0";
  e.game.actor = "a";
  e.game.seq = seq;
  e.game.record = selfplay::EncodeGameRecord(record);
  return e;
}

TEST(SeenGamesTest, CountsEachPairOnceInAnyOrder) {
  SeenGames seen;
  EXPECT_TRUE(seen.Insert("a", 2));
  EXPECT_TRUE(seen.Insert("a", 1));
  EXPECT_TRUE(seen.Insert("a", 4));
  EXPECT_FALSE(seen.Insert("a", 2));
  EXPECT_FALSE(seen.Insert("a", 4));
  EXPECT_TRUE(seen.Insert("b", 1));
  EXPECT_TRUE(seen.Contains("a", 1));
  EXPECT_TRUE(seen.Contains("a", 2));
  EXPECT_FALSE(seen.Contains("a", 3));
  EXPECT_TRUE(seen.Contains("a", 4));
  EXPECT_FALSE(seen.Contains("c", 1));
  EXPECT_EQ(seen.size(), 4);
  EXPECT_EQ(seen.actors(), 2u);
}

TEST(GameIntakeTest, AcceptsAGameOfTheRulesWithTheRulesRewards) {
  const GameRecord record = RandomGameRecord(Connect4(), 5);
  SeenGames seen;
  IntakeVerdict v = JudgeGameEntry(Connect4(), Entry(record), seen);
  ASSERT_EQ(v.kind, Kind::kAccepted) << v.reason;
  EXPECT_TRUE(selfplay::testing::SameRecord(v.record, record));
  seen.Insert("a", 1);
  EXPECT_EQ(JudgeGameEntry(Connect4(), Entry(record), seen).kind,
            Kind::kDuplicate);
  // The same game under another number is another game.
  EXPECT_EQ(JudgeGameEntry(Connect4(), Entry(record, 2), seen).kind,
            Kind::kAccepted);
}

TEST(GameIntakeTest, AForgedRewardIsRejectedNotRepaired) {
  GameRecord record = RandomGameRecord(Connect4(), 6);
  ASSERT_NE(record.outcome, GameOutcome::kOngoing);
  // The side that lost is paid a win at its first position.
  const int ply = record.positions[0].z == TerminalReward::Win() ? 1 : 0;
  record.positions[ply].z = TerminalReward::Win();
  IntakeVerdict v = JudgeGameEntry(Connect4(), Entry(record), SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kForgedReward) << v.reason;
}

TEST(GameIntakeTest, AForgedOutcomeIsAForgedReward) {
  GameRecord record = RandomGameRecord(TicTacToe(), 7);
  record.outcome = record.outcome == GameOutcome::kDraw ? GameOutcome::kFirstPlayerWins
                                                        : GameOutcome::kDraw;
  // Paid consistently with the forged outcome: only the replay shows it.
  for (size_t i = 0; i < record.positions.size(); ++i) {
    record.positions[i].z = RewardFor(
        record.outcome, i % 2 == 0 ? Player::kFirst : Player::kSecond);
  }
  IntakeVerdict v = JudgeGameEntry(TicTacToe(), Entry(record), SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kForgedReward) << v.reason;
}

// Under a run's reward spec the learner pays every game itself: a z the
// spec does not give, a game paid under another spec, or a verdict the
// rules do not give is a forged reward; the honest game is accepted.
TEST(GameIntakeTest, AForgedRewardUnderASpecIsRejected) {
  const Game& no_diagonals = **FindGameWithReward("tictactoe", "no_diagonals");
  const GameRecord honest = selfplay::testing::RecordOfMoves(
      no_diagonals, selfplay::testing::DiagonalWinPlayedOn());
  IntakeVerdict v = JudgeGameEntry(no_diagonals, Entry(honest), SeenGames());
  ASSERT_EQ(v.kind, Kind::kAccepted) << v.reason;
  EXPECT_EQ(v.record.verdict.ply, 5);
  // The rules' win on the diagonal, paid although the run's spec says draw.
  GameRecord paid_by_rules = honest;
  for (size_t i = 0; i < paid_by_rules.positions.size(); ++i) {
    paid_by_rules.positions[i].z = RewardFor(
        GameOutcome::kFirstPlayerWins, i % 2 == 0 ? Player::kFirst
                                                  : Player::kSecond);
  }
  GameRecord other_spec = honest;
  other_spec.reward = kRulesSpec;
  GameRecord forged_verdict = honest;
  forged_verdict.verdict = {GameOutcome::kDraw, 9};
  for (const GameRecord* forged :
       {&paid_by_rules, &other_spec, &forged_verdict}) {
    v = JudgeGameEntry(no_diagonals, Entry(*forged), SeenGames());
    ASSERT_EQ(v.kind, Kind::kRejected);
    EXPECT_EQ(v.rejection, Rejection::kForgedReward) << v.reason;
  }
}

TEST(GameIntakeTest, MovesOrVisitsTheRulesRefuseAreRejected) {
  GameRecord illegal = RandomGameRecord(TicTacToe(), 8);
  illegal.moves[1] = illegal.moves[0];  // the same square twice
  IntakeVerdict v = JudgeGameEntry(TicTacToe(), Entry(illegal), SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kAgainstTheRules) << v.reason;

  GameRecord visits = RandomGameRecord(TicTacToe(), 9);
  visits.positions[1].visits.push_back({visits.moves[0], 5});
  v = JudgeGameEntry(TicTacToe(), Entry(visits), SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kAgainstTheRules) << v.reason;

  GameRecord unfinished = RandomGameRecord(TicTacToe(), 10, /*max_moves=*/3);
  v = JudgeGameEntry(TicTacToe(), Entry(unfinished), SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kAgainstTheRules) << v.reason;
}

TEST(GameIntakeTest, ARecordOfAnotherGameIsRejected) {
  // Connect Four moves are columns 0-6: read as tic-tac-toe squares they
  // soon repeat one, or run past the end of the game.
  int rejected = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    IntakeVerdict v = JudgeGameEntry(
        TicTacToe(), Entry(RandomGameRecord(Connect4(), seed)), SeenGames());
    rejected += v.kind == Kind::kRejected ? 1 : 0;
  }
  EXPECT_EQ(rejected, 20);
}

TEST(GameIntakeTest, GarbageAndOversizedEntriesAreRejectedBeforeDecoding) {
  StreamEntry garbage = Entry(RandomGameRecord(Connect4(), 11));
  garbage.game.record = "\x01\x02garbage";
  IntakeVerdict v = JudgeGameEntry(Connect4(), garbage, SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kUndecodable) << v.reason;

  StreamEntry big = Entry(RandomGameRecord(Connect4(), 12));
  big.game.record.append(2 << 20, '\0');
  v = JudgeGameEntry(Connect4(), big, SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kOversized) << v.reason;

  StreamEntry malformed;
  malformed.parsed = absl::DataLossError("stream entry lacks a valid actor");
  v = JudgeGameEntry(Connect4(), malformed, SeenGames());
  ASSERT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.rejection, Rejection::kMalformedEntry);
  EXPECT_NE(v.reason.find("lacks a valid actor"), std::string::npos);
}

}  // namespace
}  // namespace az::store
