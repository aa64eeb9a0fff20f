// The measurements and formatting of `az bench` (see bench.h).
#include "tools/bench.h"

#include <glog/logging.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "engine/evaluators.h"
#include "base/random.h"
#include "engine/search.h"
#include "selfplay/actor_farm.h"
#include "tools/command.h"

namespace az {
namespace {

using Json = nlohmann::json;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

// One single-threaded search per bench thread, seeded apart.
absl::StatusOr<std::vector<std::unique_ptr<engine::Search>>> CreateSearches(
    const Game& game, engine::Evaluator* evaluator,
    const engine::SearchParams& params, int threads) {
  std::vector<std::unique_ptr<engine::Search>> searches;
  for (int t = 0; t < threads; ++t) {
    engine::SearchParams p = params;
    p.num_threads = 1;
    p.seed = params.seed + t;
    ASSIGN_OR_RETURN(std::unique_ptr<engine::Search> search,
                     engine::Search::Create(game, evaluator, p));
    searches.push_back(std::move(search));
  }
  return searches;
}

// What one bench thread searched: every threads-th position from `first`.
struct ThreadCounts {
  int64_t simulations = 0, evaluations = 0, proven = 0;
  absl::Status status;
};

void SearchEvery(engine::Search& search,
                 const std::vector<std::unique_ptr<State>>& positions,
                 size_t first, size_t stride, ThreadCounts& counts) {
  for (size_t i = first; i < positions.size(); i += stride) {
    counts.status = search.SetPosition(*positions[i]);
    if (!counts.status.ok()) return;
    absl::StatusOr<engine::SearchResult> result = search.Run();
    if (!result.ok()) {
      counts.status = result.status();
      return;
    }
    counts.simulations += result->simulations;
    counts.evaluations += result->evaluations;
    counts.proven += result->proven();
  }
}

// Runs one search per position, a fresh tree each, split over `threads`
// independent threads (each with its own Search; the evaluator is shared).
absl::StatusOr<SearchThroughput> MeasureSearch(
    const Game& game, engine::Evaluator* evaluator,
    const engine::SearchParams& params,
    const std::vector<std::unique_ptr<State>>& positions, int threads) {
  ASSIGN_OR_RETURN(auto searches,
                   CreateSearches(game, evaluator, params, threads));
  std::vector<ThreadCounts> counts(threads);
  auto work = [&](int t) {
    SearchEvery(*searches[t], positions, t, threads, counts[t]);
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& thread : pool) thread.join();
  SearchThroughput out;
  out.seconds = SecondsSince(start);
  for (const ThreadCounts& c : counts) {
    RETURN_IF_ERROR(c.status);
    out.simulations += c.simulations;
    out.evaluations += c.evaluations;
    out.proven_roots += c.proven;
  }
  out.sims_per_s =
      out.seconds > 0 ? out.simulations / out.seconds / threads : 0.0;
  return out;
}

void LogSearch(const std::string& name, const SearchThroughput& t) {
  LOG(INFO) << name << ": " << t.simulations << " simulations ("
            << t.evaluations << " evaluated leaves, " << t.proven_roots
            << " roots proven) in " << t.seconds << " s";
}


// Network evaluations per second of back-to-back forward passes of `batch`
// positions from random openings, for `seconds` after one warm-up pass.
absl::StatusOr<double> BareForwardRate(const Game& game,
                                       const nn::Checkpoint& checkpoint,
                                       const nn::InferenceOptions& options,
                                       int batch, double seconds,
                                       int max_opening_plies, uint64_t seed) {
  ASSIGN_OR_RETURN(std::unique_ptr<nn::ForwardBackend> backend,
                   nn::CreateForwardBackend(checkpoint, options));
  const int input_size = game.GetObservationShape().size();
  std::vector<float> observations(static_cast<size_t>(batch) * input_size);
  std::vector<std::unique_ptr<State>> positions =
      RandomPositions(game, batch, max_opening_plies, seed);
  for (int i = 0; i < batch; ++i) {
    positions[i]->EncodeObservation(observations.data() +
                                    static_cast<size_t>(i) * input_size);
  }
  std::vector<float> policy(static_cast<size_t>(batch) * game.NumActions());
  std::vector<float> wdl(static_cast<size_t>(batch) * 3);
  auto forward = [&] {
    return backend->Forward(observations.data(), batch, policy.data(),
                            wdl.data());
  };
  RETURN_IF_ERROR(forward());
  const auto start = std::chrono::steady_clock::now();
  int64_t evaluated = 0;
  double elapsed = 0.0;
  do {
    RETURN_IF_ERROR(forward());
    evaluated += batch;
    elapsed = SecondsSince(start);
  } while (elapsed < seconds);
  return evaluated / elapsed;
}

// The server's and the farm's counters at the two ends of the window.
struct SelfplayWindow {
  nn::InferenceServerStats server_before, server_after;
  selfplay::ActorFarmStats farm_before, farm_after;
};

// Runs the farm for the warm-up and the window, then stops it.
absl::StatusOr<SelfplayWindow> RunFarm(const Game& game,
                                       nn::InferenceServer& server,
                                       const SelfplayBenchOptions& o) {
  selfplay::ActorFarmOptions farm_options;
  farm_options.search = o.params;
  farm_options.actor_threads = o.actor_threads;
  farm_options.games_per_thread = o.games_per_thread;
  farm_options.cache_entries = o.cache_entries;
  farm_options.seed = o.seed;
  absl::StatusOr<std::unique_ptr<selfplay::ActorFarm>> farm =
      selfplay::ActorFarm::Create(game, &server, farm_options,
                                  [](selfplay::GameRecord) {});
  if (!farm.ok()) return AsUsageError(farm.status());
  RETURN_IF_ERROR((*farm)->Start());
  auto sleep = [](double seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  };
  SelfplayWindow w;
  sleep(o.warmup_seconds);
  w.server_before = server.Stats();
  w.farm_before = (*farm)->Stats();
  sleep(o.seconds);
  w.server_after = server.Stats();
  w.farm_after = (*farm)->Stats();
  RETURN_IF_ERROR((*farm)->Stop());
  return w;
}

// The window's figures. Only positions that went through a forward pass
// count as network evaluations (the server's own figures), so the cache
// inflates neither those nor the ratio; what it saves shows in the
// simulations per evaluation.
SelfplayBenchResult SelfplayFigures(const SelfplayWindow& w) {
  SelfplayBenchResult r;
  r.window_seconds = w.server_after.seconds - w.server_before.seconds;
  const uint64_t evaluated =
      w.server_after.positions - w.server_before.positions;
  const uint64_t batches = w.server_after.batches - w.server_before.batches;
  r.nn_evals_per_s = r.window_seconds > 0 ? evaluated / r.window_seconds : 0;
  r.mean_batch = batches > 0 ? static_cast<double>(evaluated) / batches : 0;
  // The farm counts simulations per finished move search, too coarse for a
  // short window: scale the window's evaluations by the whole run's
  // simulations per network evaluation instead.
  const selfplay::ActorFarmStats& all = w.farm_after;
  const double sims_per_eval =
      w.server_after.positions > 0
          ? static_cast<double>(all.simulations) / w.server_after.positions
          : 0.0;
  r.sims_per_s = r.nn_evals_per_s * sims_per_eval;
  r.games = all.games;
  r.positions = all.positions;
  r.simulations = all.simulations;
  r.evaluations = all.evaluations;
  r.cache_hits = all.cache_hits;
  r.cache_hit_rate = all.evaluations > 0
                         ? static_cast<double>(all.cache_hits) / all.evaluations
                         : 0.0;
  r.window_games = all.games - w.farm_before.games;
  LOG(INFO) << "self-play: " << evaluated << " positions in " << batches
            << " forward passes in " << r.window_seconds << " s; "
            << all.games << " games, " << all.simulations
            << " simulations in all";
  return r;
}

}  // namespace

std::vector<std::unique_ptr<State>> RandomPositions(const Game& game, int n,
                                                    int max_plies,
                                                    uint64_t seed) {
  base::Rng rng(seed);
  std::vector<std::unique_ptr<State>> positions;
  std::vector<Action> legal(game.NumActions());
  while (static_cast<int>(positions.size()) < n) {
    std::unique_ptr<State> state = game.NewInitialState();
    int plies = static_cast<int>(rng.Below(max_plies + 1));
    for (int p = 0; p < plies && !state->IsTerminal(); ++p) {
      int count = state->FillLegalActions(legal.data());
      state->Apply(legal[rng.Below(count)]);
    }
    if (!state->IsTerminal()) positions.push_back(std::move(state));
  }
  return positions;
}

absl::StatusOr<SearchBenchOptions> SearchBenchOptionsOf(
    const engine::SearchParams& params, int searches, int max_opening_plies,
    int rollouts, uint64_t seed) {
  if (searches < 1 || max_opening_plies < 0) {
    return UsageError(
        "--searches must be >= 1 and --max_opening_plies >= 0");
  }
  SearchBenchOptions o;
  // Threads here run independent searches: the figure is per thread.
  o.threads = params.num_threads;
  o.params = params;
  o.params.num_threads = 1;
  o.searches = searches;
  o.max_opening_plies = max_opening_plies;
  o.rollouts = rollouts;
  o.seed = seed;
  return o;
}

absl::StatusOr<SearchBenchResult> RunSearchBench(const Game& game,
                                                 const SearchBenchOptions& o) {
  std::vector<std::unique_ptr<State>> positions =
      RandomPositions(game, o.searches, o.max_opening_plies, o.seed);
  // The tree alone: no cache, so that no evaluation is saved.
  engine::UniformEvaluator uniform(game);
  absl::StatusOr<std::unique_ptr<engine::RolloutEvaluator>> rollout =
      engine::RolloutEvaluator::Create(game, o.rollouts, o.seed);
  if (!rollout.ok()) {
    return UsageError(absl::StrCat("--rollouts: ", rollout.status().message()));
  }
  // A short warm-up so that the first figure does not pay for page faults.
  (void)MeasureSearch(game, &uniform, o.params,
                      RandomPositions(game, 10, o.max_opening_plies, 0), 1);
  SearchBenchResult r;
  ASSIGN_OR_RETURN(r.uniform, MeasureSearch(game, &uniform, o.params,
                                            positions, o.threads));
  LogSearch("uniform", r.uniform);
  ASSIGN_OR_RETURN(r.rollouts, MeasureSearch(game, rollout->get(), o.params,
                                             positions, o.threads));
  LogSearch((*rollout)->Name(), r.rollouts);
  return r;
}

Json SearchBenchJson(const Game& game, const SearchBenchOptions& o,
                     const SearchBenchResult& r) {
  return Json{
      {"what", "search"},
      {"game", game.Name()},
      {"sims_per_s", r.uniform.sims_per_s},
      {"rollout_sims_per_s", r.rollouts.sims_per_s},
      {"searches", o.searches},
      {"sims_per_search", o.params.num_simulations},
      {"threads", o.threads},
      {"simulations", r.uniform.simulations},
      {"evaluations", r.uniform.evaluations},
      {"proven_roots", r.uniform.proven_roots},
      {"seconds", r.uniform.seconds},
      {"rollout_simulations", r.rollouts.simulations},
      {"rollout_evaluations", r.rollouts.evaluations},
      {"rollout_proven_roots", r.rollouts.proven_roots},
      {"rollout_seconds", r.rollouts.seconds},
      {"rollouts_per_leaf", o.rollouts},
      {"max_opening_plies", o.max_opening_plies},
      {"seed", o.seed},
  };
}

std::string SearchBenchText(const Game& game, const SearchBenchOptions& o,
                            const SearchBenchResult& r) {
  return absl::StrFormat(
      "search bench: %s, %d searches of %d simulations from random "
      "openings of 0-%d plies, %d thread%s, fresh tree per search\n"
      "  uniform evaluator:   %12.0f simulations/s per thread\n"
      "  rollouts (k=%d):      %12.0f simulations/s per thread\n",
      game.Name(), o.searches, o.params.num_simulations, o.max_opening_plies,
      o.threads, o.threads == 1 ? "" : "s", r.uniform.sims_per_s, o.rollouts,
      r.rollouts.sims_per_s);
}

// The fast backend's kernel sets side by side: each one's rate, its ratio
// to LibTorch's naive forward and to the avx2 fp32 kernels, and its
// difference to fp32 LibTorch.
Json KernelRatesJson(const nn::InferenceBenchResult& r) {
  double avx2 = 0;
  for (const nn::KernelRate& k : r.kernels) {
    if (k.kernels == "avx2 fp32") avx2 = k.evals_per_s;
  }
  Json rates = Json::array();
  for (const nn::KernelRate& k : r.kernels) {
    Json entry = {
        {"kernels", k.kernels},
        {"evals_per_s", k.evals_per_s},
        {"vs_naive", k.evals_per_s / r.naive_evals_per_s},
        {"max_value_diff", k.accuracy.max_value_diff},
        {"mean_value_diff", k.accuracy.mean_value_diff},
        {"max_policy_diff", k.accuracy.max_policy_diff},
    };
    if (avx2 > 0) entry["vs_avx2"] = k.evals_per_s / avx2;
    rates.push_back(entry);
  }
  return rates;
}

Json InferenceBenchJson(const Game& game, const nn::NetworkConfig& config,
                        const nn::InferenceBenchResult& r, int clients) {
  return Json{
      {"what", "inference"},
      {"game", game.Name()},
      {"network", config.Describe()},
      {"device", r.device},
      {"batch", r.batch},
      {"naive_evals_per_s", r.naive_evals_per_s},
      {"naive_threads", r.naive_threads},
      {"bare_evals_per_s", r.bare_evals_per_s},
      {"bare_threads", r.bare_threads},
      {"bare_gflops", r.bare_gflops},
      {"server_evals_per_s", r.server_evals_per_s},
      {"server_mean_batch", r.server_mean_batch},
      {"ratio", r.ratio},
      {"speedup", r.speedup},
      {"max_value_diff", r.max_value_diff},
      {"max_policy_diff", r.max_policy_diff},
      {"clients", clients},
      {"kernels", KernelRatesJson(r)},
  };
}

std::string KernelRatesText(const nn::InferenceBenchResult& r) {
  if (r.kernels.empty()) return "";
  std::string text = "  fast backend by kernels (same batch, same process):\n";
  for (const Json& k : KernelRatesJson(r)) {
    absl::StrAppendFormat(
        &text, "    %-12s %10.0f evals/s  %.2fx naive%s  value diff max %.2g mean %.2g\n",
        k["kernels"].get<std::string>(), k["evals_per_s"].get<double>(),
        k["vs_naive"].get<double>(),
        k.contains("vs_avx2")
            ? absl::StrFormat(" %.2fx avx2", k["vs_avx2"].get<double>())
            : std::string(),
        k["max_value_diff"].get<double>(), k["mean_value_diff"].get<double>());
  }
  return text;
}

std::string InferenceBenchText(const nn::NetworkConfig& config,
                               const nn::InferenceBenchResult& r,
                               int clients) {
  return absl::StrFormat(
      "inference bench: %s network, batch %d\n"
      "  naive (LibTorch eval forward, fp32, %d thread%s): %10.0f evals/s\n"
      "  bare  (%s):    %10.0f evals/s  %.1fx naive, %.1f GFLOP/s\n"
      "  server (%d clients, mean batch %.1f):           %10.0f evals/s  "
      "%.2f of bare\n"
      "  largest difference to fp32 LibTorch: value %.2g, policy %.2g\n",
      config.Describe(), r.batch, r.naive_threads,
      r.naive_threads == 1 ? "" : "s", r.naive_evals_per_s, r.device,
      r.bare_evals_per_s, r.speedup, r.bare_gflops, clients,
      r.server_mean_batch, r.server_evals_per_s, r.ratio, r.max_value_diff,
      r.max_policy_diff) + KernelRatesText(r);
}

absl::Status CheckSelfplayBenchDurations(double seconds,
                                         double warmup_seconds) {
  if (seconds <= 0 || warmup_seconds < 0) {
    return UsageError("--seconds must be > 0 and --warmup_seconds >= 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<SelfplayBenchResult> RunSelfplayBench(
    const Game& game, const nn::Checkpoint& checkpoint,
    const SelfplayBenchOptions& o) {
  absl::StatusOr<std::unique_ptr<nn::InferenceServer>> server =
      nn::InferenceServer::Create(checkpoint, o.server);
  if (!server.ok()) return AsUsageError(server.status());
  ASSIGN_OR_RETURN(SelfplayWindow window, RunFarm(game, **server, o));
  SelfplayBenchResult r = SelfplayFigures(window);
  r.device = (*server)->Describe();
  // The bare rate at the batch size the server actually ran, same process,
  // same inference options, right after the farm.
  r.bare_batch = std::max(1, static_cast<int>(r.mean_batch + 0.5));
  ASSIGN_OR_RETURN(r.bare_evals_per_s,
                   BareForwardRate(game, checkpoint, o.server.inference,
                                   r.bare_batch, o.seconds,
                                   o.max_opening_plies, o.seed));
  r.ratio = r.bare_evals_per_s > 0 ? r.nn_evals_per_s / r.bare_evals_per_s
                                   : 0.0;
  return r;
}

Json SelfplayBenchJson(const Game& game, const nn::Checkpoint& checkpoint,
                       const SelfplayBenchOptions& o,
                       const SelfplayBenchResult& r) {
  return Json{
      {"what", "selfplay"},
      {"game", game.Name()},
      {"network", checkpoint.metadata.config.Describe()},
      {"device", r.device},
      {"sims_per_s", r.sims_per_s},
      {"nn_evals_per_s", r.nn_evals_per_s},
      {"mean_batch", r.mean_batch},
      {"bare_evals_per_s", r.bare_evals_per_s},
      {"bare_batch", r.bare_batch},
      {"ratio", r.ratio},
      {"games", r.games},
      {"positions", r.positions},
      {"simulations", r.simulations},
      {"evaluations", r.evaluations},
      {"cache_entries", o.cache_entries},
      {"cache_hits", r.cache_hits},
      {"cache_hit_rate", r.cache_hit_rate},
      {"window_games", r.window_games},
      {"actor_threads", o.actor_threads},
      {"games_per_thread", o.games_per_thread},
      {"games_in_flight", o.actor_threads * o.games_per_thread},
      {"inference_threads", o.server.inference.threads},
      {"max_batch", o.server.max_batch},
      {"sims_per_move", o.params.num_simulations},
      {"seconds", r.window_seconds},
      {"warmup_seconds", o.warmup_seconds},
      {"seed", o.seed},
  };
}

std::string SelfplayBenchText(const Game& game,
                              const nn::Checkpoint& checkpoint,
                              const SelfplayBenchOptions& o,
                              const SelfplayBenchResult& r) {
  return absl::StrFormat(
      "selfplay bench: %s, %s network on %s, %d actor thread%s x %d "
      "games, %d simulations per move\n"
      "  self-play:  %10.0f simulations/s, %10.0f network evals/s, "
      "mean batch %.1f\n"
      "  bare:       %10.0f network evals/s at batch %d\n"
      "  ratio:      %.2f of bare; %lld games, %lld positions\n"
      "  cache:      %lld entries, %.1f%% of the leaves answered by it\n",
      game.Name(), checkpoint.metadata.config.Describe(), r.device,
      o.actor_threads, o.actor_threads == 1 ? "" : "s", o.games_per_thread,
      o.params.num_simulations, r.sims_per_s, r.nn_evals_per_s, r.mean_batch,
      r.bare_evals_per_s, r.bare_batch, r.ratio,
      static_cast<long long>(r.games), static_cast<long long>(r.positions),
      static_cast<long long>(o.cache_entries), 100 * r.cache_hit_rate);
}

Json IngestBenchJson(const Game& game, const store::IngestBenchOptions& o,
                     const store::IngestBenchResult& r) {
  return Json{
      {"what", "ingest"},
      {"game", game.Name()},
      {"senders", o.senders},
      {"games", r.games},
      {"positions", r.positions},
      {"seconds", r.seconds},
      {"games_per_s", r.games_per_s},
      {"positions_per_s", r.positions_per_s},
      {"mean_record_bytes", r.mean_record_bytes},
      {"rejected", r.rejected},
  };
}

std::string IngestBenchText(const Game& game,
                            const store::IngestBenchOptions& o,
                            const store::IngestBenchResult& r) {
  return absl::StrFormat(
      "ingest bench: %s, %d sender%s into %s:%d, one learner intake\n"
      "  %lld games, %lld positions in %.2f s\n"
      "  %10.0f games/s, %10.0f positions/s, mean record %.0f bytes, "
      "%lld rejected\n",
      game.Name(), o.senders, o.senders == 1 ? "" : "s", o.redis.address.host,
      o.redis.address.port, static_cast<long long>(r.games),
      static_cast<long long>(r.positions), r.seconds, r.games_per_s,
      r.positions_per_s, r.mean_record_bytes,
      static_cast<long long>(r.rejected));
}

absl::StatusOr<std::string> MakeIngestScratchDir(const std::string& out) {
  std::string parent = out.empty() ? "/tmp" : out;
  if (!out.empty()) RETURN_IF_ERROR(base::MakeDirectories(out));
  std::string pattern = parent + "/az-bench-ingest-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a scratch directory under ", parent));
  }
  return pattern;
}

}  // namespace az
