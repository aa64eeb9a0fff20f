#include "games/position_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "games/registry.h"
#include "gtest/gtest.h"
#include "tests/child_process.h"
#include "tests/test_util.h"

namespace az {
namespace {

const Game& Connect4() { return **FindGame("connect4"); }

std::vector<Action> Actions(absl::string_view moves) {
  auto actions = Connect4().ParseMoves(moves);
  EXPECT_TRUE(actions.ok()) << actions.status();
  return actions.ok() ? *actions : std::vector<Action>{};
}

// Not position files: a device that never ends, a FIFO nobody writes, a
// (sparse) file over the size limit. Each is refused at once, in a child
// with capped memory and time so that a regression fails rather than hangs.
TEST(PositionFileTest, DevicesFifosAndOversizedFilesAreRefusedAtOnce) {
  const std::string dir = ::testing::TempDir() + "/position_file_special_" +
                          std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const std::string huge = dir + "/huge";
  std::ofstream(huge) << "";
  ASSERT_EQ(::truncate(huge.c_str(), kMaxPositionFileBytes + 1), 0);
  const std::pair<std::string, std::string> cases[] = {
      {"/dev/zero", "regular file"}, {fifo, "regular file"}, {huge, "limit"}};
  for (const auto& [path, fragment] : cases) {
    testing::ChildOutcome outcome = testing::RunInBoundedChild(
        [&] {
          auto records = ReadPositionFile(Connect4(), path);
          std::fprintf(stderr, "%s\n", records.status().ToString().c_str());
          const std::string message(records.status().message());
          return absl::IsFailedPrecondition(records.status()) &&
                         message.find(path) != std::string::npos &&
                         message.find(fragment) != std::string::npos &&
                         message.find('\n') == std::string::npos
                     ? 0
                     : 1;
        },
        /*timeout_s=*/20);
    EXPECT_TRUE(outcome.ok()) << path << ": " << outcome.Describe();
  }
  std::filesystem::remove_all(dir);
}

TEST(PositionFileTest, ReadsMovesScoresCommentsAndBlankLines) {
  std::string path = testing::WriteTempFile("good.txt",
                                            "# Pons' format\n"
                                            "4453 -2\n"
                                            "\n"
                                            "   \t\n"
                                            "  # indented comment\n"
                                            "2252576253462244111563 +3\r\n"
                                            "\t44 \t 0  \n"
                                            "7\n"
                                            "1,2,3 -18");
  auto records = ReadPositionFile(Connect4(), path);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 5u);
  const auto& r = *records;
  EXPECT_EQ(r[0].line, 2);
  EXPECT_EQ(r[0].moves, "4453");
  EXPECT_EQ(r[0].actions, Actions("4453"));
  EXPECT_EQ(r[0].score, -2);
  EXPECT_EQ(r[1].line, 6);
  EXPECT_EQ(r[1].moves, "2252576253462244111563");
  EXPECT_EQ(r[1].score, 3);
  EXPECT_EQ(r[2].line, 7);
  EXPECT_EQ(r[2].moves, "44");
  EXPECT_EQ(r[2].score, 0);
  EXPECT_EQ(r[3].line, 8);
  EXPECT_EQ(r[3].moves, "7");
  EXPECT_FALSE(r[3].score.has_value());
  EXPECT_EQ(r[4].line, 9);
  EXPECT_EQ(r[4].actions, Actions("123"));
  EXPECT_EQ(r[4].score, -18);
}

TEST(PositionFileTest, EmptyTextHasNoPositions) {
  auto records = ParsePositions(Connect4(), "", "empty");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
  records = ParsePositions(Connect4(), "\n\n# only comments\n", "comments");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

TEST(PositionFileTest, WorksForOtherGames) {
  const Game& tictactoe = **FindGame("tictactoe");
  auto records = ParsePositions(tictactoe, "513 1\n5,1,3\n", "ttt");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].actions, (std::vector<Action>{4, 0, 2}));
  EXPECT_EQ((*records)[0].score, 1);
  EXPECT_EQ((*records)[1].actions, (*records)[0].actions);
  EXPECT_FALSE((*records)[1].score.has_value());
}

struct BadLine {
  std::string text;    // the file contents
  int line;            // the line the error must name
  const char* reason;  // a part of the reason
};

class MalformedLineTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(MalformedLineTest, IsAnErrorNamingFileAndLine) {
  const BadLine& bad = GetParam();
  auto records = ParsePositions(Connect4(), bad.text, "set.txt");
  ASSERT_FALSE(records.ok()) << bad.text;
  EXPECT_EQ(records.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(records.status().message());
  std::string prefix = "set.txt:" + std::to_string(bad.line) + ": ";
  EXPECT_EQ(message.substr(0, prefix.size()), prefix) << message;
  EXPECT_NE(message.find(bad.reason), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedLineTest,
    ::testing::Values(BadLine{"4453 1\n4483 2\n", 2,
                              "move 3 \"8\" at character 3"},
                      BadLine{"# c\n\n44x3\n", 3, "no such column"},
                      BadLine{"4444444 0\n", 1, "column 4 is full"},
                      BadLine{"44\n1412171 0\n", 2, "already over"},
                      BadLine{"1412171\n", 1, "already over"},
                      BadLine{"44 99999999999999999999\n", 1, "bad score"},
                      BadLine{"44 1.5\n", 1, "bad score \"1.5\""},
                      BadLine{"44 -\n", 1, "bad score"},
                      BadLine{"44 --3\n", 1, "bad score"},
                      BadLine{"44 3 x\n", 1, "no such column"},
                      BadLine{"\xff\xfe\n", 1, "\\xff"},
                      BadLine{std::string("4\0"
                                          "4 1\n",
                                          6),
                              1, "\\x00"}));

TEST(PositionFileTest, MissingFileIsNotFound) {
  std::string path = testing::WriteTempFile("x", "") + "-does-not-exist";
  auto records = ReadPositionFile(Connect4(), path);
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(records.status().message().find(path), std::string::npos);
}

TEST(PositionFileTest, DirectoryIsAnError) {
  auto records = ReadPositionFile(Connect4(), ::testing::TempDir());
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.status().message().find("cannot"), std::string::npos)
      << records.status();
}

TEST(PositionFileTest, RandomBytesNeverCrash) {
  std::mt19937 rng(17);
  // Mostly characters that mean something in the format, some of any kind.
  const std::string kAlphabet = "1234567 \t\n#-+0.,89x\r";
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    int length = rng() % 60;
    for (int k = 0; k < length; ++k) {
      text += rng() % 8 == 0 ? static_cast<char>(rng() % 256)
                             : kAlphabet[rng() % kAlphabet.size()];
    }
    auto records = ParsePositions(Connect4(), text, "random");
    if (!records.ok()) {
      EXPECT_EQ(records.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(records.status().message().substr(0, 7), "random:");
      continue;
    }
    ++parsed;
    for (const PositionRecord& r : *records) {
      auto state = Connect4().NewInitialState();
      for (Action a : r.actions) {
        ASSERT_TRUE(state->IsLegal(a));
        state->Apply(a);
      }
      EXPECT_FALSE(state->IsTerminal());
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace az
