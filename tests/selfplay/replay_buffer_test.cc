#include "selfplay/replay_buffer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/selfplay/legacy_shards.h"
#include "tests/selfplay/random_records.h"
#include "tests/test_util.h"

namespace az::selfplay {
namespace {

using ::az::testing::ReadFileBytes;

using testing::RandomGameRecord;

const Game& Connect4() { return **FindGame("connect4"); }

// A game of `plies` positions whose v encodes (game, ply), so a sample says
// where it came from.
GameRecord TaggedGame(int game_index, int plies) {
  GameRecord record = RandomGameRecord(Connect4(), 50 + game_index, plies);
  record.weights_version = game_index;
  for (size_t i = 0; i < record.positions.size(); ++i) {
    record.positions[i].v = static_cast<float>(game_index * 100 + i);
  }
  return record;
}

// How often each tagged position (see TaggedGame) came up in `n` samples
// drawn with `seed`.
std::map<int, int> HitsByTag(const ReplayBuffer& buffer, int n,
                             uint64_t seed) {
  base::Rng rng(seed);
  std::map<int, int> hits;
  for (const TrainingExample& e : buffer.Sample(n, rng)) {
    ++hits[static_cast<int>(e.v)];
  }
  return hits;
}

std::string TempDir(const std::string& name) {
  std::string dir =
      absl::StrCat(::testing::TempDir(), "/", getpid(), "_", name);
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(ReplayBufferTest, WindowKeepsTheNewestPositionsAndSamplesThemUniformly) {
  ReplayBufferOptions options;
  options.capacity_positions = 25;
  ReplayBuffer buffer(Connect4(), options);
  for (int g = 0; g < 6; ++g)
    ASSERT_TRUE(buffer.AddGame(TaggedGame(g, 10)).ok());
  ReplayBufferCounts counts = buffer.counts();
  EXPECT_EQ(counts.games_added, 6);
  EXPECT_EQ(counts.positions_added, 60);
  EXPECT_EQ(counts.positions_in_window, 25);
  EXPECT_EQ(counts.games_in_window, 3);  // games 3 (partly), 4 and 5

  constexpr int kSamples = 25000;
  const std::map<int, int> hits = HitsByTag(buffer, kSamples, 1);
  // The window is plies 5..9 of game 3 and all of games 4 and 5.
  std::set<int> expected;
  for (int ply = 5; ply < 10; ++ply) expected.insert(300 + ply);
  for (int ply = 0; ply < 10; ++ply) expected.insert(400 + ply);
  for (int ply = 0; ply < 10; ++ply) expected.insert(500 + ply);
  ASSERT_EQ(hits.size(), expected.size());
  for (const auto& [key, count] : hits) {
    EXPECT_TRUE(expected.count(key)) << key;
    // 1000 expected, standard deviation about 31.
    EXPECT_NEAR(count, kSamples / 25, 150) << key;
  }
}

// TaggedGame with the odd plies marked as quick searches (playout caps).
GameRecord HalfQuickGame(int game_index, int plies) {
  GameRecord record = TaggedGame(game_index, plies);
  for (size_t i = 1; i < record.positions.size(); i += 2) {
    record.positions[i].full_search = false;
  }
  return record;
}

TEST(ReplayBufferTest, OnlyFullSearchesAreTrainingPositions) {
  ReplayBufferOptions options;
  options.capacity_positions = 12;
  ReplayBuffer buffer(Connect4(), options);
  for (int g = 0; g < 4; ++g) {
    ASSERT_TRUE(buffer.AddGame(HalfQuickGame(g, 10)).ok());
  }
  // A game without any full search adds nothing to train on.
  GameRecord all_quick = TaggedGame(9, 10);
  for (PositionRecord& p : all_quick.positions) p.full_search = false;
  ASSERT_TRUE(buffer.AddGame(all_quick).ok());
  ReplayBufferCounts counts = buffer.counts();
  EXPECT_EQ(counts.games_added, 5);
  EXPECT_EQ(counts.positions_added, 20);  // 5 full searches per game
  EXPECT_EQ(counts.positions_in_window, 12);
  EXPECT_EQ(counts.games_in_window, 3);  // games 1 (partly), 2 and 3

  constexpr int kSamples = 12000;
  const std::map<int, int> hits = HitsByTag(buffer, kSamples, 3);
  // The window: the last 2 full searches of game 1 (plies 6 and 8), then
  // plies 0, 2, 4, 6, 8 of games 2 and 3; never a quick search.
  std::set<int> expected = {106, 108};
  for (int ply = 0; ply < 10; ply += 2) {
    expected.insert(200 + ply);
    expected.insert(300 + ply);
  }
  ASSERT_EQ(hits.size(), expected.size());
  for (const auto& [key, count] : hits) {
    EXPECT_TRUE(expected.count(key)) << key;
    EXPECT_NEAR(count, kSamples / 12, 150) << key;  // sd about 30
  }

  // Reloading from shards counts and windows the same positions.
  const std::string dir = TempDir("replay_quick");
  {
    auto store = ReplayStore::Open(dir, "connect4", 2);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int g = 0; g < 4; ++g) {
      ASSERT_TRUE((*store)->Append(HalfQuickGame(g, 10)).ok());
    }
  }
  ReplayBuffer reloaded(Connect4(), options);
  absl::StatusOr<LoadStats> stats = LoadRecentGames(dir, &reloaded);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->shards_read, 2);  // 10 + 10 positions cover 12
  EXPECT_EQ(stats->positions_loaded, 20);
  EXPECT_EQ(reloaded.counts().positions_in_window, 12);
  base::Rng a(5), b(5);
  std::vector<TrainingExample> before = buffer.Sample(100, a);
  std::vector<TrainingExample> after = reloaded.Sample(100, b);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(before[i].v, after[i].v);
    EXPECT_EQ(before[i].observation, after[i].observation);
  }
}

