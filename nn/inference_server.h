// The inference server: many search threads submit positions, one inference
// thread batches them into a single forward pass and hands each caller its
// own answers.
//
// The server is an engine::Evaluator, so the search runs unchanged against
// the network. Callers encode their positions and turn logits into
// probabilities on their own threads; the inference thread only gathers,
// runs the network and scatters, so the network is the bottleneck and not
// the bookkeeping around it. New weights can be published at any time: the
// server switches between two batches, and every answer says which weight
// version produced it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/evaluator.h"
#include "nn/checkpoint.h"
#include "nn/forward_backend.h"

namespace az::nn {

struct InferenceServerOptions {
  InferenceOptions inference;  // backend, device, precision, threads
  // Largest batch of one forward pass.
  int max_batch = 256;
  // After the first request of a batch arrives, how long to wait for more
  // before running a partial batch (microseconds).
  int batch_timeout_us = 500;
  // How many threads call Evaluate, where the caller knows (0: unknown).
  // Once that many calls are waiting no more can come, so a partial batch
  // runs at once instead of waiting out the timeout.
  int clients = 0;
};

struct InferenceServerStats {
  uint64_t batches = 0;          // forward passes run
  uint64_t positions = 0;        // positions evaluated
  double mean_batch = 0.0;       // positions per forward pass
  double mean_fill = 0.0;        // mean_batch / max_batch
  double forward_seconds = 0.0;  // time inside the forward pass
  double mean_queue_wait_us = 0.0;  // request arrival to its batch's start
  double seconds = 0.0;          // since the server started
  double evals_per_s = 0.0;      // positions / seconds
  int64_t weight_version = 0;    // version of the weights now in use
};

class InferenceServer final : public engine::Evaluator {
 public:
  static absl::StatusOr<std::unique_ptr<InferenceServer>> Create(
      const Checkpoint& checkpoint, const InferenceServerOptions& options);
  // The same around a backend already made (`weight_version` names its
  // weights); options.inference is used only by PublishWeights. For tests
  // and tools that bring their own backend.
  static absl::StatusOr<std::unique_ptr<InferenceServer>> CreateWithBackend(
      std::unique_ptr<ForwardBackend> backend, int64_t weight_version,
      const InferenceServerOptions& options);
  ~InferenceServer() override;  // stops the inference thread

  std::string Name() const override;
  const NetworkConfig& config() const { return config_; }
  // Where the network runs, e.g. "cpu (fast avx2 fp32, 1 thread)".
  std::string Describe() const;

  // Blocks until every state has its answer. Thread-safe. Each result's
  // value is the network's learned WDL estimate (never exact) and carries the
  // weight version that produced it. Fails with failure() once a forward
  // pass has failed.
  absl::Status Evaluate(absl::Span<const State* const> states,
                        absl::Span<float> priors,
                        absl::Span<engine::LeafEvaluation> results) override;

  // Raw network outputs for already-encoded positions (batch x input size
  // floats): policy logits and WDL logits, as the backend writes them.
  // Returns the weight version that answered, or failure().
  absl::StatusOr<int64_t> EvaluateEncoded(const float* observations, int count,
                                          float* policy_logits,
                                          float* wdl_logits);

  // OK until a forward pass fails; then that error, for good. The failure
  // is sticky: every call waiting on the failed batch, every call queued
  // behind it and every later call gets it, since a device that ran out of
  // memory or went away is rarely back for the next batch, and a search
  // that got some answers and not others would only fail later, less
  // clearly. (PublishWeights does not clear it: make a new server.)
  absl::Status failure() const;

  // Switches to new weights of the same shape for the batches that start
  // after this returns. Fails (and keeps the old weights) on another shape.
  absl::Status PublishWeights(const Checkpoint& checkpoint);

  InferenceServerStats Stats() const;
  // The version of the weights that answer now (cheap: no lock).
  int64_t weight_version() const { return version_.load(); }

 private:
  struct Request;
  InferenceServer() = default;
  void Run();
  // Queues one call's requests together.
  void Submit(std::vector<Request>& requests);
  bool AllClientsWaiting() const;  // needs mu_
  // Answers the requests queued now with failure_ (needs mu_).
  void FailQueued();

  InferenceServerOptions options_;
  NetworkConfig config_;
  int input_size_ = 0;
  // The last Game whose name was checked against config_.game.
  std::atomic<const Game*> verified_game_{nullptr};

  mutable std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<Request*> queue_;
  int queued_positions_ = 0;
  int waiting_calls_ = 0;  // EvaluateEncoded calls waiting for answers
  bool stop_ = false;
  absl::Status failure_;                          // see failure()
  std::unique_ptr<ForwardBackend> backend_;       // used by Run() only
  std::unique_ptr<ForwardBackend> next_backend_;  // published, not yet used
  int64_t next_version_ = 0;
  std::atomic<int64_t> version_{0};

  // Statistics (under mu_).
  uint64_t batches_ = 0, positions_ = 0, requests_ = 0;
  double forward_seconds_ = 0.0, queue_wait_us_ = 0.0;
  std::chrono::steady_clock::time_point start_;

  std::thread thread_;
};

}  // namespace az::nn
