// `az bench`: throughput figures of the parts that must be fast. Each
// --what value is one function in the table below; later issues add
// inference and self-play benchmarks there.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/evaluators.h"
#include "engine/random.h"
#include "engine/search.h"
#include "engine/search_params.h"
#include "games/registry.h"
#include "nn/inference_bench.h"
#include "nn/network_builder.h"
#include "selfplay/actor_farm.h"
#include "tools/command.h"
#include "tools/game_profile.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/search_flags.h"
#include "tools/selfplay_flags.h"

DEFINE_string(what, "search",
              "What to measure: search (simulations per second per thread "
              "with the uniform evaluator, then with rollouts); inference "
              "(network evaluations per second: LibTorch's plain forward, "
              "the fast forward, and the inference server); selfplay (the "
              "actor farm against the inference server, and how close its "
              "network rate comes to bare forward passes).");
DEFINE_int32(batch, 256, "inference: positions per forward pass.");
DEFINE_double(seconds, 1.0,
              "inference: seconds per measurement (three interleaved rounds "
              "each, the median kept); selfplay: seconds of the measured "
              "self-play run, and of the bare forward passes after it.");
DEFINE_double(warmup_seconds, 1.0,
              "selfplay: seconds of self-play before the measurement starts "
              "(trees and batches reach their steady state).");
DEFINE_int32(clients, 8, "inference: client threads feeding the server.");
DEFINE_string(net, "",
              "inference: checkpoint to measure (default: a fresh network of "
              "--blocks x --channels).");
DEFINE_int32(searches, 400,
             "search: searches from varied positions (each a fresh tree).");
DEFINE_int32(max_opening_plies, 20,
             "search: positions are random openings of 0 to this many plies.");

namespace az {
namespace {

using Json = nlohmann::json;

int GamesPerThread() {
  return FLAGS_games_per_thread > 0 ? FLAGS_games_per_thread : 128;
}

// Random openings of 0..max_plies plies from `seed`, none of them over.
std::vector<std::unique_ptr<State>> RandomPositions(const Game& game, int n,
                                                    int max_plies,
                                                    uint64_t seed) {
  engine::Rng rng(seed);
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

struct SearchThroughput {
  int64_t simulations = 0;
  // Simulations that ended in an evaluator call (the others reached a
  // terminal or proven node).
  int64_t evaluations = 0;
  int64_t proven_roots = 0;
  double seconds = 0.0;
  double sims_per_s = 0.0;  // per thread
};

// Runs one search per position, a fresh tree each, split over `threads`
// independent threads (each with its own Search; the evaluator is shared).
absl::StatusOr<SearchThroughput> MeasureSearch(
    const Game& game, engine::Evaluator* evaluator,
    const engine::SearchParams& params,
    const std::vector<std::unique_ptr<State>>& positions, int threads) {
  std::vector<std::unique_ptr<engine::Search>> searches;
  for (int t = 0; t < threads; ++t) {
    engine::SearchParams p = params;
    p.num_threads = 1;
    p.seed = params.seed + t;
    absl::StatusOr<std::unique_ptr<engine::Search>> search =
        engine::Search::Create(game, evaluator, p);
    if (!search.ok()) return search.status();
    searches.push_back(std::move(*search));
  }
  std::vector<int64_t> sims(threads, 0), evals(threads, 0), proven(threads, 0);
  std::vector<absl::Status> statuses(threads);
  auto work = [&](int t) {
    for (size_t i = t; i < positions.size(); i += threads) {
      statuses[t] = searches[t]->SetPosition(*positions[i]);
      if (!statuses[t].ok()) return;
      absl::StatusOr<engine::SearchResult> result = searches[t]->Run();
      if (!result.ok()) {
        statuses[t] = result.status();
        return;
      }
      sims[t] += result->simulations;
      evals[t] += result->evaluations;
      proven[t] += result->proven();
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& thread : pool) thread.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  SearchThroughput out;
  for (int t = 0; t < threads; ++t) {
    out.simulations += sims[t];
    out.evaluations += evals[t];
    out.proven_roots += proven[t];
  }
  out.seconds = seconds;
  out.sims_per_s = seconds > 0 ? out.simulations / seconds / threads : 0.0;
  return out;
}

int BenchSearch(const Game& game) {
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(params.status().message()).c_str());
    return 2;
  }
  if (FLAGS_searches < 1 || FLAGS_max_opening_plies < 0) {
    std::fprintf(stderr,
                 "az bench: --searches must be >= 1 and --max_opening_plies "
                 ">= 0\n");
    return 2;
  }
  // Threads here run independent searches: the figure is per thread.
  const int threads = params->num_threads;
  params->num_threads = 1;
  std::vector<std::unique_ptr<State>> positions = RandomPositions(
      game, FLAGS_searches, FLAGS_max_opening_plies, FLAGS_seed);

  // The tree alone: no cache, so that no evaluation is saved.
  engine::UniformEvaluator uniform(game);
  absl::StatusOr<std::unique_ptr<engine::RolloutEvaluator>> rollout =
      engine::RolloutEvaluator::Create(game, FLAGS_rollouts, FLAGS_seed);
  if (!rollout.ok()) {
    std::fprintf(stderr, "az bench: --rollouts: %s\n",
                 std::string(rollout.status().message()).c_str());
    return 2;
  }
  // A short warm-up so that the first figure does not pay for page faults.
  (void)MeasureSearch(game, &uniform, *params,
                      RandomPositions(game, 10, FLAGS_max_opening_plies, 0), 1);
  absl::StatusOr<SearchThroughput> tree =
      MeasureSearch(game, &uniform, *params, positions, threads);
  if (!tree.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(tree.status().message()).c_str());
    return 1;
  }
  LOG(INFO) << "uniform: " << tree->simulations << " simulations ("
            << tree->evaluations << " evaluated leaves, " << tree->proven_roots
            << " roots proven) in " << tree->seconds << " s";
  absl::StatusOr<SearchThroughput> rollouts =
      MeasureSearch(game, rollout->get(), *params, positions, threads);
  if (!rollouts.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(rollouts.status().message()).c_str());
    return 1;
  }
  LOG(INFO) << (*rollout)->Name() << ": " << rollouts->simulations
            << " simulations (" << rollouts->evaluations
            << " evaluated leaves, " << rollouts->proven_roots
            << " roots proven) in " << rollouts->seconds << " s";

