#include "nn/inference_server.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace az::nn {

struct InferenceServer::Request {
  const float* observations = nullptr;
  int count = 0;
  float* policy_logits = nullptr;
  float* wdl_logits = nullptr;
  int64_t version = 0;
  bool done = false;
  absl::Status status;  // set with done: why the request has no answer
  std::condition_variable done_cv;
  std::chrono::steady_clock::time_point enqueued;
};

absl::StatusOr<std::unique_ptr<InferenceServer>> InferenceServer::Create(
    const Checkpoint& checkpoint, const InferenceServerOptions& options) {
  absl::StatusOr<std::unique_ptr<ForwardBackend>> backend =
      CreateForwardBackend(checkpoint, options.inference);
  if (!backend.ok()) return backend.status();
  return CreateWithBackend(*std::move(backend),
                           checkpoint.metadata.weight_version, options);
}

absl::StatusOr<std::unique_ptr<InferenceServer>>
InferenceServer::CreateWithBackend(std::unique_ptr<ForwardBackend> backend,
                                   int64_t weight_version,
                                   const InferenceServerOptions& options) {
  if (options.max_batch < 1 || options.max_batch > 65536) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max batch must be in [1, 65536], not ", options.max_batch));
  }
  if (options.clients < 0) {
    return absl::InvalidArgumentError("server clients must be >= 0");
  }
  if (options.batch_timeout_us < 0 || options.batch_timeout_us > 10'000'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch timeout must be in [0, 10 s], not ", options.batch_timeout_us,
        " us"));
  }
  std::unique_ptr<InferenceServer> server(new InferenceServer);
  server->options_ = options;
  server->config_ = backend->config();
  server->input_size_ = server->config_.input_planes *
                        server->config_.board_height *
                        server->config_.board_width;
  server->backend_ = std::move(backend);
  server->version_ = weight_version;
  server->start_ = std::chrono::steady_clock::now();
  server->thread_ = std::thread([raw = server.get()] { raw->Run(); });
  return server;
}

InferenceServer::~InferenceServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string InferenceServer::Name() const {
  return absl::StrCat("net:", config_.Describe());
}

std::string InferenceServer::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  return backend_->Describe();
}

absl::Status InferenceServer::PublishWeights(const Checkpoint& checkpoint) {
  if (!checkpoint.metadata.config.SameShape(config_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot publish ", checkpoint.metadata.config.Describe(),
        " weights to a server running ", config_.Describe()));
  }
  // Build the new network on the caller's thread; the swap itself is cheap.
  absl::StatusOr<std::unique_ptr<ForwardBackend>> backend =
      CreateForwardBackend(checkpoint, options_.inference);
  if (!backend.ok()) return backend.status();
  std::lock_guard<std::mutex> lock(mu_);
  next_backend_ = std::move(*backend);
  next_version_ = checkpoint.metadata.weight_version;
  return absl::OkStatus();
}

bool InferenceServer::AllClientsWaiting() const {
  return options_.clients > 0 && waiting_calls_ >= options_.clients;
}

absl::Status InferenceServer::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

void InferenceServer::FailQueued() {
  for (Request* r : queue_) {
    r->status = failure_;
    r->done = true;
    r->done_cv.notify_one();
  }
  queue_.clear();
  queued_positions_ = 0;
}

void InferenceServer::Submit(std::vector<Request>& requests) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  CHECK(!stop_) << "InferenceServer used after it stopped";
  ++waiting_calls_;
  if (!failure_.ok()) {
    // Sticky (see failure()): answered at once, nothing is queued.
    for (Request& r : requests) {
      r.status = failure_;
      r.done = true;
    }
    return;
  }
  const bool was_empty = queue_.empty();
  for (Request& r : requests) {
    r.enqueued = now;
    queue_.push_back(&r);
    queued_positions_ += r.count;
  }
  if (was_empty || queued_positions_ >= options_.max_batch ||
      AllClientsWaiting()) {
    queue_cv_.notify_one();
  }
}

