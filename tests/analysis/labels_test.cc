#include "analysis/labels.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/crc32c.h"
#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/child_process.h"
#include "tests/test_util.h"

namespace az::analysis {
namespace {

const Game& TicTacToe() { return **FindGame("tictactoe"); }

PositionSet TicTacToeSet(int n, uint64_t seed = 1) {
  auto spec =
      ParseGeneratorSpec("random:" + std::to_string(n), TicTacToe(), seed);
  return *GeneratePositionSet(TicTacToe(), *spec);
}

TEST(LabelsTest, SolverLabelsArePerfectPlayValues) {
  PositionSet set = TicTacToeSet(100);
  LabelOptions options;
  LabelStats stats;
  auto labels = LabelPositions(set, options, &stats);
  ASSERT_TRUE(labels.ok()) << labels.status();
  auto solver = TicTacToe().NewExactSolver();
  for (size_t i = 0; i < set.positions.size(); ++i) {
    const GroundTruth& g = (*labels)[i];
    auto state = TicTacToe().NewInitialState();
    for (Action a : set.positions[i].actions) state->Apply(a);
    auto exact = solver->Solve(*state);
    ASSERT_TRUE(exact.ok());
    EXPECT_EQ(g.source, LabelSource::kSolver);
    EXPECT_TRUE(g.target.exact);
    EXPECT_EQ(g.target.Value(), exact->reward.value());
    EXPECT_EQ(g.score, exact->score);
    // Moves labelled: the best move reward is the position's reward.
    ASSERT_EQ(g.move_rewards.size(), state->LegalActions().size());
    int best = -1;
    for (const auto& [a, r] : g.move_rewards) best = std::max(best, r);
    EXPECT_EQ(best, exact->reward.value());
  }
  EXPECT_EQ(stats.computed, 100);
  EXPECT_FALSE(stats.any_estimate);
}

TEST(LabelsTest, MoveMistakes) {
  GroundTruth g;
  EXPECT_FALSE(IsMoveMistake(g, 0).has_value());
  g.move_rewards = {{0, 0}, {3, 1}, {5, -1}};
  EXPECT_EQ(IsMoveMistake(g, 3), false);
  EXPECT_EQ(IsMoveMistake(g, 0), true);
  EXPECT_EQ(IsMoveMistake(g, 5), true);
  EXPECT_EQ(IsMoveMistake(g, 7), true);  // not a legal move
}

TEST(LabelsTest, FileScoresAreTrusted) {
  const Game& c4 = **FindGame("connect4");
  auto set = LoadPositionFileSet(
      c4, az::testing::TestDataDir() + "/connect4/Test_L3_R1_head");
  ASSERT_TRUE(set.ok());
  set->positions.resize(20);
  LabelOptions options;
  options.label_moves = false;
  LabelStats stats;
  auto labels = LabelPositions(*set, options, &stats);
  ASSERT_TRUE(labels.ok()) << labels.status();
  for (size_t i = 0; i < 20; ++i) {
    const GroundTruth& g = (*labels)[i];
    EXPECT_EQ(g.source, LabelSource::kFileScore);
    EXPECT_EQ(g.score, set->positions[i].file_score);
    const int score = *set->positions[i].file_score;
    EXPECT_EQ(g.target.Value(), score > 0 ? 1 : score < 0 ? -1 : 0);
    EXPECT_TRUE(g.move_rewards.empty());
  }
  EXPECT_TRUE(absl::StrContains(stats.description, "file scores"));
}

TEST(LabelsTest, CacheIsReusedAndNeverTrustedWhenDamaged) {
  const std::string path = ::testing::TempDir() + "/labels_cache_test";
  std::remove(path.c_str());
  PositionSet set = TicTacToeSet(50);
  LabelOptions options;
  options.cache_path = path;
  LabelStats first, second, third;
  auto a = LabelPositions(set, options, &first);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(first.cache_written);
  EXPECT_EQ(first.computed, 50);
  auto b = LabelPositions(set, options, &second);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(second.from_cache, 50);
  EXPECT_EQ(second.computed, 0);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ((*a)[i].target.Value(), (*b)[i].target.Value());
    EXPECT_EQ((*a)[i].score, (*b)[i].score);
    EXPECT_EQ((*a)[i].move_rewards, (*b)[i].move_rewards);
  }
  // Flip one label in the file: the checksum catches it.
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string contents = text.str();
  const size_t at = contents.find("\n1 0 0 1") != std::string::npos
                        ? contents.find("\n1 0 0 1")
                        : contents.find("\n0 0 1 1");
  ASSERT_NE(at, std::string::npos);
  std::swap(contents[at + 1], contents[at + 5]);
  std::ofstream(path) << contents;
  EXPECT_TRUE(absl::IsDataLoss(
      ReadLabelCache(path, set.ContentHash(), "solver+moves", 50).status()));
  auto c = LabelPositions(set, options, &third);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(third.computed, 50);
  EXPECT_EQ(third.from_cache, 0);
  // Another set's contents do not match the cache.
  PositionSet other = TicTacToeSet(50, 2);
  EXPECT_TRUE(absl::IsFailedPrecondition(
      ReadLabelCache(path, other.ContentHash(), "solver+moves", 50).status()));
  LabelStats fourth;
  ASSERT_TRUE(LabelPositions(other, options, &fourth).ok());
  EXPECT_EQ(fourth.computed, 50);
}

// A cache path that holds no file (a device, a FIFO) or a file far larger
// than the labels of its set could be: refused without reading it all or
// waiting for a writer, then labelled afresh and replaced by a real cache.
// Run in a child with capped memory and time, so that a reader without a
// bound fails the test instead of exhausting the machine.
TEST(LabelsTest, ACacheThatCannotBeALabelCacheIsRelabelledUnread) {
  const std::string dir =
      ::testing::TempDir() + "/labels_special_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  PositionSet set = TicTacToeSet(20);
  const std::string device = dir + "/device";
  std::filesystem::create_symlink("/dev/zero", device);
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const std::string huge = dir + "/huge";
  std::ofstream(huge) << "";
  ASSERT_EQ(::truncate(huge.c_str(), int64_t{2} << 30), 0);  // sparse
  const std::pair<std::string, std::string> cases[] = {
      {device, "regular file"}, {fifo, "regular file"}, {huge, "limit"}};
  for (const auto& [path, fragment] : cases) {
    testing::ChildOutcome outcome = testing::RunInBoundedChild(
        [&] {
          auto read = ReadLabelCache(path, set.ContentHash(), "solver", 20);
          std::fprintf(stderr, "%s\n", read.status().ToString().c_str());
          const absl::string_view message = read.status().message();
          if (read.ok() || absl::IsNotFound(read.status()) ||
              message.find(path) == absl::string_view::npos ||
              message.find(fragment) == absl::string_view::npos) {
            return 1;
          }
          LabelOptions options;
          options.cache_path = path;
          LabelStats stats;
          auto labels = LabelPositions(set, options, &stats);
          if (!labels.ok() || stats.computed != 20 || !stats.cache_written) {
            return 2;
          }
          return std::filesystem::is_regular_file(
                     std::filesystem::symlink_status(path))
                     ? 0
                     : 3;
        },
        /*timeout_s=*/20);
    EXPECT_TRUE(outcome.ok()) << path << ": " << outcome.Describe();
  }
}

// Lines that are damaged but carry a valid checksum (a bug in a writer, not
// a torn write) are refused line by line, each naming its entry.
TEST(LabelsTest, ACacheWithABadEntryNamesTheEntry) {
  PositionSet set = TicTacToeSet(20);
  LabelStats stats;
  auto labels = LabelPositions(set, LabelOptions(), &stats);
  ASSERT_TRUE(labels.ok()) << labels.status();
  const std::string good = EncodeLabelCache(set.ContentHash(), "k", *labels);
  const std::string body = good.substr(0, good.rfind("crc32c "));
  auto sealed = [](const std::string& b) {
    return b +
           absl::StrFormat("crc32c %08x\n", base::Crc32c(b.data(), b.size()));
  };
  const std::string path = ::testing::TempDir() + "/labels_bad_entry";
  auto read = [&](const std::string& contents) {
    std::ofstream(path, std::ios::binary) << contents;
    return ReadLabelCache(path, set.ContentHash(), "k", 20).status();
  };
  EXPECT_TRUE(read(sealed(body)).ok());
  EXPECT_TRUE(read(good + "\n\n").ok()) << "blank lines after the checksum";
  // The first entry with a label source out of range.
  std::vector<std::string> lines = absl::StrSplit(body, '\n');
  std::vector<std::string> fields = absl::StrSplit(lines[4], ' ');
  ASSERT_EQ(fields.size(), 7u) << lines[4];
  fields[4] = "7";
  lines[4] = absl::StrJoin(fields, " ");
  const std::string bad_source = absl::StrJoin(lines, "\n");
  absl::Status s = read(sealed(bad_source));
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "(entry 1)")) << s;
  // A move reward that is not -1, 0 or 1.
  s = read(sealed(absl::StrReplaceAll(body, {{":1", ":2"}})));
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "(entry ")) << s;
  s = read(sealed(body + "0 0 1 1 1 - -\n"));
  EXPECT_TRUE(absl::StrContains(s.message(), "(line count)")) << s;
  s = read(body);
  EXPECT_TRUE(absl::StrContains(s.message(), "(no checksum line)")) << s;
}

