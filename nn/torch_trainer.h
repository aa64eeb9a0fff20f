// The LibTorch trainer behind nn/trainer.h: AdamW on the ResNet module.
// Internal to the plugin and its tests (it includes LibTorch); everyone else
// uses CreateTrainer.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "nn/resnet.h"
#include "nn/trainer.h"

namespace az::nn {

class TorchTrainer final : public Trainer {
 public:
  static absl::StatusOr<std::unique_ptr<TorchTrainer>> Create(
      const Checkpoint& start, const TrainerOptions& options);

  absl::StatusOr<TrainStepStats> Step(const TrainingBatch& batch) override;
  absl::StatusOr<Checkpoint> Snapshot() override;
  absl::Status SaveOptimizerState(const std::string& path) override;
  absl::Status LoadOptimizerState(const std::string& path) override;
  void SetLearningRate(double rate) override;
  double learning_rate() const override { return options_.learning_rate; }
  int64_t step() const override { return step_; }

  // The module being trained (in train mode), for tests that compare it.
  ResNet& module() { return net_; }

 private:
  TorchTrainer(ResNet net, const CheckpointMetadata& start,
               const TrainerOptions& options);
  std::unique_ptr<torch::optim::AdamW> NewOptimizer() const;
  // The largest optimizer-state file this network's state could fill; a
  // bigger file is refused unread.
  size_t MaxOptimizerStateBytes() const;

  ResNet net_;
  TrainerOptions options_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t step_;
  int64_t weight_version_;  // of the last snapshot (or the start checkpoint)
};

}  // namespace az::nn
