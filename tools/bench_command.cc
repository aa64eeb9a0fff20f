// `az bench`: throughput figures of the parts that must be fast. Each
// --what value is one function in the table below: it turns the flags into
// the options of tools/bench.h, runs the measurement there, and prints its
// figures as text or, with --json, as one JSON object.
#include <gflags/gflags.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "engine/search_params.h"
#include "nn/network_builder.h"
#include "store/ingest_bench.h"
#include "tools/bench.h"
#include "tools/command.h"
#include "tools/game_profile.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/search_flags.h"
#include "tools/selfplay_flags.h"
#include "tools/store_flags.h"

DEFINE_string(what, "search",
              "What to measure: search (simulations per second per thread "
              "with the uniform evaluator, then with rollouts); inference "
              "(network evaluations per second: LibTorch's plain forward, "
              "the fast forward, and the inference server); selfplay (the "
              "actor farm against the inference server, and how close its "
              "network rate comes to bare forward passes); ingest (a "
              "learner's intake of games from --senders processes through "
              "the Redis store --store names).");
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

DEFINE_int32(senders, 2,
             "ingest: local processes sending games into the store.");
// Not --games: az match defines that one, and gflags are global.
DEFINE_int64(ingest_games, 20000, "ingest: games sent in all.");

namespace az {
namespace {

int GamesPerThread() {
  return FLAGS_games_per_thread > 0 ? FLAGS_games_per_thread : 128;
}

void PrintFigures(const nlohmann::json& json, const std::string& text) {
  if (FLAGS_json) {
    std::printf("%s\n", json.dump().c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
}

// A fresh network of --blocks x --channels, or the one --net names.
absl::StatusOr<nn::Checkpoint> CheckpointFromFlags(const Game& game) {
  absl::StatusOr<nn::Checkpoint> checkpoint =
      FLAGS_net.empty()
          ? nn::NewRandomCheckpoint(
                NetworkOf(game, FLAGS_blocks, FLAGS_channels),
                FLAGS_seed)
          : nn::LoadCheckpointForGame(FLAGS_net, game);
  if (!checkpoint.ok()) return AsUsageError(checkpoint.status());
  return checkpoint;
}

absl::Status BenchSearch(const Game& game) {
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return AsUsageError(params.status());
  ASSIGN_OR_RETURN(SearchBenchOptions options,
                   SearchBenchOptionsOf(*params, FLAGS_searches,
                                        FLAGS_max_opening_plies,
                                        FLAGS_rollouts, FLAGS_seed));
  ASSIGN_OR_RETURN(SearchBenchResult result, RunSearchBench(game, options));
  PrintFigures(SearchBenchJson(game, options, result),
               SearchBenchText(game, options, result));
  return absl::OkStatus();
}

absl::Status BenchInference(const Game& game) {
  ASSIGN_OR_RETURN(nn::Checkpoint checkpoint, CheckpointFromFlags(game));
  absl::StatusOr<nn::InferenceServerOptions> server =
      InferenceServerOptionsFromFlags(FLAGS_clients);
  if (!server.ok()) return AsUsageError(server.status());
  nn::InferenceBenchOptions options;
  options.batch = FLAGS_batch;
  options.seconds = FLAGS_seconds;
  options.clients = FLAGS_clients;
  options.max_threads = std::max(1, FLAGS_threads == 0 ? 2 : FLAGS_threads);
  options.inference = server->inference;
  absl::StatusOr<nn::InferenceBenchResult> r =
      nn::RunInferenceBench(checkpoint, options);
  if (!r.ok()) return AsUsageError(r.status());
  const nn::NetworkConfig& config = checkpoint.metadata.config;
  PrintFigures(InferenceBenchJson(game, config, *r, FLAGS_clients),
               InferenceBenchText(config, *r, FLAGS_clients));
  return absl::OkStatus();
}

absl::StatusOr<SelfplayBenchOptions> SelfplayBenchOptionsFromFlags(
    const Game& game) {
  RETURN_IF_ERROR(
      CheckSelfplayBenchDurations(FLAGS_seconds, FLAGS_warmup_seconds));
  absl::StatusOr<engine::SearchParams> params = SearchParamsFromFlags(game);
  if (!params.ok()) return AsUsageError(params.status());
  SelfplayBenchOptions o;
  o.params = engine::SelfPlay(*params);
  // Each actor is one client: once all of them wait, a partial batch runs
  // at once instead of waiting out the timeout.
  absl::StatusOr<nn::InferenceServerOptions> server =
      InferenceServerOptionsFromFlags(FLAGS_actor_threads, NetworkUse::kSelfPlay);
  if (!server.ok()) return AsUsageError(server.status());
  o.server = *server;
  // By default one actor's round is one forward pass, so the network runs
  // one actor's batch while the others walk their trees.
  if (gflags::GetCommandLineFlagInfoOrDie("max_batch").is_default) {
    o.server.max_batch = GamesPerThread();
  }
  o.actor_threads = FLAGS_actor_threads;
  o.games_per_thread = GamesPerThread();
  if (FLAGS_selfplay_cache < -1) {
    return UsageError("--selfplay_cache must be >= 0 (or -1: per game)");
  }
  o.cache_entries = FLAGS_selfplay_cache >= 0
                        ? FLAGS_selfplay_cache
                        : ProfileOf(game).training.selfplay_cache;
  o.seconds = FLAGS_seconds;
  o.warmup_seconds = FLAGS_warmup_seconds;
  o.max_opening_plies = FLAGS_max_opening_plies;
  o.seed = FLAGS_seed;
  return o;
}

absl::Status BenchSelfplay(const Game& game) {
  ASSIGN_OR_RETURN(SelfplayBenchOptions options,
                   SelfplayBenchOptionsFromFlags(game));
  ASSIGN_OR_RETURN(nn::Checkpoint checkpoint, CheckpointFromFlags(game));
  ASSIGN_OR_RETURN(SelfplayBenchResult result,
                   RunSelfplayBench(game, checkpoint, options));
  PrintFigures(SelfplayBenchJson(game, checkpoint, options, result),
               SelfplayBenchText(game, checkpoint, options, result));
  return absl::OkStatus();
}

absl::StatusOr<store::IngestBenchOptions> IngestBenchOptionsFromFlags() {
  if (FLAGS_store.empty()) {
    return UsageError("--what=ingest needs --store=redis://HOST:PORT[/DB]");
  }
  if (FLAGS_senders < 1) return UsageError("--senders must be >= 1");
  if (FLAGS_ingest_games < 1) return UsageError("--ingest_games must be >= 1");
  store::IngestBenchOptions o;
  ASSIGN_OR_RETURN(o.redis, RedisOptionsFromFlags());
  o.senders = FLAGS_senders;
  o.games = FLAGS_ingest_games;
  o.seed = FLAGS_seed;
  return o;
}

absl::Status BenchIngest(const Game& game) {
  ASSIGN_OR_RETURN(store::IngestBenchOptions options,
                   IngestBenchOptionsFromFlags());
  ASSIGN_OR_RETURN(options.dir, MakeIngestScratchDir(FLAGS_out));
  absl::StatusOr<store::IngestBenchResult> result =
      store::MeasureIngest(game, options);
  std::error_code ignored;
  std::filesystem::remove_all(options.dir, ignored);
  RETURN_IF_ERROR(result.status());
  PrintFigures(IngestBenchJson(game, options, *result),
               IngestBenchText(game, options, *result));
  return absl::OkStatus();
}

const std::map<std::string, std::function<absl::Status(const Game&)>>&
Benchmarks() {
  static const auto* benchmarks =
      new std::map<std::string, std::function<absl::Status(const Game&)>>{
          {"search", BenchSearch},
          {"inference", BenchInference},
          {"selfplay", BenchSelfplay},
          {"ingest", BenchIngest},
      };
  return *benchmarks;
}

absl::Status Bench(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  auto it = Benchmarks().find(FLAGS_what);
  if (it == Benchmarks().end()) {
    std::vector<std::string> names;
    for (const auto& [name, run] : Benchmarks()) names.push_back(name);
    return UsageError(absl::StrCat("unknown --what=", FLAGS_what, " (known: ",
                                   absl::StrJoin(names, ", "), ")"));
  }
  return it->second(*game);
}

int RunBench(const std::vector<std::string>& args) {
  return ExitCode("bench", Bench(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    bench, "bench", "measure throughput (search, inference, selfplay, ingest)",
    "az bench --game=G --what=search [--searches=N] "
    "[--sims=N] [--json]\n"
    "       az bench --game=G --what=inference [--batch=N] "
    "[--blocks=B --channels=C | --net=PATH] [--json]\n"
    "       az bench --game=G --what=selfplay [--sims=N] "
    "[--seconds=S] [--actor_threads=N] [--games_per_thread=N] "
    "[--json]\n"
    "       az bench --game=G --what=ingest --store=redis://HOST:PORT[/DB] "
    "[--senders=N] [--ingest_games=N] [--out=DIR] [--json]",
    az::RunBench, "search", "network", "selfplay", "store");
