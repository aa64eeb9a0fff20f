#include "selfplay/run_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/child_process.h"

namespace az::selfplay {
namespace {

TEST(RunDirTest, NamesCheckpointsByStep) {
  EXPECT_EQ(CheckpointFileName(0), "step-00000000.ckpt");
  EXPECT_EQ(CheckpointFileName(1200), "step-00001200.ckpt");
  RunPaths paths("runs/x");
  EXPECT_EQ(paths.checkpoint(7), "runs/x/checkpoints/step-00000007.ckpt");
  EXPECT_EQ(paths.heldout(), "runs/x/heldout");
}

TEST(RunDirTest, ListsCheckpointsInTrainingOrderAndFollowsLatest) {
  const std::string run = ::testing::TempDir() + "/run_dir_list";
  ASSERT_EQ(std::system(("rm -rf " + run + " && mkdir -p " + run +
                         "/checkpoints")
                            .c_str()),
            0);
  EXPECT_EQ(ListCheckpoints(run + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  for (const char* name : {"step-00000200.ckpt", "step-00000010.ckpt",
                           "step-00000010.ckpt.tmp", "latest", "optimizer"}) {
    std::ofstream(run + "/checkpoints/" + name) << "x";
  }
  auto list = ListCheckpoints(run);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].step, 10);
  EXPECT_EQ((*list)[1].step, 200);
  EXPECT_EQ((*list)[1].path, run + "/checkpoints/step-00000200.ckpt");

  ASSERT_TRUE(WriteLatestPointer(run, CheckpointFileName(200)).ok());
  auto latest = LatestCheckpoint(run);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(*latest, run + "/checkpoints/step-00000200.ckpt");
}

std::string FreshRun(const std::string& name) {
  const std::string run = ::testing::TempDir() + "/run_dir_" + name;
  std::filesystem::remove_all(run);
  std::filesystem::create_directories(run + "/checkpoints");
  return run;
}

// What LatestCheckpoint says about `run`, run in a child with capped memory
// and time: a reader that blocks or reads without end fails the test
// instead of hanging it. The child exits 0 when the status is an error that
// names the pointer and `fragment` and is not NotFound (which would let a
// resume start over as if the run had no checkpoint).
testing::ChildOutcome LatestInChild(const std::string& run,
                                    const std::string& fragment) {
  return testing::RunInBoundedChild(
      [&] {
        absl::StatusOr<std::string> latest = LatestCheckpoint(run);
        std::fprintf(stderr, "%s\n", latest.status().ToString().c_str());
        const std::string message(latest.status().message());
        return !latest.ok() && !absl::IsNotFound(latest.status()) &&
                       message.find("latest") != std::string::npos &&
                       message.find(fragment) != std::string::npos &&
                       message.find('\n') == std::string::npos
                   ? 0
                   : 1;
      },
      /*timeout_s=*/10);
}

TEST(RunDirTest, ALatestPointerThatIsNoFileIsRefusedAtOnce) {
  const std::string run = FreshRun("latest_device");
  const std::string pointer = RunPaths(run).latest_pointer();
  std::filesystem::create_symlink("/dev/zero", pointer);
  testing::ChildOutcome outcome = LatestInChild(run, "regular file");
  EXPECT_TRUE(outcome.ok()) << "/dev/zero: " << outcome.Describe();

  std::filesystem::remove(pointer);
  ASSERT_EQ(::mkfifo(pointer.c_str(), 0644), 0);
  outcome = LatestInChild(run, "regular file");
  EXPECT_TRUE(outcome.ok()) << "FIFO: " << outcome.Describe();
}

TEST(RunDirTest, ALatestPointerTooLongForAFileNameIsRefused) {
  const std::string run = FreshRun("latest_long");
  std::ofstream(RunPaths(run).latest_pointer())
      << std::string(kMaxLatestPointerBytes + 1, 'a');
  testing::ChildOutcome outcome = LatestInChild(run, "limit");
  EXPECT_TRUE(outcome.ok()) << outcome.Describe();
}

TEST(RunDirTest, ALatestPointerWithTwoLinesIsDamaged) {
  const std::string run = FreshRun("latest_two_lines");
  std::ofstream(RunPaths(run).latest_pointer())
      << "step-00000010.ckpt\nstep-00000020.ckpt\n";
  absl::StatusOr<std::string> latest = LatestCheckpoint(run);
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kDataLoss)
      << latest.status();
}

}  // namespace
}  // namespace az::selfplay
