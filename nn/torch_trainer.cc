#include "nn/torch_trainer.h"

#include <chrono>
#include <cstring>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/crc32c.h"
#include "base/file.h"
#include "glog/logging.h"
#include "nn/checkpoint.h"

namespace az::nn {
namespace {

// Optimizer-state file: magic, the step counter, the network's description
// (to refuse a file of another shape with a clear message rather than a
// LibTorch shape error mid-step), LibTorch's archive of the optimizer, and a
// CRC-32C of everything before it (LibTorch's archive alone does not catch
// every corruption).
constexpr char kMagic[8] = {'A', 'Z', 'O', 'P', 'T', 'M', '0', '1'};

template <typename T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
bool Get(const std::string& in, size_t& pos, T* value) {
  if (in.size() - pos < sizeof(T)) return false;
  std::memcpy(value, in.data() + pos, sizeof(T));
  pos += sizeof(T);
  return true;
}

// LibTorch reports errors by throwing; none may cross the plugin boundary.
absl::Status TorchError(const std::string& what, const std::exception& e) {
  // c10::Error's what() carries a backtrace; its first line is the message.
  std::string message = e.what();
  message = message.substr(0, message.find('\n'));
  return absl::InternalError(absl::StrCat(what, ": ", message));
}

}  // namespace

TorchTrainer::TorchTrainer(ResNet net, const CheckpointMetadata& start,
                           const TrainerOptions& options)
    : net_(std::move(net)),
      options_(options),
      step_(start.training_step),
      weight_version_(start.weight_version) {
  net_->train();
  optimizer_ = NewOptimizer();
}

std::unique_ptr<torch::optim::AdamW> TorchTrainer::NewOptimizer() const {
  return std::make_unique<torch::optim::AdamW>(
      net_->parameters(), torch::optim::AdamWOptions(options_.learning_rate)
                              .weight_decay(options_.weight_decay));
}

absl::StatusOr<std::unique_ptr<TorchTrainer>> TorchTrainer::Create(
    const Checkpoint& start, const TrainerOptions& options) {
  if (!(options.learning_rate > 0) || options.weight_decay < 0 ||
      options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("trainer options: learning rate ", options.learning_rate,
                     " (must be > 0), weight decay ", options.weight_decay,
                     " (>= 0), threads ", options.threads, " (>= 1)"));
  }
  try {
    absl::StatusOr<ResNet> net = ResNetFromCheckpoint(start);
    if (!net.ok()) return net.status();
    return std::unique_ptr<TorchTrainer>(
        new TorchTrainer(std::move(*net), start.metadata, options));
  } catch (const std::exception& e) {
    return TorchError("creating the trainer", e);
  }
}

absl::StatusOr<TrainStepStats> TorchTrainer::Step(const TrainingBatch& batch) {
  const NetworkConfig& c = net_->config();
  const int observation_size = c.input_planes * c.board_height * c.board_width;
  if (batch.size < 1 || batch.observation_size != observation_size ||
      batch.num_actions != c.num_actions || batch.observations == nullptr ||
      batch.policy_targets == nullptr || batch.wdl_targets == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "training batch of ", batch.size, " positions with observations of ",
        batch.observation_size, " floats and ", batch.num_actions,
        " actions (and every array given); ", c.Describe(), " needs ",
        observation_size, " floats and ", c.num_actions, " actions"));
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    torch::set_num_threads(options_.threads);
    auto blob = [](const float* data, std::vector<int64_t> shape) {
      return torch::from_blob(const_cast<float*>(data), shape, torch::kFloat32);
    };
    torch::Tensor x = blob(batch.observations, {batch.size, c.input_planes,
                                                c.board_height, c.board_width});
    torch::Tensor policy =
        blob(batch.policy_targets, {batch.size, c.num_actions});
    torch::Tensor wdl = blob(batch.wdl_targets, {batch.size, 3});
    LossTerms loss = PolicyValueLoss(net_->forward(x), policy, wdl);
    optimizer_->zero_grad();
    loss.total().backward();
    optimizer_->step();
    ++step_;
    TrainStepStats stats;
    stats.policy_loss = loss.policy.item<double>();
    stats.value_loss = loss.value.item<double>();
    stats.step = step_;
    stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return stats;
  } catch (const std::exception& e) {
    return TorchError("training step", e);
  }
}

absl::StatusOr<Checkpoint> TorchTrainer::Snapshot() {
  try {
    Checkpoint checkpoint;
    checkpoint.metadata.config = net_->config();
    checkpoint.metadata.training_step = step_;
    checkpoint.tensors = ExportTensors(net_);
    checkpoint.metadata.weight_version = ++weight_version_;
    return checkpoint;
  } catch (const std::exception& e) {
    return TorchError("snapshot of the trainer's weights", e);
  }
}