absl::StatusOr<int64_t> InferenceServer::EvaluateEncoded(
    const float* observations, int count, float* policy_logits,
    float* wdl_logits) {
  // Requests larger than a batch go in pieces, all queued before waiting.
  const int pieces = (count + options_.max_batch - 1) / options_.max_batch;
  std::vector<Request> requests(pieces);
  for (int i = 0; i < pieces; ++i) {
    int first = i * options_.max_batch;
    Request& r = requests[i];
    r.count = std::min(options_.max_batch, count - first);
    r.observations = observations + static_cast<size_t>(first) * input_size_;
    r.policy_logits =
        policy_logits + static_cast<size_t>(first) * config_.num_actions;
    r.wdl_logits = wdl_logits + static_cast<size_t>(first) * 3;
  }
  Submit(requests);
  int64_t version = 0;
  absl::Status status;
  std::unique_lock<std::mutex> lock(mu_);
  // Every piece is waited for, failed or not: the inference thread holds
  // pointers into `requests` until it marks them done.
  for (Request& r : requests) {
    r.done_cv.wait(lock, [&] { return r.done; });
    version = std::max(version, r.version);
    status.Update(r.status);
  }
  --waiting_calls_;
  if (!status.ok()) return status;
  return version;
}

absl::Status InferenceServer::Evaluate(
    absl::Span<const State* const> states, absl::Span<float> priors,
    absl::Span<engine::LeafEvaluation> results) {
  const int n = static_cast<int>(states.size());
  const int actions = config_.num_actions;
  if (priors.size() < static_cast<size_t>(n) * actions ||
      results.size() < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError("Evaluate: output spans are too small");
  }
  // Per-thread buffers: no allocation once a thread has seen its largest
  // batch.
  thread_local std::vector<float> observations, policy_logits, wdl_logits;
  thread_local std::vector<Action> legal;
  observations.resize(static_cast<size_t>(n) * input_size_);
  policy_logits.resize(static_cast<size_t>(n) * actions);
  wdl_logits.resize(static_cast<size_t>(n) * 3);
  legal.resize(actions);
  for (int i = 0; i < n; ++i) {
    // Games are registry singletons: compare names once per Game object,
    // then only pointers on this hot path.
    const Game* game = &states[i]->game();
    if (game != verified_game_.load(std::memory_order_relaxed)) {
      if (game->Name() != config_.game) {
        return absl::InvalidArgumentError(
            absl::StrCat("a ", config_.game, " network cannot evaluate a ",
                         game->Name(), " position"));
      }
      verified_game_.store(game, std::memory_order_relaxed);
    }
    states[i]->EncodeObservation(observations.data() +
                                 static_cast<size_t>(i) * input_size_);
  }
  absl::StatusOr<int64_t> answered = EvaluateEncoded(
      observations.data(), n, policy_logits.data(), wdl_logits.data());
  if (!answered.ok()) return answered.status();
  const int64_t version = *answered;
  for (int i = 0; i < n; ++i) {
    // Softmax over the legal actions only; illegal actions get exactly 0.
    const float* logits = policy_logits.data() + static_cast<size_t>(i) * actions;
    float* prior = priors.data() + static_cast<size_t>(i) * actions;
    std::fill(prior, prior + actions, 0.0f);
    int count = states[i]->FillLegalActions(legal.data());
    float max_logit = -INFINITY;
    for (int k = 0; k < count; ++k) max_logit = std::max(max_logit, logits[legal[k]]);
    float sum = 0.0f;
    for (int k = 0; k < count; ++k) {
      float e = std::exp(logits[legal[k]] - max_logit);
      prior[legal[k]] = e;
      sum += e;
    }
    for (int k = 0; k < count; ++k) prior[legal[k]] /= sum;
    const float* wdl = wdl_logits.data() + static_cast<size_t>(i) * 3;
    float m = std::max({wdl[0], wdl[1], wdl[2]});
    float e0 = std::exp(wdl[0] - m), e1 = std::exp(wdl[1] - m),
          e2 = std::exp(wdl[2] - m);
    float z = e0 + e1 + e2;
    engine::LeafEvaluation& result = results[i];
    result.value = engine::ValueEstimate{e0 / z, e1 / z, e2 / z};
    result.exact.reset();  // a network's value is never exact
    result.weights_version = version;
  }
  return absl::OkStatus();
}

