#include "selfplay/run_dir.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/file.h"
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

TEST(RunDirTest, TheRunsRewardSpecComesFromItsConfig) {
  const std::string run = ::testing::TempDir() + "/run_dir_reward";
  std::filesystem::remove_all(run);
  std::filesystem::create_directories(run);
  // No config (a run from before reward specs): the rules.
  EXPECT_EQ(*RunRewardSpec(run), "rules");
  const std::string config = RunPaths(run).config();
  ASSERT_TRUE(base::WriteFileAtomically(config, "# flags\n--games=9\n").ok());
  EXPECT_EQ(*RunRewardSpec(run), "rules");
  ASSERT_TRUE(base::WriteFileAtomically(
                  config, "--games=9\n  --reward=no_diagonals \n--seed=1\n")
                  .ok());
  EXPECT_EQ(*RunRewardSpec(run), "no_diagonals");
  ASSERT_TRUE(base::WriteFileAtomically(config, "--reward=\n").ok());
  EXPECT_FALSE(RunRewardSpec(run).ok());
}

TEST(RunLockTest, ASecondWriterIsRefusedWithTheHolderNamed) {
  const std::string run = FreshRun("run_lock_second");
  auto first = RunLock::Acquire(run);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = RunLock::Acquire(run);
  ASSERT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  const std::string pid = "process " + std::to_string(::getpid());
  EXPECT_NE(second.status().message().find(pid), std::string::npos)
      << second.status();
  EXPECT_EQ(second.status().message().find('\n'), std::string::npos);
  // Released with the object: the next writer gets it.
  first->reset();
  EXPECT_TRUE(RunLock::Acquire(run).ok());
}

TEST(RunLockTest, AnotherProcessHoldsItUntilItDies) {
  const std::string run = FreshRun("run_lock_process");
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = RunLock::Acquire(run);
    const char ok = lock.ok() ? 'y' : 'n';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(2);
    char c;
    if (::read(release[0], &c, 1) < 0) ::_exit(3);
    // Dies holding the lock: nothing releases it but the kernel.
    ::_exit(0);
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  auto refused = RunLock::Acquire(run);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("process " +
                                            std::to_string(child)),
            std::string::npos)
      << refused.status();
  ASSERT_EQ(::write(release[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // The dead holder's file is still there, naming it: not a blocker.
  std::ifstream in(RunPaths(run).lock());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(std::to_string(child)), std::string::npos);
  auto taken = RunLock::Acquire(run);
  ASSERT_TRUE(taken.ok()) << taken.status();
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

TEST(RunLockTest, AMissingRunDirectoryIsAnError) {
  EXPECT_FALSE(RunLock::Acquire(::testing::TempDir() + "/no/such/run").ok());
}

}  // namespace
}  // namespace az::selfplay