  if (FLAGS_json) {
    Json out = {
        {"what", "search"},
        {"game", game.Name()},
        {"sims_per_s", tree->sims_per_s},
        {"rollout_sims_per_s", rollouts->sims_per_s},
        {"searches", FLAGS_searches},
        {"sims_per_search", params->num_simulations},
        {"threads", threads},
        {"simulations", tree->simulations},
        {"evaluations", tree->evaluations},
        {"proven_roots", tree->proven_roots},
        {"seconds", tree->seconds},
        {"rollout_simulations", rollouts->simulations},
        {"rollout_evaluations", rollouts->evaluations},
        {"rollout_proven_roots", rollouts->proven_roots},
        {"rollout_seconds", rollouts->seconds},
        {"rollouts_per_leaf", FLAGS_rollouts},
        {"max_opening_plies", FLAGS_max_opening_plies},
        {"seed", FLAGS_seed},
    };
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf(
        "search bench: %s, %d searches of %d simulations from random "
        "openings of 0-%d plies, %d thread%s, fresh tree per search\n",
        game.Name().c_str(), FLAGS_searches, params->num_simulations,
        FLAGS_max_opening_plies, threads, threads == 1 ? "" : "s");
    std::printf("  uniform evaluator:   %12.0f simulations/s per thread\n",
                tree->sims_per_s);
    std::printf("  rollouts (k=%d):      %12.0f simulations/s per thread\n",
                FLAGS_rollouts, rollouts->sims_per_s);
  }
  return 0;
}

