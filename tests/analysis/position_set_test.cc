#include "analysis/position_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "selfplay/replay_buffer.h"
#include "selfplay/run_dir.h"
#include "tests/selfplay/random_records.h"
#include "tests/test_util.h"

namespace az::analysis {
namespace {

const Game& TicTacToe() { return **FindGame("tictactoe"); }
const Game& ConnectFour() { return **FindGame("connect4"); }

TEST(PositionSetTest, LoadsAPonsFileWithScores) {
  const std::string path =
      az::testing::TestDataDir() + "/connect4/Test_L3_R1_head";
  absl::StatusOr<PositionSet> set = LoadPositionFileSet(ConnectFour(), path);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->positions.size(), 100u);
  EXPECT_EQ(set->NumGames(), 100);
  EXPECT_EQ(set->positions[0].file_score, -1);
  EXPECT_EQ(ConnectFour().FormatMoves(set->positions[0].actions),
            "2252576253462244111563365343671351441");
  EXPECT_EQ(set->default_label_cache, path + ".gap-labels");
}

TEST(PositionSetTest, BadFilesAreClearErrors) {
  absl::StatusOr<PositionSet> missing =
      LoadPositionFileSet(TicTacToe(), "/nonexistent/positions");
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  const std::string empty =
      az::testing::WriteTempFile("empty_set", "# only a comment\n\n");
  absl::StatusOr<PositionSet> none = LoadPositionFileSet(TicTacToe(), empty);
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_TRUE(absl::StrContains(none.status().message(), "no positions"));
  const std::string bad = az::testing::WriteTempFile("bad_set", "12\n1x\n");
  absl::StatusOr<PositionSet> b = LoadPositionFileSet(TicTacToe(), bad);
  EXPECT_TRUE(absl::IsInvalidArgument(b.status()));
  EXPECT_TRUE(absl::StrContains(b.status().message(), ":2:"))
      << b.status().message();
}

TEST(PositionSetTest, GeneratorSpecs) {
  auto spec = ParseGeneratorSpec("random:50:plies=2-5", TicTacToe(), 3);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->count, 50);
  EXPECT_EQ(spec->min_ply, 2);
  EXPECT_EQ(spec->max_ply, 5);
  EXPECT_EQ(spec->seed, 3u);
  auto defaults = ParseGeneratorSpec("lopsided:7", TicTacToe(), 1);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_ply, TicTacToe().MaxGameLength() - 1);
  for (const char* bad :
       {"uniform:10", "random", "random:0", "random:x", "random:5:plies=4-2",
        "random:5:plies=0-9", "random:5:depth=3"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(
        ParseGeneratorSpec(bad, TicTacToe(), 1).status()))
        << bad;
  }
}

TEST(PositionSetTest, GeneratedSetsAreSeededAndInRange) {
  for (const char* text : {"random:300:plies=3-7", "lopsided:300:plies=3-7"}) {
    auto spec = ParseGeneratorSpec(text, TicTacToe(), 5);
    ASSERT_TRUE(spec.ok());
    absl::StatusOr<PositionSet> a = GeneratePositionSet(TicTacToe(), *spec);
    absl::StatusOr<PositionSet> b = GeneratePositionSet(TicTacToe(), *spec);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->positions.size(), 300u);
    EXPECT_EQ(a->ContentHash(), b->ContentHash());
    std::set<int64_t> ids;
    for (const SetPosition& p : a->positions) {
      EXPECT_GE(p.actions.size(), 3u);
      EXPECT_LE(p.actions.size(), 7u);
      auto state =
          TicTacToe().NewStateFromMoves(TicTacToe().FormatMoves(p.actions));
      ASSERT_TRUE(state.ok());
      EXPECT_FALSE((*state)->IsTerminal());
      ids.insert(p.game_id);
    }
    EXPECT_EQ(ids.size(), 300u);
    spec->seed = 6;
    EXPECT_NE(GeneratePositionSet(TicTacToe(), *spec)->ContentHash(),
              a->ContentHash());
  }
}

