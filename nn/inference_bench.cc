#include "nn/inference_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "games/registry.h"
#include "glog/logging.h"
#include "nn/inference_server.h"

namespace az::nn {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Positions from random play, encoded, `count` of them.
std::vector<float> EncodedPositions(const Game& game, int count,
                                    std::vector<std::unique_ptr<State>>* states) {
  std::mt19937_64 rng(12345);
  const int size = game.GetObservationShape().size();
  std::vector<float> obs(static_cast<size_t>(count) * size);
  for (int i = 0; i < count; ++i) {
    auto state = game.NewInitialState();
    int plies = rng() % std::max(1, game.MaxGameLength() / 2);
    for (int k = 0; k < plies; ++k) {
      auto legal = state->LegalActions();
      auto next = state->Clone();
      next->Apply(legal[rng() % legal.size()]);
      if (next->IsTerminal()) break;
      state = std::move(next);
    }
    state->EncodeObservation(obs.data() + static_cast<size_t>(i) * size);
    states->push_back(std::move(state));
  }
  return obs;
}

// Evaluations per second of back-to-back forward passes of one batch.
absl::StatusOr<double> ForwardRate(ForwardBackend& backend, const float* obs,
                                   int batch, double seconds) {
  std::vector<float> policy(static_cast<size_t>(batch) * backend.config().num_actions);
  std::vector<float> wdl(static_cast<size_t>(batch) * 3);
  // warm-up
  if (absl::Status s = backend.Forward(obs, batch, policy.data(), wdl.data());
      !s.ok()) {
    return s;
  }
  auto start = Clock::now();
  int64_t done = 0;
  do {
    if (absl::Status s = backend.Forward(obs, batch, policy.data(), wdl.data());
        !s.ok()) {
      return s;
    }
    done += batch;
  } while (Seconds(start) < seconds);
  return done / Seconds(start);
}

void Softmax(const float* logits, int n, float* out) {
  float m = *std::max_element(logits, logits + n);
  float z = 0;
  for (int i = 0; i < n; ++i) z += out[i] = std::exp(logits[i] - m);
  for (int i = 0; i < n; ++i) out[i] /= z;
}

// How far `backend` is from `reference` on the `n` positions at obs.
absl::StatusOr<ForwardAccuracy> CompareForwards(ForwardBackend& reference,
                                                ForwardBackend& backend,
                                                const float* obs, int n) {
  const int a = reference.config().num_actions;
  std::vector<float> p_ref(n * a), v_ref(n * 3), p_fast(n * a), v_fast(n * 3);
  for (absl::Status s :
       {reference.Forward(obs, n, p_ref.data(), v_ref.data()),
        backend.Forward(obs, n, p_fast.data(), v_fast.data())}) {
    if (!s.ok()) return s;
  }
  ForwardAccuracy accuracy;
  std::vector<float> pr(a), pf(a), wr(3), wf(3);
  for (int i = 0; i < n; ++i) {
    Softmax(&p_ref[i * a], a, pr.data());
    Softmax(&p_fast[i * a], a, pf.data());
    Softmax(&v_ref[i * 3], 3, wr.data());
    Softmax(&v_fast[i * 3], 3, wf.data());
    for (int k = 0; k < a; ++k) {
      accuracy.max_policy_diff =
          std::max<double>(accuracy.max_policy_diff, std::abs(pr[k] - pf[k]));
    }
    double dv = std::abs((wr[0] - wr[2]) - (wf[0] - wf[2]));
    accuracy.max_value_diff = std::max(accuracy.max_value_diff, dv);
    accuracy.mean_value_diff += dv / n;
  }
  return accuracy;
}

// The fast backend's SIMD kernel sets and precisions (CreateForwardBackend
// refuses, FailedPrecondition, those this processor cannot run).
std::vector<InferenceOptions> KernelVariants(int threads) {
  std::vector<InferenceOptions> variants;
  const std::pair<KernelSet, Precision> all[] = {
      {KernelSet::kAvx2, Precision::kFloat32},
      {KernelSet::kAvx512, Precision::kFloat32},
      {KernelSet::kAvx512, Precision::kBFloat16},
      {KernelSet::kAmx, Precision::kBFloat16}};
  for (const auto& [kernels, precision] : all) {
    InferenceOptions o;
    o.backend = "fast";
    o.device = "cpu";
    o.kernels = kernels;
    o.precision = precision;
    o.threads = threads;
    variants.push_back(o);
  }
  return variants;
}

// The same network behind the server at the bare run's best thread
// setting, fed by several clients that each submit a slice of a batch at a
// time: fills the server fields of `result`.
absl::Status MeasureServer(const Checkpoint& checkpoint,
                           const InferenceBenchOptions& options,
                           const std::vector<float>& obs,
                           InferenceBenchResult* result) {
  const NetworkConfig& config = checkpoint.metadata.config;
  InferenceServerOptions server_options;
  server_options.inference = options.inference;
  server_options.inference.threads = result->bare_threads;
  server_options.max_batch = options.batch;
  auto server = InferenceServer::Create(checkpoint, server_options);
  if (!server.ok()) return server.status();
  const int per_call = std::max(1, options.batch / 4);
  std::vector<double> server_rates;
  for (int round = 0; round < 3; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> evaluated{0};
    std::vector<std::thread> clients;
    InferenceServerStats before = (*server)->Stats();
    auto start = Clock::now();
    for (int c = 0; c < options.clients; ++c) {
      clients.emplace_back([&, c] {
        std::vector<float> policy(per_call * config.num_actions), wdl(per_call * 3);
        const int first = (c * per_call) % std::max(1, options.batch - per_call + 1);
        while (!stop.load(std::memory_order_relaxed)) {
          // A failed server fails every later call too (sticky): the
          // round's error is read once the clients are joined.
          if (!(*server)
                   ->EvaluateEncoded(
                       obs.data() + static_cast<size_t>(first) *
                                        (obs.size() / options.batch),
                       per_call, policy.data(), wdl.data())
                   .ok()) {
            break;
          }
          evaluated += per_call;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
    stop = true;
    for (auto& t : clients) t.join();
    if (absl::Status s = (*server)->failure(); !s.ok()) return s;
    double elapsed = Seconds(start);
    InferenceServerStats after = (*server)->Stats();
    server_rates.push_back((after.positions - before.positions) / elapsed);
    result->server_mean_batch =
        static_cast<double>(after.positions - before.positions) /
        std::max<uint64_t>(1, after.batches - before.batches);
  }
  result->server_evals_per_s = Median(server_rates);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<InferenceBenchResult> RunInferenceBench(
    const Checkpoint& checkpoint, const InferenceBenchOptions& options) {
  if (options.batch < 1 || options.seconds <= 0 || options.max_threads < 1 ||
      options.clients < 1) {
    return absl::InvalidArgumentError(
        "bench: batch, seconds, threads and clients must be positive");
  }
  const NetworkConfig& config = checkpoint.metadata.config;
  absl::StatusOr<const Game*> game = FindGame(config.game);
  if (!game.ok()) return game.status();
  std::vector<std::unique_ptr<State>> states;
  std::vector<float> obs = EncodedPositions(**game, options.batch, &states);
  InferenceBenchResult result;
  result.batch = options.batch;

  // Build every contender first, then measure them in interleaved rounds so
  // that a burst of load elsewhere hits all of them alike.
  struct Contender {
    std::unique_ptr<ForwardBackend> backend;
    bool naive;
    int threads;
    std::vector<double> rates;
    bool variant = false;  // one of the kernel comparison's
    std::string kernels;   // a variant's kernel set and precision
  };
  std::vector<Contender> contenders;
  for (int t = 1; t <= options.max_threads; ++t) {
    InferenceOptions naive;
    naive.backend = "naive";
    naive.device = "cpu";
    naive.threads = t;
    auto n = CreateForwardBackend(checkpoint, naive);
    if (!n.ok()) return n.status();
    contenders.push_back({std::move(*n), true, t, {}, false, ""});
    InferenceOptions bare = options.inference;
    bare.threads = t;
    auto b = CreateForwardBackend(checkpoint, bare);
    if (!b.ok()) return b.status();
    contenders.push_back({std::move(*b), false, t, {}, false, ""});
  }
  if (options.compare_kernels) {
    for (const InferenceOptions& o : KernelVariants(options.max_threads)) {
      auto v = CreateForwardBackend(checkpoint, o);
      if (absl::IsFailedPrecondition(v.status())) continue;  // not here
      if (!v.ok()) return v.status();
      contenders.push_back({std::move(*v), false, o.threads, {}, true,
                            absl::StrCat(KernelSetName(o.kernels), " ",
                                         PrecisionName(o.precision))});
    }
  }
  for (int round = 0; round < 3; ++round) {
    for (Contender& c : contenders) {
      absl::StatusOr<double> rate =
          ForwardRate(*c.backend, obs.data(), options.batch, options.seconds);
      if (!rate.ok()) return rate.status();
      c.rates.push_back(*rate);
    }
  }
  for (Contender& c : contenders) {
    double rate = Median(c.rates);
    VLOG(1) << c.backend->Describe() << ": " << rate << " evals/s";
    if (c.variant) {
      absl::StatusOr<ForwardAccuracy> accuracy = CompareForwards(
          *contenders[0].backend, *c.backend, obs.data(), options.batch);
      if (!accuracy.ok()) return accuracy.status();
      result.kernels.push_back({c.kernels, rate, *accuracy});
    } else if (c.naive && rate > result.naive_evals_per_s) {
      result.naive_evals_per_s = rate;
      result.naive_threads = c.threads;
    } else if (!c.naive && rate > result.bare_evals_per_s) {
      result.bare_evals_per_s = rate;
      result.bare_threads = c.threads;
      result.device = c.backend->Describe();
    }
  }

  // Accuracy against LibTorch's fp32 forward.
  absl::StatusOr<ForwardAccuracy> accuracy =
      CompareForwards(*contenders[0].backend, *contenders[1].backend,
                      obs.data(), options.batch);
  if (!accuracy.ok()) return accuracy.status();
  result.max_value_diff = accuracy->max_value_diff;
  result.max_policy_diff = accuracy->max_policy_diff;
  contenders.clear();

  if (absl::Status s = MeasureServer(checkpoint, options, obs, &result);
      !s.ok()) {
    return s;
  }
  result.ratio = result.server_evals_per_s / result.bare_evals_per_s;
  result.speedup = result.bare_evals_per_s / result.naive_evals_per_s;
  result.bare_gflops = result.bare_evals_per_s * 2.0 * config.MacsPerPosition() / 1e9;
  return result;
}

}  // namespace az::nn