TEST(ReplayBufferTest, ExamplesCarryObservationPolicyAndValues) {
  ReplayBuffer buffer(Connect4(), {});
  GameRecord record = TaggedGame(0, 1);
  record.positions[0].visits = {{0, 1}, {3, 3}};
  ASSERT_TRUE(buffer.AddGame(record).ok());
  base::Rng rng(2);
  std::vector<TrainingExample> examples = buffer.Sample(1, rng);
  ASSERT_EQ(examples.size(), 1u);
  const TrainingExample& e = examples[0];
  EXPECT_EQ(e.symmetry, 0);
  EXPECT_EQ(e.policy, std::vector<float>({0.25f, 0, 0, 0.75f, 0, 0, 0}));
  std::vector<float> expected(Connect4().GetObservationShape().size());
  Connect4().NewInitialState()->EncodeObservation(expected.data());
  EXPECT_EQ(e.observation, expected);
  EXPECT_EQ(e.q, record.positions[0].q);
  EXPECT_TRUE(buffer.Sample(0, rng).empty());
  EXPECT_TRUE(ReplayBuffer(Connect4(), {}).Sample(3, rng).empty());
}

TEST(ReplayBufferTest, MirrorMapsObservationAndPolicyTogether) {
  ReplayBufferOptions options;
  options.augment_symmetries = true;
  ReplayBuffer buffer(Connect4(), options);
  ReplayBuffer plain(Connect4(), {});
  const GameRecord record = TaggedGame(1, 8);
  ASSERT_TRUE(buffer.AddGame(record).ok());
  ASSERT_TRUE(plain.AddGame(record).ok());
  base::Rng rng(3);
  std::map<float, TrainingExample> originals;
  for (TrainingExample& e : plain.Sample(400, rng)) originals[e.v] = e;
  ASSERT_EQ(originals.size(), 8u);
  const ObservationShape shape = Connect4().GetObservationShape();
  int mirrored = 0;
  for (const TrainingExample& e : buffer.Sample(200, rng)) {
    const TrainingExample& o = originals.at(e.v);
    if (e.symmetry == 0) {
      EXPECT_EQ(e.observation, o.observation);
      EXPECT_EQ(e.policy, o.policy);
      continue;
    }
    ++mirrored;
    for (int c = 0; c < 7; ++c) {
      EXPECT_EQ(e.policy[c], o.policy[6 - c]);
      for (int p = 0; p < shape.planes; ++p) {
        for (int r = 0; r < shape.height; ++r) {
          const int i = (p * shape.height + r) * shape.width;
          EXPECT_EQ(e.observation[i + c], o.observation[i + 6 - c]);
        }
      }
    }
  }
  EXPECT_GT(mirrored, 60);
  EXPECT_LT(mirrored, 140);
}