int BenchInference(const Game& game) {
  absl::StatusOr<nn::Checkpoint> checkpoint =
      FLAGS_net.empty()
          ? nn::NewRandomCheckpoint(
                NetworkOf(game, FLAGS_blocks, FLAGS_channels),
                FLAGS_seed)
          : nn::LoadCheckpointForGame(FLAGS_net, game);
  if (!checkpoint.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(checkpoint.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<nn::InferenceServerOptions> server =
      InferenceServerOptionsFromFlags(FLAGS_clients);
  if (!server.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(server.status().message()).c_str());
    return 2;
  }
  nn::InferenceBenchOptions options;
  options.batch = FLAGS_batch;
  options.seconds = FLAGS_seconds;
  options.clients = FLAGS_clients;
  options.max_threads = std::max(1, FLAGS_threads == 0 ? 2 : FLAGS_threads);
  options.inference = server->inference;
  absl::StatusOr<nn::InferenceBenchResult> r =
      nn::RunInferenceBench(*checkpoint, options);
  if (!r.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(r.status().message()).c_str());
    return 2;
  }
  const nn::NetworkConfig& config = checkpoint->metadata.config;
  if (FLAGS_json) {
    Json out = {
        {"what", "inference"},
        {"game", game.Name()},
        {"network", config.Describe()},
        {"device", r->device},
        {"batch", r->batch},
        {"naive_evals_per_s", r->naive_evals_per_s},
        {"naive_threads", r->naive_threads},
        {"bare_evals_per_s", r->bare_evals_per_s},
        {"bare_threads", r->bare_threads},
        {"bare_gflops", r->bare_gflops},
        {"server_evals_per_s", r->server_evals_per_s},
        {"server_mean_batch", r->server_mean_batch},
        {"ratio", r->ratio},
        {"speedup", r->speedup},
        {"max_value_diff", r->max_value_diff},
        {"max_policy_diff", r->max_policy_diff},
        {"clients", FLAGS_clients},
    };
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("inference bench: %s network, batch %d\n",
                config.Describe().c_str(), r->batch);
    std::printf("  naive (LibTorch eval forward, fp32, %d thread%s): %10.0f evals/s\n",
                r->naive_threads, r->naive_threads == 1 ? "" : "s",
                r->naive_evals_per_s);
    std::printf("  bare  (%s):    %10.0f evals/s  %.1fx naive, %.1f GFLOP/s\n",
                r->device.c_str(), r->bare_evals_per_s, r->speedup,
                r->bare_gflops);
    std::printf("  server (%d clients, mean batch %.1f):           %10.0f evals/s  %.2f of bare\n",
                FLAGS_clients, r->server_mean_batch, r->server_evals_per_s,
                r->ratio);
    std::printf("  largest difference to fp32 LibTorch: value %.2g, policy %.2g\n",
                r->max_value_diff, r->max_policy_diff);
  }
  return 0;
}

// Network evaluations per second of back-to-back forward passes of `batch`
// positions from random openings, for `seconds` after one warm-up pass.
absl::StatusOr<double> BareForwardRate(const Game& game,
                                       const nn::Checkpoint& checkpoint,
                                       const nn::InferenceOptions& options,
                                       int batch, double seconds) {
  absl::StatusOr<std::unique_ptr<nn::ForwardBackend>> backend =
      nn::CreateForwardBackend(checkpoint, options);
  if (!backend.ok()) return backend.status();
  const int input_size = game.GetObservationShape().size();
  std::vector<float> observations(static_cast<size_t>(batch) * input_size);
  std::vector<std::unique_ptr<State>> positions =
      RandomPositions(game, batch, FLAGS_max_opening_plies, FLAGS_seed);
  for (int i = 0; i < batch; ++i) {
    positions[i]->EncodeObservation(observations.data() +
                                    static_cast<size_t>(i) * input_size);
  }
  std::vector<float> policy(static_cast<size_t>(batch) * game.NumActions());
  std::vector<float> wdl(static_cast<size_t>(batch) * 3);
  if (absl::Status s = (*backend)->Forward(observations.data(), batch,
                                           policy.data(), wdl.data());
      !s.ok()) {
    return s;
  }
  const auto start = std::chrono::steady_clock::now();
  int64_t evaluated = 0;
  double elapsed = 0.0;
  do {
    if (absl::Status s = (*backend)->Forward(observations.data(), batch,
                                             policy.data(), wdl.data());
        !s.ok()) {
      return s;
    }
    evaluated += batch;
    elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  } while (elapsed < seconds);
  return evaluated / elapsed;
}

