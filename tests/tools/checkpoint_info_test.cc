// What az info prints about a checkpoint, in-process on one made by hand.
#include "tools/checkpoint_info.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace az {
namespace {

nn::Checkpoint HandMadeCheckpoint() {
  nn::Checkpoint checkpoint;
  nn::NetworkConfig& c = checkpoint.metadata.config;
  c.game = "connect4";
  c.blocks = 2;
  c.channels = 16;
  c.input_planes = 3;
  c.board_height = 6;
  c.board_width = 7;
  c.num_actions = 7;
  checkpoint.metadata.training_step = 1234;
  checkpoint.metadata.weight_version = 5;
  checkpoint.tensors.push_back({"a", {2, 3}, std::vector<float>(6)});
  checkpoint.tensors.push_back({"b", {4}, std::vector<float>(4)});
  return checkpoint;
}

TEST(CheckpointInfoTest, CountsEveryWeight) {
  EXPECT_EQ(CheckpointParameters(HandMadeCheckpoint()), 10);
  EXPECT_EQ(CheckpointParameters(nn::Checkpoint{}), 0);
}

TEST(CheckpointInfoTest, TextHasOneAlignedLinePerFact) {
  EXPECT_EQ(CheckpointInfoText("/runs/c4.ckpt", HandMadeCheckpoint()),
            "checkpoint      /runs/c4.ckpt\n"
            "game            connect4\n"
            "network         2 blocks x 16 channels, 10 values\n"
            "input           3 planes of 6x7\n"
            "policy          7 actions\n"
            "value           win/draw/loss (learned estimate)\n"
            "training step   1234\n"
            "weight version  5\n"
            "format version  1\n");
}

TEST(CheckpointInfoTest, JsonHasTheShapeAndTheVersions) {
  nn::Checkpoint checkpoint = HandMadeCheckpoint();
  nlohmann::json j =
      nlohmann::json::parse(CheckpointInfoJson("/runs/c4.ckpt", checkpoint));
  EXPECT_EQ(j["path"], "/runs/c4.ckpt");
  EXPECT_EQ(j["game"], "connect4");
  EXPECT_EQ(j["blocks"], 2);
  EXPECT_EQ(j["channels"], 16);
  EXPECT_EQ(j["input_planes"], 3);
  EXPECT_EQ(j["board_height"], 6);
  EXPECT_EQ(j["board_width"], 7);
  EXPECT_EQ(j["num_actions"], 7);
  EXPECT_EQ(j["policy_channels"], checkpoint.metadata.config.policy_channels);
  EXPECT_EQ(j["value_channels"], checkpoint.metadata.config.value_channels);
  EXPECT_EQ(j["value_hidden"], checkpoint.metadata.config.value_hidden);
  EXPECT_EQ(j["training_step"], 1234);
  EXPECT_EQ(j["weight_version"], 5);
  EXPECT_EQ(j["format_version"], nn::kCheckpointFormatVersion);
  EXPECT_EQ(j["parameters"], 10);
}

}  // namespace
}  // namespace az