TEST(ValueTargetTest, MapsRewardAndSearchValueToWdl) {
  using W = std::array<float, 3>;
  EXPECT_EQ(ValueTarget::Reward().Wdl(TerminalReward::Win(), -0.5f),
            W({1, 0, 0}));
  EXPECT_EQ(ValueTarget::Reward().Wdl(TerminalReward::Draw(), 0.9f),
            W({0, 1, 0}));
  EXPECT_EQ(ValueTarget::Reward().Wdl(TerminalReward::Loss(), 0.9f),
            W({0, 0, 1}));
  EXPECT_EQ(ValueTarget::Search().Wdl(TerminalReward::Win(), -0.5f),
            W({0.25f, 0, 0.75f}));
  EXPECT_EQ(ValueTarget::Search().Wdl(TerminalReward::Win(), 3.0f),
            W({1, 0, 0}));  // clamped to [-1, 1]
  const W mix = ValueTarget::Mix(0.5f).Wdl(TerminalReward::Draw(), 0.5f);
  EXPECT_FLOAT_EQ(mix[0], 0.375f);
  EXPECT_FLOAT_EQ(mix[1], 0.5f);
  EXPECT_FLOAT_EQ(mix[2], 0.125f);
}

// A graded z (a spec such as Othello's `discs`) is a WDL distribution whose
// expectation P(win) - P(loss) is z, with the rest on the draw.
TEST(ValueTargetTest, AGradedRewardSplitsBetweenItsSideAndTheDraw) {
  using W = std::array<float, 3>;
  EXPECT_EQ(ValueTarget::Reward().Wdl(TerminalReward::Payoff(0.5f), 0.0f),
            W({0.5f, 0.5f, 0}));
  EXPECT_EQ(ValueTarget::Reward().Wdl(TerminalReward::Payoff(-0.25f), 0.0f),
            W({0, 0.75f, 0.25f}));
  for (float z : {-1.0f, -0.8125f, -0.03125f, 0.0f, 0.0625f, 0.75f, 1.0f}) {
    for (ValueTarget target : {ValueTarget::Reward(), ValueTarget::Mix(0.3f)}) {
      const W wdl = target.Wdl(TerminalReward::Payoff(z), 0.4f);
      for (float p : wdl) EXPECT_GE(p, 0.0f) << z;
      EXPECT_NEAR(wdl[0] + wdl[1] + wdl[2], 1, 1e-6) << z;
      const float alpha = target.alpha;
      EXPECT_NEAR(wdl[0] - wdl[2], (1 - alpha) * z + alpha * 0.4f, 1e-6) << z;
    }
  }
}