void InferenceServer::Run() {
  std::vector<float> observations(static_cast<size_t>(options_.max_batch) *
                                  input_size_);
  std::vector<float> policy(static_cast<size_t>(options_.max_batch) *
                            config_.num_actions);
  std::vector<float> wdl(static_cast<size_t>(options_.max_batch) * 3);
  std::vector<Request*> batch;
  const auto timeout = std::chrono::microseconds(options_.batch_timeout_us);
  for (;;) {
    int64_t version;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left to answer
      // Give a partial batch a little time to fill.
      const auto deadline = queue_.front()->enqueued + timeout;
      while (!stop_ && queued_positions_ < options_.max_batch &&
             !AllClientsWaiting() &&
             queue_cv_.wait_until(lock, deadline) !=
                 std::cv_status::timeout) {
      }
      batch.clear();
      int total = 0;
      while (!queue_.empty() &&
             total + queue_.front()->count <= options_.max_batch) {
        total += queue_.front()->count;
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      queued_positions_ -= total;
      if (next_backend_ != nullptr) {
        backend_ = std::move(next_backend_);
        version_ = next_version_;
      }
      version = version_;
      auto now = std::chrono::steady_clock::now();
      for (Request* r : batch) {
        queue_wait_us_ +=
            std::chrono::duration<double, std::micro>(now - r->enqueued).count();
        ++requests_;
      }
    }
    int total = 0;
    for (Request* r : batch) {
      std::copy(r->observations,
                r->observations + static_cast<size_t>(r->count) * input_size_,
                observations.data() + static_cast<size_t>(total) * input_size_);
      total += r->count;
    }
    auto t0 = std::chrono::steady_clock::now();
    absl::Status status = backend_->Forward(observations.data(), total,
                                            policy.data(), wdl.data());
    if (!status.ok()) {
      VLOG(1) << "inference stopped: " << status;
      std::lock_guard<std::mutex> lock(mu_);
      failure_ = absl::Status(
          status.code(),
          absl::StrCat("network forward pass failed: ", status.message()));
      for (Request* r : batch) {
        r->status = failure_;
        r->done = true;
        r->done_cv.notify_one();
      }
      FailQueued();
      continue;  // later requests are failed in Submit
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    int offset = 0;
    for (Request* r : batch) {
      std::copy(policy.data() + static_cast<size_t>(offset) * config_.num_actions,
                policy.data() +
                    static_cast<size_t>(offset + r->count) * config_.num_actions,
                r->policy_logits);
      std::copy(wdl.data() + static_cast<size_t>(offset) * 3,
                wdl.data() + static_cast<size_t>(offset + r->count) * 3,
                r->wdl_logits);
      offset += r->count;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++batches_;
    positions_ += total;
    forward_seconds_ += seconds;
    for (Request* r : batch) {
      r->version = version;
      r->done = true;
      r->done_cv.notify_one();
    }
  }
}

InferenceServerStats InferenceServer::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  InferenceServerStats s;
  s.batches = batches_;
  s.positions = positions_;
  s.mean_batch = batches_ ? static_cast<double>(positions_) / batches_ : 0.0;
  s.mean_fill = s.mean_batch / options_.max_batch;
  s.forward_seconds = forward_seconds_;
  s.mean_queue_wait_us = requests_ ? queue_wait_us_ / requests_ : 0.0;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start_)
                  .count();
  s.evals_per_s = s.seconds > 0 ? positions_ / s.seconds : 0.0;
  s.weight_version = version_;
  return s;
}

}  // namespace az::nn