int BenchSelfplay(const Game& game) {
  auto fail = [](const absl::Status& status, int code) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(status.message()).c_str());
    return code;
  };
  if (FLAGS_seconds <= 0 || FLAGS_warmup_seconds < 0) {
    return fail(absl::InvalidArgumentError(
                    "--seconds must be > 0 and --warmup_seconds >= 0"),
                2);
  }
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return fail(params.status(), 2);
  // Self-play searches: noise at the root, sampled opening moves, one
  // search thread per actor (the actor drives all its games).
  params->root_noise = true;
  params->num_threads = 1;
  absl::StatusOr<nn::Checkpoint> checkpoint =
      FLAGS_net.empty()
          ? nn::NewRandomCheckpoint(
                NetworkOf(game, FLAGS_blocks, FLAGS_channels),
                FLAGS_seed)
          : nn::LoadCheckpointForGame(FLAGS_net, game);
  if (!checkpoint.ok()) return fail(checkpoint.status(), 2);
  // Each actor is one client: once all of them wait, a partial batch runs
  // at once instead of waiting out the timeout.
  absl::StatusOr<nn::InferenceServerOptions> server_options =
      InferenceServerOptionsFromFlags(FLAGS_actor_threads);
  if (!server_options.ok()) return fail(server_options.status(), 2);
  // By default one actor's round is one forward pass, so the network runs
  // one actor's batch while the others walk their trees.
  if (gflags::GetCommandLineFlagInfoOrDie("max_batch").is_default) {
    server_options->max_batch = GamesPerThread();
  }
  absl::StatusOr<std::unique_ptr<nn::InferenceServer>> server =
      nn::InferenceServer::Create(*checkpoint, *server_options);
  if (!server.ok()) return fail(server.status(), 2);

  selfplay::ActorFarmOptions farm_options;
  farm_options.search = *params;
  farm_options.actor_threads = FLAGS_actor_threads;
  farm_options.games_per_thread = GamesPerThread();
  farm_options.seed = FLAGS_seed;
  absl::StatusOr<std::unique_ptr<selfplay::ActorFarm>> farm =
      selfplay::ActorFarm::Create(game, server->get(), farm_options,
                                  [](selfplay::GameRecord) {});
  if (!farm.ok()) return fail(farm.status(), 2);
  absl::Status status = (*farm)->Start();
  if (!status.ok()) return fail(status, 1);
  auto sleep = [](double seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  };
  sleep(FLAGS_warmup_seconds);
  const nn::InferenceServerStats before = (*server)->Stats();
  const selfplay::ActorFarmStats farm_before = (*farm)->Stats();
  sleep(FLAGS_seconds);
  const nn::InferenceServerStats after = (*server)->Stats();
  const selfplay::ActorFarmStats farm_after = (*farm)->Stats();
  status = (*farm)->Stop();
  if (!status.ok()) return fail(status, 1);

  // Only positions that went through a forward pass count (the server's
  // own figures), so no cache can inflate the rate.
  const double window = after.seconds - before.seconds;
  const uint64_t evaluated = after.positions - before.positions;
  const uint64_t batches = after.batches - before.batches;
  const double nn_evals_per_s = window > 0 ? evaluated / window : 0.0;
  const double mean_batch =
      batches > 0 ? static_cast<double>(evaluated) / batches : 0.0;
  // The farm counts simulations per finished move search, too coarse for a
  // short window: scale the window's evaluations by the whole run's
  // simulations per evaluation instead.
  const double sims_per_eval =
      farm_after.evaluations > 0
          ? static_cast<double>(farm_after.simulations) / farm_after.evaluations
          : 0.0;
  const double sims_per_s = nn_evals_per_s * sims_per_eval;
  LOG(INFO) << "self-play: " << evaluated << " positions in " << batches
            << " forward passes in " << window << " s; " << farm_after.games
            << " games, " << farm_after.simulations << " simulations in all";

  // The bare rate at the batch size the server actually ran, same process,
  // same inference options, right after the farm.
  const int bare_batch = std::max(1, static_cast<int>(mean_batch + 0.5));
  absl::StatusOr<double> bare = BareForwardRate(
      game, *checkpoint, server_options->inference, bare_batch, FLAGS_seconds);
  if (!bare.ok()) return fail(bare.status(), 1);
  const double ratio = *bare > 0 ? nn_evals_per_s / *bare : 0.0;

  const int games_in_flight = FLAGS_actor_threads * GamesPerThread();
  if (FLAGS_json) {
    Json out = {
        {"what", "selfplay"},
        {"game", game.Name()},
        {"network", checkpoint->metadata.config.Describe()},
        {"device", (*server)->Describe()},
        {"sims_per_s", sims_per_s},
        {"nn_evals_per_s", nn_evals_per_s},
        {"mean_batch", mean_batch},
        {"bare_evals_per_s", *bare},
        {"bare_batch", bare_batch},
        {"ratio", ratio},
        {"games", farm_after.games},
        {"positions", farm_after.positions},
        {"simulations", farm_after.simulations},
        {"evaluations", farm_after.evaluations},
        {"window_games", farm_after.games - farm_before.games},
        {"actor_threads", FLAGS_actor_threads},
        {"games_per_thread", GamesPerThread()},
        {"games_in_flight", games_in_flight},
        {"inference_threads", server_options->inference.threads},
        {"max_batch", server_options->max_batch},
        {"sims_per_move", params->num_simulations},
        {"seconds", window},
        {"warmup_seconds", FLAGS_warmup_seconds},
        {"seed", FLAGS_seed},
    };
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf(
        "selfplay bench: %s, %s network on %s, %d actor thread%s x %d "
        "games, %d simulations per move\n",
        game.Name().c_str(), checkpoint->metadata.config.Describe().c_str(),
        (*server)->Describe().c_str(), FLAGS_actor_threads,
        FLAGS_actor_threads == 1 ? "" : "s", GamesPerThread(),
        params->num_simulations);
    std::printf(
        "  self-play:  %10.0f simulations/s, %10.0f network evals/s, "
        "mean batch %.1f\n",
        sims_per_s, nn_evals_per_s, mean_batch);
    std::printf("  bare:       %10.0f network evals/s at batch %d\n", *bare,
                bare_batch);
    std::printf("  ratio:      %.2f of bare; %lld games, %lld positions\n",
                ratio, static_cast<long long>(farm_after.games),
                static_cast<long long>(farm_after.positions));
  }
  return 0;
}

