#include "nn/trainer.h"

#include "nn/torch_plugin.h"

namespace az::nn {

absl::StatusOr<std::unique_ptr<Trainer>> CreateTrainer(
    const Checkpoint& start, const TrainerOptions& options) {
  absl::StatusOr<const TorchApi*> api = LoadTorchApi();
  if (!api.ok()) return api.status();
  return (*api)->create_trainer(start, options);
}

}  // namespace az::nn