absl::Status TorchTrainer::SaveOptimizerState(const std::string& path) {
  std::string payload;
  try {
    torch::serialize::OutputArchive archive;
    optimizer_->save(archive);
    std::ostringstream stream;
    archive.save_to(stream);
    payload = stream.str();
  } catch (const std::exception& e) {
    return TorchError(absl::StrCat("saving the optimizer state to ", path), e);
  }
  const std::string config = net_->config().Describe();
  std::string out(kMagic, sizeof(kMagic));
  Put<int64_t>(out, step_);
  Put<uint32_t>(out, config.size());
  out += config;
  Put<uint64_t>(out, payload.size());
  out += payload;
  Put<uint32_t>(out, base::Crc32c(out.data(), out.size()));
  return base::WriteFileAtomically(path, out);
}

size_t TorchTrainer::MaxOptimizerStateBytes() const {
  // AdamW keeps two moments per parameter, each the parameter's size; the
  // rest is the archive's bookkeeping, a few hundred bytes per tensor. The
  // bound allows twice that and a megabyte besides.
  size_t parameter_bytes = 0, tensors = 0;
  for (const torch::Tensor& p : net_->parameters()) {
    parameter_bytes += static_cast<size_t>(p.numel()) * p.element_size();
    ++tensors;
  }
  return 4 * parameter_bytes + 16 * 1024 * tensors + (size_t{1} << 20) +
         net_->config().Describe().size();
}

absl::Status TorchTrainer::LoadOptimizerState(const std::string& path) {
  absl::StatusOr<std::string> read =
      base::ReadFileBounded(path, MaxOptimizerStateBytes());
  if (absl::IsNotFound(read.status())) {
    return absl::NotFoundError(
        absl::StrCat("optimizer state ", path, ": cannot open it"));
  }
  if (!read.ok()) {
    return absl::Status(
        read.status().code(),
        absl::StrCat("optimizer state: ", read.status().message()));
  }
  std::string& in = *read;
  auto corrupt = [&](const std::string& why) {
    return absl::DataLossError(
        absl::StrCat("optimizer state ", path, " is corrupt: ", why));
  };
  if (in.size() < sizeof(kMagic) + sizeof(uint32_t) ||
      std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("not an az optimizer-state file");
  }
  uint32_t crc;
  size_t crc_pos = in.size() - sizeof(crc);
  Get(in, crc_pos, &crc);
  if (base::Crc32c(in.data(), in.size() - sizeof(crc)) != crc) {
    return corrupt("checksum mismatch (truncated or damaged)");
  }
  in.resize(in.size() - sizeof(crc));
  size_t pos = sizeof(kMagic);
  int64_t step;
  uint32_t config_size;
  uint64_t payload_size;
  if (!Get(in, pos, &step) || !Get(in, pos, &config_size) ||
      in.size() - pos < config_size) {
    return corrupt("header cut short");
  }
  const std::string config = in.substr(pos, config_size);
  pos += config_size;
  if (!Get(in, pos, &payload_size) || in.size() - pos != payload_size) {
    return corrupt("payload size does not match the file");
  }
  if (config != net_->config().Describe()) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer state ", path, " is for ", config,
                     ", this trainer has ", net_->config().Describe()));
  }
  // Loaded into a fresh optimizer first, so that a failure leaves this one.
  std::unique_ptr<torch::optim::AdamW> optimizer;
  try {
    optimizer = NewOptimizer();
    torch::serialize::InputArchive archive;
    std::istringstream stream(in.substr(pos));
    archive.load_from(stream);
    optimizer->load(archive);
  } catch (const std::exception& e) {
    return absl::DataLossError(
        TorchError(absl::StrCat("loading optimizer state ", path), e)
            .message());
  }
  // The saved hyperparameters give way to this run's options.
  for (torch::optim::OptimizerParamGroup& group : optimizer->param_groups()) {
    auto& options = static_cast<torch::optim::AdamWOptions&>(group.options());
    options.lr(options_.learning_rate).weight_decay(options_.weight_decay);
  }
  if (step != step_) {
    LOG(WARNING) << "optimizer state " << path << " was saved at step " << step
                 << ", the weights are at step " << step_
                 << "; counting on from " << step;
  }
  optimizer_ = std::move(optimizer);
  step_ = step;
  return absl::OkStatus();
}

void TorchTrainer::SetLearningRate(double rate) {
  options_.learning_rate = rate;
  for (torch::optim::OptimizerParamGroup& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(rate);
  }
}

}  // namespace az::nn
