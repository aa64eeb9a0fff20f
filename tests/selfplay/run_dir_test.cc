#include "selfplay/run_dir.h"

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace az::selfplay