// The buffer is the run's spec's: a record paid under another spec, or
// whose z or verdict is not what the spec and the rules give, is refused.
TEST(ReplayBufferTest, RecomputesRewardAndVerdictUnderTheRunsSpec) {
  const Game& no_diagonals = **FindGameWithReward("tictactoe", "no_diagonals");
  const Game& rules = **FindGame("tictactoe");
  const GameRecord good =
      testing::RecordOfMoves(no_diagonals, testing::DiagonalWinPlayedOn());
  ASSERT_TRUE(ValidateGameRecord(no_diagonals, good).ok());
  // The rules end these moves at ply 5: unplayable there.
  EXPECT_FALSE(ValidateGameRecord(rules, good).ok());
  GameRecord renamed = good;
  renamed.reward = "quick";
  absl::Status status = ValidateGameRecord(no_diagonals, renamed);
  EXPECT_TRUE(absl::StrContains(status.message(), "reward spec 'quick'"))
      << status;
  GameRecord forged_z = good;
  forged_z.positions[6].z = TerminalReward::Payoff(0.5f);
  EXPECT_FALSE(ValidateGameRecord(no_diagonals, forged_z).ok());
  GameRecord rules_verdict = good;  // as if the diagonal counted for nothing
  rules_verdict.verdict = {GameOutcome::kDraw, 9};
  status = ValidateGameRecord(no_diagonals, rules_verdict);
  EXPECT_TRUE(absl::StrContains(status.message(), "verdict")) << status;
  ReplayBuffer buffer(no_diagonals, {});
  for (const GameRecord* bad : {&renamed, &forged_z, &rules_verdict}) {
    EXPECT_EQ(buffer.AddGame(*bad).code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(buffer.AddGame(good).ok());
  // A rules game of the same game does not go into a no_diagonals window.
  const GameRecord of_rules = RandomGameRecord(rules, 3);
  EXPECT_FALSE(buffer.AddGame(of_rules).ok());
}

TEST(ReplayBufferTest, SamplesUseTheChosenValueTarget) {
  GameRecord record = RandomGameRecord(Connect4(), 4);
  ASSERT_NE(record.outcome, GameOutcome::kOngoing);
  for (ValueTarget target :
       {ValueTarget::Reward(), ValueTarget::Search(), ValueTarget::Mix(0.3f)}) {
    ReplayBufferOptions options;
    options.value_target = target;
    ReplayBuffer buffer(Connect4(), options);
    ASSERT_TRUE(buffer.AddGame(record).ok());
    base::Rng rng(5);
    for (const TrainingExample& e : buffer.Sample(20, rng)) {
      EXPECT_EQ(e.value_wdl, target.Wdl(e.z, e.q));
      EXPECT_NEAR(e.value_wdl[0] + e.value_wdl[1] + e.value_wdl[2], 1, 1e-6);
    }
  }
}

TEST(ReplayBufferTest, RejectsRecordsThatDoNotReplay) {
  ReplayBuffer buffer(Connect4(), {});
  GameRecord illegal = TaggedGame(0, 10);
  illegal.moves[3] = 9;
  EXPECT_EQ(buffer.AddGame(illegal).code(), absl::StatusCode::kInvalidArgument);
  GameRecord full_column = TaggedGame(0, 7);
  full_column.moves = {0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(buffer.AddGame(full_column).code(),
            absl::StatusCode::kInvalidArgument);
  GameRecord wrong_outcome = RandomGameRecord(Connect4(), 6);
  wrong_outcome.outcome = wrong_outcome.outcome == GameOutcome::kDraw
                              ? GameOutcome::kFirstPlayerWins
                              : GameOutcome::kDraw;
  EXPECT_EQ(buffer.AddGame(wrong_outcome).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(buffer.counts().games_added, 0);
}

// What the rules can recompute is checked, not trusted: a record from disk
// or another machine cannot train the value head on a forged reward, or the
// policy head on illegal or doubled moves.
TEST(ReplayBufferTest, RejectsRecordsThatContradictTheRules) {
  ReplayBuffer buffer(Connect4(), {});
  const GameRecord good = RandomGameRecord(Connect4(), 7);
  ASSERT_NE(good.outcome, GameOutcome::kOngoing);
  ASSERT_TRUE(ValidateGameRecord(Connect4(), good).ok());
  GameRecord forged_reward = good;
  forged_reward.positions[2].z =
      forged_reward.positions[2].z.is_win() ? TerminalReward::Loss()
                                            : TerminalReward::Win();
  GameRecord illegal_visit = RandomGameRecord(Connect4(), 8);
  // Column 1 is full after six moves in it; here: visits on a full column.
  illegal_visit.moves = {0, 0, 0, 0, 0, 0, 1};
  illegal_visit.positions.resize(7);
  illegal_visit.outcome = GameOutcome::kOngoing;
  illegal_visit.positions[6].visits = {{0, 5}, {1, 3}};
  GameRecord doubled = good;
  doubled.positions[0].visits.push_back(doubled.positions[0].visits.front());
  GameRecord out_of_range = good;
  out_of_range.positions[1].q = 1.5f;
  for (const GameRecord* bad :
       {&forged_reward, &illegal_visit, &doubled, &out_of_range}) {
    EXPECT_EQ(buffer.AddGame(*bad).code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(buffer.counts().games_added, 0);
  EXPECT_TRUE(buffer.AddGame(good).ok());
}

TEST(ReplayStoreTest, ReloadRestoresTheWindow) {
  const std::string dir = TempDir("replay_reload");
  ReplayBufferOptions options;
  options.capacity_positions = 45;
  ReplayBuffer buffer(Connect4(), options);
  {
    auto store = ReplayStore::Open(dir, "connect4", 3);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int g = 0; g < 10; ++g) {
      GameRecord record = TaggedGame(g, 10);
      ASSERT_TRUE((*store)->Append(record).ok());
      ASSERT_TRUE(buffer.AddGame(record).ok());
    }
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_EQ((*store)->games_written(), 10);
    EXPECT_EQ((*store)->shards_started(), 4);
  }
  absl::StatusOr<std::vector<std::string>> shards = ListShards(dir);
  ASSERT_TRUE(shards.ok());
  ASSERT_EQ(shards->size(), 4u);
  EXPECT_EQ(std::filesystem::path(shards->back()).filename(),
            "shard-00000003.azr");

  ReplayBuffer reloaded(Connect4(), options);
  absl::StatusOr<LoadStats> stats = LoadRecentGames(dir, &reloaded);
  ASSERT_TRUE(stats.ok()) << stats.status();
  // Newest first: 1 + 3 games are 40 positions, so a third shard is read.
  EXPECT_EQ(stats->shards_read, 3);
  EXPECT_EQ(stats->games_loaded, 7);
  EXPECT_EQ(stats->corrupt_records, 0);
  EXPECT_EQ(reloaded.counts().positions_in_window, 45);
  // The same window: the same draws give the same positions.
  base::Rng a(9), b(9);
  std::vector<TrainingExample> before = buffer.Sample(200, a);
  std::vector<TrainingExample> after = reloaded.Sample(200, b);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(before[i].v, after[i].v);
    EXPECT_EQ(before[i].observation, after[i].observation);
  }

  // A new run starts a new shard, never appending to an old one.
  {
    auto store = ReplayStore::Open(dir, "connect4", 3);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append(TaggedGame(10, 10)).ok());
  }
  EXPECT_EQ(ListShards(dir)->size(), 5u);

  // A crash mid-write in the newest shard loses only that record.
  const std::string newest = ListShards(dir)->back();
  std::filesystem::resize_file(newest, std::filesystem::file_size(newest) - 3);
  ReplayBuffer damaged(Connect4(), options);
  stats = LoadRecentGames(dir, &damaged);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->truncated_tail_bytes, 0);
  EXPECT_EQ(damaged.counts().positions_in_window, 45);
}

// A shard whose header is damaged costs its own games, not the resume: it is
// skipped with a warning and counted, and the run goes on in a new shard.
TEST(ReplayStoreTest, ShardWithADamagedHeaderIsSkippedOnReload) {
  const std::string dir = TempDir("replay_damaged_header");
  {
    auto store = ReplayStore::Open(dir, "connect4", 2);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int g = 0; g < 6; ++g) {
      ASSERT_TRUE((*store)->Append(TaggedGame(g, 10)).ok());
    }
  }
  const std::vector<std::string> shards = *ListShards(dir);
  ASSERT_EQ(shards.size(), 3u);
  {
    // A flipped bit in the middle shard's version field.
    std::fstream file(shards[1],
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(11);
    file.put('\x01');
  }
  ReplayBufferOptions options;
  options.capacity_positions = 1000;
  ReplayBuffer reloaded(Connect4(), options);
  absl::StatusOr<LoadStats> stats = LoadRecentGames(dir, &reloaded);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->damaged_shards, 1);
  EXPECT_EQ(stats->shards_read, 2);
  EXPECT_EQ(stats->games_loaded, 4);  // games 0, 1, 4 and 5
  EXPECT_EQ(reloaded.counts().positions_in_window, 40);

  // New games go to a new shard; the damaged one is left as it is.
  const std::string damaged_bytes = ReadFileBytes(shards[1]);
  {
    auto store = ReplayStore::Open(dir, "connect4", 2);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(TaggedGame(6, 10)).ok());
  }
  EXPECT_EQ(ListShards(dir)->size(), 4u);
  EXPECT_EQ(ReadFileBytes(shards[1]), damaged_bytes);
}

