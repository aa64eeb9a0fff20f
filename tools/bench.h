// The measuring parts of `az bench`, free of flags so that tests can call
// them in-process: option checks given plain values, the measurements of
// search, self-play and ingest throughput, and the figures formatted as
// text or as one JSON object. tools/bench_command.cc turns flags into the
// option structs here and prints what these functions return.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search_params.h"
#include "games/game.h"
#include "nn/inference_bench.h"
#include "nn/inference_server.h"
#include "nn/network_builder.h"
#include "store/ingest_bench.h"

namespace az {

// Random openings of 0..max_plies plies from `seed`, none of them over.
std::vector<std::unique_ptr<State>> RandomPositions(const Game& game, int n,
                                                    int max_plies,
                                                    uint64_t seed);

// --what=search: fresh trees from random openings, once with the uniform
// evaluator (the tree alone) and once with rollouts.
struct SearchBenchOptions {
  engine::SearchParams params;  // one thread: each bench thread searches alone
  int threads = 1;              // independent searching threads
  int searches = 400;           // searches in all, one per position
  int max_opening_plies = 20;   // positions are openings of 0..this plies
  int rollouts = 1;             // rollouts per leaf for the second figure
  uint64_t seed = 1;
};

// The options from plain values; a bad count is a usage error.
absl::StatusOr<SearchBenchOptions> SearchBenchOptionsOf(
    const engine::SearchParams& params, int searches, int max_opening_plies,
    int rollouts, uint64_t seed);

struct SearchThroughput {
  int64_t simulations = 0;
  // Simulations that ended in an evaluator call (the others reached a
  // terminal or proven node).
  int64_t evaluations = 0;
  int64_t proven_roots = 0;
  double seconds = 0.0;
  double sims_per_s = 0.0;  // per thread
};

struct SearchBenchResult {
  SearchThroughput uniform;   // the uniform evaluator
  SearchThroughput rollouts;  // the rollout evaluator
};

// A bad --rollouts is a usage error; a failed search a runtime one.
absl::StatusOr<SearchBenchResult> RunSearchBench(
    const Game& game, const SearchBenchOptions& options);
nlohmann::json SearchBenchJson(const Game& game, const SearchBenchOptions& o,
                               const SearchBenchResult& r);
std::string SearchBenchText(const Game& game, const SearchBenchOptions& o,
                            const SearchBenchResult& r);

// --what=inference: the figures of nn::RunInferenceBench.
nlohmann::json InferenceBenchJson(const Game& game,
                                  const nn::NetworkConfig& config,
                                  const nn::InferenceBenchResult& r,
                                  int clients);
std::string InferenceBenchText(const nn::NetworkConfig& config,
                               const nn::InferenceBenchResult& r, int clients);

// --what=selfplay: the actor farm against the inference server, then bare
// forward passes at the batch size the server ran.
struct SelfplayBenchOptions {
  engine::SearchParams params;  // self-play settings (engine::SelfPlay)
  nn::InferenceServerOptions server;
  int actor_threads = 1;
  int games_per_thread = 128;   // games each actor drives at once
  int64_t cache_entries = 0;    // the farm's evaluation cache (0: none)
  double seconds = 1.0;         // measured window, and the bare passes
  double warmup_seconds = 1.0;  // self-play before the window opens
  int max_opening_plies = 20;   // of the bare passes' positions
  uint64_t seed = 1;
};

// The duration check: --seconds > 0 and --warmup_seconds >= 0.
absl::Status CheckSelfplayBenchDurations(double seconds,
                                         double warmup_seconds);

struct SelfplayBenchResult {
  std::string device;      // the inference server's description
  double sims_per_s = 0;
  double nn_evals_per_s = 0;
  double mean_batch = 0;
  double bare_evals_per_s = 0;
  int bare_batch = 1;
  double ratio = 0;  // nn_evals_per_s over bare_evals_per_s
  int64_t games = 0, positions = 0, simulations = 0, evaluations = 0;
  // Of the evaluations (leaves), those the cache answered, and their share.
  int64_t cache_hits = 0;
  double cache_hit_rate = 0;
  int64_t window_games = 0;
  double window_seconds = 0;
};

// Setting the server or the farm up fails as a usage error, running them
// as a runtime one.
absl::StatusOr<SelfplayBenchResult> RunSelfplayBench(
    const Game& game, const nn::Checkpoint& checkpoint,
    const SelfplayBenchOptions& options);
nlohmann::json SelfplayBenchJson(const Game& game,
                                 const nn::Checkpoint& checkpoint,
                                 const SelfplayBenchOptions& o,
                                 const SelfplayBenchResult& r);
std::string SelfplayBenchText(const Game& game,
                              const nn::Checkpoint& checkpoint,
                              const SelfplayBenchOptions& o,
                              const SelfplayBenchResult& r);

// --what=ingest: store::MeasureIngest's figures.
nlohmann::json IngestBenchJson(const Game& game,
                               const store::IngestBenchOptions& o,
                               const store::IngestBenchResult& r);
std::string IngestBenchText(const Game& game,
                            const store::IngestBenchOptions& o,
                            const store::IngestBenchResult& r);

// A scratch directory for the ingest bench's shards: a fresh one under
// `out` when it is not empty, else one under /tmp. The caller removes it.
absl::StatusOr<std::string> MakeIngestScratchDir(const std::string& out);

}  // namespace az