const std::map<std::string, std::function<int(const Game&)>>& Benchmarks() {
  static const auto* benchmarks =
      new std::map<std::string, std::function<int(const Game&)>>{
          {"search", BenchSearch},
          {"inference", BenchInference},
          {"selfplay", BenchSelfplay},
      };
  return *benchmarks;
}

int RunBench(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    std::fprintf(stderr, "az bench: unexpected argument '%s'\n",
                 args[1].c_str());
    return 2;
  }
  absl::StatusOr<const Game*> game = FindGame(FLAGS_game);
  if (!game.ok()) {
    std::fprintf(stderr, "az bench: %s\n",
                 std::string(game.status().message()).c_str());
    return 2;
  }
  auto it = Benchmarks().find(FLAGS_what);
  if (it == Benchmarks().end()) {
    std::vector<std::string> names;
    for (const auto& [name, run] : Benchmarks()) names.push_back(name);
    std::fprintf(stderr, "az bench: unknown --what=%s (known: %s)\n",
                 FLAGS_what.c_str(), absl::StrJoin(names, ", ").c_str());
    return 2;
  }
  return it->second(**game);
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    bench, "bench", "measure throughput (search, inference, selfplay)",
    "az bench --game=G --what=search [--searches=N] "
    "[--sims=N] [--json]\n"
    "       az bench --game=G --what=inference [--batch=N] "
    "[--blocks=B --channels=C | --net=PATH] [--json]\n"
    "       az bench --game=G --what=selfplay [--sims=N] "
    "[--seconds=S] [--actor_threads=N] [--games_per_thread=N] "
    "[--json]",
    az::RunBench, "search", "network", "selfplay");