// A run written by the previous az (version 2 shards) resumes: its games
// load, and new games go to a new shard of the current version beside them.
TEST(ReplayStoreTest, ResumesARunWithVersionTwoShards) {
  const std::string dir = TempDir("replay_version_two");
  std::filesystem::create_directories(dir);
  std::vector<GameRecord> old_games;
  for (int g = 0; g < 4; ++g) old_games.push_back(TaggedGame(g, 10));
  for (int s = 0; s < 2; ++s) {
    std::ofstream(absl::StrCat(dir, "/", ShardFileName(s)), std::ios::binary)
        << testing::LegacyShardBytes(
               2, "connect4",
               {old_games.begin() + 2 * s, old_games.begin() + 2 * s + 2});
  }
  ReplayBufferOptions options;
  options.capacity_positions = 1000;
  ReplayBuffer buffer(Connect4(), options);
  absl::StatusOr<LoadStats> stats = LoadRecentGames(dir, &buffer);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->games_loaded, 4);
  EXPECT_EQ(stats->corrupt_records + stats->damaged_shards, 0);
  {
    auto store = ReplayStore::Open(dir, "connect4", 2);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Append(TaggedGame(4, 10)).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  absl::StatusOr<std::vector<std::string>> shards = ListShards(dir);
  ASSERT_TRUE(shards.ok());
  ASSERT_EQ(shards->size(), 3u);
  absl::StatusOr<ShardContents> newest = ReadShard(shards->back());
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(newest->format_version, kRecordFormatVersion);
  ReplayBuffer resumed(Connect4(), options);
  stats = LoadRecentGames(dir, &resumed);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->shards_read, 3);
  EXPECT_EQ(stats->games_loaded, 5);
  EXPECT_EQ(resumed.counts().positions_in_window, 50);
}

TEST(ReplayStoreTest, OtherGamesShardsAreAnError) {
  const std::string dir = TempDir("replay_other_game");
  {
    auto store = ReplayStore::Open(dir, "tictactoe", 3);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(
        (*store)->Append(RandomGameRecord(**FindGame("tictactoe"), 1)).ok());
  }
  ReplayBuffer buffer(Connect4(), {});
  absl::Status status = LoadRecentGames(dir, &buffer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("tictactoe"), std::string::npos) << status;
}

}  // namespace
}  // namespace az::selfplay