TEST(LabelsTest, NoSolverNeedsPlayouts) {
  const Game& othello = **FindGame("othello");
  auto spec = ParseGeneratorSpec("random:4:plies=50-55", othello, 1);
  ASSERT_TRUE(spec.ok());
  auto set = GeneratePositionSet(othello, *spec);
  ASSERT_TRUE(set.ok()) << set.status();
  auto none = LabelPositions(*set, LabelOptions(), nullptr);
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_TRUE(absl::StrContains(none.status().message(), "--playout"));

  selfplay::PlayerOptions player_options;
  auto random =
      selfplay::PlayerFactory::Create(othello, "random", player_options);
  ASSERT_TRUE(random.ok());
  LabelOptions options;
  options.playout_games = 20;
  options.playout_player = random->get();
  LabelStats stats;
  auto labels = LabelPositions(*set, options, &stats);
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_TRUE(stats.any_estimate);
  for (const GroundTruth& g : *labels) {
    EXPECT_EQ(g.source, LabelSource::kPlayout);
    EXPECT_FALSE(g.target.exact);
    EXPECT_NEAR(g.target.wdl.win + g.target.wdl.draw + g.target.wdl.loss, 1.0,
                1e-9);
    EXPECT_TRUE(g.move_rewards.empty());
  }
}

}  // namespace
}  // namespace az::analysis