TEST(PositionSetTest, NarrowingKeepsDeepPositionsAndWholeGames) {
  const Game& game = **FindGame("tictactoe");
  PositionSet set;
  set.name = "made";
  set.game = &game;
  // Five games of four positions each, of 0 to 3 plies.
  for (int64_t g = 0; g < 5; ++g) {
    for (int ply = 0; ply < 4; ++ply) {
      SetPosition p;
      p.game_id = g;
      for (int k = 0; k < ply; ++k) p.actions.push_back(k);
      set.positions.push_back(p);
    }
  }
  ASSERT_TRUE(NarrowPositionSet(&set, 2, 0, 1).ok());
  ASSERT_EQ(set.positions.size(), 10u);
  for (const SetPosition& p : set.positions) EXPECT_GE(p.actions.size(), 2u);
  EXPECT_TRUE(absl::StrContains(set.description, "10 positions under 2"));

  PositionSet sample = set;
  ASSERT_TRUE(NarrowPositionSet(&sample, 2, 5, 7).ok());
  // At most 5 positions, in whole games of 2: two games.
  ASSERT_EQ(sample.positions.size(), 4u);
  std::map<int64_t, int> per_game;
  for (const SetPosition& p : sample.positions) ++per_game[p.game_id];
  for (const auto& [id, n] : per_game) EXPECT_EQ(n, 2) << "game " << id;
  PositionSet again = set;
  ASSERT_TRUE(NarrowPositionSet(&again, 2, 5, 7).ok());
  EXPECT_EQ(again.ContentHash(), sample.ContentHash()) << "seeded";

  PositionSet none = set;
  absl::Status status = NarrowPositionSet(&none, 9, 0, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.message(), "--min_ply")) << status;
}

TEST(PositionSetTest, HeldoutGamesKeepTheirGameIds) {
  const std::string run = ::testing::TempDir() + "/heldout_run";
  std::filesystem::remove_all(run);
  selfplay::RunPaths paths(run);
  auto store = selfplay::ReplayStore::Open(paths.heldout(), "tictactoe", 2);
  ASSERT_TRUE(store.ok()) << store.status();
  size_t total = 0;
  for (int g = 0; g < 5; ++g) {
    selfplay::GameRecord record =
        selfplay::testing::RandomGameRecord(TicTacToe(), 100 + g);
    total += record.moves.size();
    ASSERT_TRUE((*store)->Append(record).ok());
  }
  ASSERT_TRUE((*store)->Flush().ok());
  absl::StatusOr<PositionSet> set = LoadHeldoutSet(TicTacToe(), run);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->positions.size(), total);
  EXPECT_EQ(set->NumGames(), 5);
  EXPECT_EQ(set->kind, SetKind::kHeldout);
  EXPECT_EQ(set->name, "heldout:" + run);
  // Every game starts at the initial position.
  EXPECT_TRUE(set->positions[0].actions.empty());
  // A run of another game is refused, a missing one is an error.
  EXPECT_FALSE(LoadHeldoutSet(ConnectFour(), run).ok());
  EXPECT_FALSE(LoadHeldoutSet(TicTacToe(), run + "-missing").ok());
}

// A proxy-trained run's held-out games, read for its own spec and for the
// rules: the rules end the diagonal game at ply 5, so they see five of its
// nine positions.
TEST(PositionSetTest, AProxyRunsHeldoutGamesSeenByEachSpec) {
  const std::string run = ::testing::TempDir() + "/heldout_proxy_run";
  std::filesystem::remove_all(run);
  const Game& proxy = **FindGameWithReward("tictactoe", "no_diagonals");
  selfplay::RunPaths paths(run);
  auto store = selfplay::ReplayStore::Open(paths.heldout(), "tictactoe", 2);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)
                  ->Append(selfplay::testing::RecordOfMoves(
                      proxy, selfplay::testing::DiagonalWinPlayedOn()))
                  .ok());
  ASSERT_TRUE((*store)->Flush().ok());
  absl::StatusOr<PositionSet> own = LoadHeldoutSet(proxy, run);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->positions.size(), 9u);
  absl::StatusOr<PositionSet> rules = LoadHeldoutSet(TicTacToe(), run);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->positions.size(), 5u);
  EXPECT_EQ(rules->positions.back().actions.size(), 4u);
}

TEST(PositionSetTest, AHeldoutShardWithADamagedHeaderCostsOnlyItsGames) {
  const std::string run = ::testing::TempDir() + "/heldout_damaged_run";
  std::filesystem::remove_all(run);
  selfplay::RunPaths paths(run);
  {
    auto store = selfplay::ReplayStore::Open(paths.heldout(), "tictactoe", 2);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int g = 0; g < 5; ++g) {
      ASSERT_TRUE((*store)
                      ->Append(selfplay::testing::RandomGameRecord(
                          TicTacToe(), 200 + g))
                      .ok());
    }
    ASSERT_TRUE((*store)->Flush().ok());
  }
  std::vector<std::string> shards;
  for (const auto& entry : std::filesystem::directory_iterator(paths.heldout())) {
    shards.push_back(entry.path());
  }
  std::sort(shards.begin(), shards.end());
  ASSERT_EQ(shards.size(), 3u);  // 2 + 2 + 1 games
  // One bit of the first shard's header (its game name) flipped.
  std::fstream file(shards[0], std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(17);
  char c = 0;
  file.get(c);
  file.seekp(17);
  file.put(static_cast<char>(c ^ 0x01));
  file.close();
  absl::StatusOr<PositionSet> set = LoadHeldoutSet(TicTacToe(), run);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->NumGames(), 3);
}

}  // namespace
}  // namespace az::analysis
