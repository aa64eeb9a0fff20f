// The trainer of self-play training: takes batches of positions with their
// search targets, takes optimizer steps on the network, and publishes the
// weights as checkpoints. No LibTorch here: the implementation lives in the
// LibTorch plugin (nn/torch_trainer.cc), reached through nn/torch_plugin.h,
// so the training loop and tools can drive it without including torch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nn/checkpoint.h"

namespace az::nn {

struct TrainerOptions {
  // Adam with decoupled weight decay (AdamW): the decay does not pass through
  // Adam's per-parameter scaling, so it shrinks every weight alike.
  double learning_rate = 2e-3;
  double weight_decay = 1e-4;
  int threads = 1;  // LibTorch intra-op threads for the training step
};

// One batch of training positions, row-major, owned by the caller. The sizes
// are carried so that a batch of the wrong game or shape is refused instead
// of being read out of bounds.
struct TrainingBatch {
  int size = 0;              // positions in the batch
  int observation_size = 0;  // floats per observation: must match the network
  int num_actions = 0;       // policy entries per position: must match too
  const float* observations = nullptr;    // size x observation_size
  const float* policy_targets = nullptr;  // size x num_actions, rows sum to 1
  const float* wdl_targets = nullptr;     // size x 3: win, draw, loss
};

struct TrainStepStats {
  double policy_loss = 0;  // cross-entropy, mean over the batch (before step)
  double value_loss = 0;   // WDL cross-entropy, mean over the batch
  double seconds = 0;      // wall time of the step
  int64_t step = 0;        // optimizer steps taken, this one included
};

class Trainer {
 public:
  virtual ~Trainer() = default;

  // One optimizer step on `batch`: InvalidArgument if its sizes do not match
  // the network.
  virtual absl::StatusOr<TrainStepStats> Step(const TrainingBatch& batch) = 0;

  // The current weights (batch-norm running statistics included) with the
  // network's config; training_step is step(), and weight_version is one
  // more than the previous snapshot's (the first: the start's plus one).
  virtual absl::StatusOr<Checkpoint> Snapshot() = 0;

  // The optimizer's moments and the step counter, written atomically, so
  // that training resumes exactly where it stopped: a trainer created from a
  // snapshot taken at the same step, after LoadOptimizerState, takes the
  // same steps as one that never stopped.
  virtual absl::Status SaveOptimizerState(const std::string& path) = 0;
  // NotFound if missing, DataLoss if corrupt, InvalidArgument if written for
  // a network of another shape, FailedPrecondition if `path` is not a
  // regular file or is larger than this network's state can be (refused
  // before it is read). On error the trainer is unchanged. The
  // learning rate and weight decay stay those of TrainerOptions (so a resumed
  // run may change them); the step counter becomes the file's.
  virtual absl::Status LoadOptimizerState(const std::string& path) = 0;

  // The learning rate of the steps that follow (a schedule moves it during
  // a run; LoadOptimizerState keeps it).
  virtual void SetLearningRate(double rate) = 0;
  virtual double learning_rate() const = 0;

  // Optimizer steps taken to reach the current weights (counting from the
  // start checkpoint's training_step).
  virtual int64_t step() const = 0;
};

// A trainer starting from `start`'s weights, with fresh optimizer state.
// Loads the LibTorch plugin: FailedPrecondition if it is not available.
absl::StatusOr<std::unique_ptr<Trainer>> CreateTrainer(
    const Checkpoint& start, const TrainerOptions& options);

}  // namespace az::nn
