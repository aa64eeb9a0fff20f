// `az serve`: a local web page to play the game against the offered
// players, analyse any position (search figures beside the exact verdict)
// and browse position files, az gap reports and a training run. The work is
// in tools/serve.h (the API) and tools/serve_http.h (the sockets).
#include <gflags/gflags.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "selfplay/run_dir.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/network_flags.h"
#include "tools/players_flags.h"
#include "tools/run_flags.h"
#include "tools/sets_flags.h"
#include "tools/search_flags.h"
#include "tools/serve.h"
#include "tools/serve_http.h"
#include "tools/signals.h"


DEFINE_int32(port, 8080, "serve: the port to listen on (0: any free one).");
DEFINE_string(listen, "127.0.0.1",
              "serve: the address to listen on; one that reaches other "
              "machines needs --token_file.");
DEFINE_string(token_file, "",
              "serve: a file whose first line is the access token every "
              "request must carry (Authorization: Bearer TOKEN, or "
              "?token=TOKEN on the page's address).");
DEFINE_string(gap, "", "serve: an az gap report directory to browse.");

namespace az {
namespace {

// The analysis evaluator: --evaluator where given, else the network of the
// first learned player, else random playouts.
absl::StatusOr<std::string> AnalysisEvaluator(
    const std::vector<std::string>& players) {
  if (!gflags::GetCommandLineFlagInfoOrDie("evaluator").is_default) {
    return FLAGS_evaluator;
  }
  for (const std::string& text : players) {
    absl::StatusOr<selfplay::Spec> spec =
        selfplay::ParseSpec(text, selfplay::SpecRole::kPlayer);
    if (!spec.ok() || !spec->learned()) continue;
    if (spec->kind == selfplay::SpecKind::kNet) return "net:" + spec->path;
    ASSIGN_OR_RETURN(std::string latest,
                     selfplay::LatestCheckpoint(spec->path));
    return "net:" + latest;
  }
  if (!FLAGS_run.empty()) {
    absl::StatusOr<std::string> latest = selfplay::LatestCheckpoint(FLAGS_run);
    if (latest.ok()) return "net:" + *latest;
  }
  return std::string("rollout");
}

absl::StatusOr<ServeOptions> OptionsFromFlags(const Game& game) {
  ServeOptions options;
  options.game = &game;
  options.players = absl::StrSplit(FLAGS_players, ',', absl::SkipEmpty());
  if (options.players.empty()) options.players = {"random", "mcts"};
  constexpr int kRequestThreads = 8;
  ASSIGN_OR_RETURN(options.player_options,
                   PlayerOptionsFromFlags(game, kRequestThreads));
  ASSIGN_OR_RETURN(options.analysis_evaluator,
                   AnalysisEvaluator(options.players));
  absl::StatusOr<engine::SearchParams> search = SearchParamsFromFlags(game);
  if (!search.ok()) return AsUsageError(search.status());
  options.analysis_search = *search;
  options.evaluator_options.rollouts = FLAGS_rollouts;
  options.evaluator_options.seed = FLAGS_seed;
  options.evaluator_options.cache_entries = FLAGS_cache_entries;
  ASSIGN_OR_RETURN(options.evaluator_options.inference,
                   InferenceServerOptionsFromFlags(kRequestThreads));
  // A person waits on one search at a time: a lone request runs at once
  // rather than waiting out --batch_timeout_us for company that rarely
  // comes; searches that do overlap still share forward passes.
  options.evaluator_options.inference.clients =
      options.analysis_search.num_threads;
  options.player_options.inference.clients = 1;
  options.default_sims = FLAGS_sims;
  options.sets = absl::StrSplit(FLAGS_sets, ',', absl::SkipEmpty());
  options.gap_dir = FLAGS_gap;
  options.run_dir = FLAGS_run;
  return options;
}

absl::StatusOr<HttpOptions> HttpOptionsFromFlags() {
  HttpOptions http;
  http.listen = FLAGS_listen;
  if (FLAGS_port < 0 || FLAGS_port > 65535) {
    return UsageError(
        absl::StrCat("--port must be from 0 to 65535 (got ", FLAGS_port, ")"));
  }
  http.port = FLAGS_port;
  if (!FLAGS_token_file.empty()) {
    absl::StatusOr<std::string> text =
        base::ReadFileBounded(FLAGS_token_file, 4096);
    if (!text.ok()) {
      return UsageError(
          absl::StrCat("--token_file: ", text.status().message()));
    }
    std::vector<std::string> lines = absl::StrSplit(*text, '\n');
    http.token = std::string(absl::StripAsciiWhitespace(lines[0]));
    if (http.token.size() < 16) {
      return UsageError(
          "--token_file: the token must be 16 characters or more");
    }
  }
  if (!IsLoopback(http.listen) && http.token.empty()) {
    return UsageError(absl::StrCat("--listen=", http.listen,
                                   " reaches other machines: give "
                                   "--token_file with an access token"));
  }
  return http;
}

absl::Status ServeCommand(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  ASSIGN_OR_RETURN(const HttpOptions http, HttpOptionsFromFlags());
  ASSIGN_OR_RETURN(ServeOptions options, OptionsFromFlags(*game));
  absl::StatusOr<std::unique_ptr<AnalysisBoard>> board =
      AnalysisBoard::Create(std::move(options));
  // A spec, a position file or a report that does not load is bad input.
  if (!board.ok()) return AsUsageError(board.status());
  ASSIGN_OR_RETURN(std::unique_ptr<BoardServer> server,
                   BoardServer::Start(board->get(), http));
  const std::atomic<bool>& stop =
      StopOnInterrupt("az serve: stopping (Ctrl-C again quits at once)");
  std::printf("az serve: %s on http://%s:%d/%s (analysis: %s); Ctrl-C stops\n",
              game->Name().c_str(), http.listen.c_str(), server->port(),
              http.token.empty() ? "" : "?token=...",
              (*board)->options().analysis_evaluator.c_str());
  std::fflush(stdout);
  while (!stop.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->Stop();
  return absl::OkStatus();
}

int RunServe(const std::vector<std::string>& args) {
  return ExitCode("serve", ServeCommand(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    serve, "serve", "a local web page to play, analyse and browse positions",
    "az serve --game=G --players=SPEC[,SPEC...] [--port=P] "
    "[--listen=ADDR --token_file=F] [--sets=FILE,...] [--gap=REPORT_DIR] "
    "[--run=DIR] [--evaluator=SPEC] [--sims=N]\n\n"
    "Serves one page on http://127.0.0.1:P/: Play (against the --players "
    "and the checkpoints of --run), Analyse (every move's prior, visits and "
    "q after a search of --sims simulations by default, the raw value as "
    "W/D/L, and the exact verdict of the position and of each move where "
    "the game has a solver, computed in the background), Browse (the "
    "positions of --sets files and an az gap report's worst positions) and "
    "the run's progress and charts. Analysis searches with --evaluator, by "
    "default the network of the first net: or run: player. The JSON API "
    "behind the page is listed in the README.",
    az::RunServe, "search", "network", "players", "run", "sets");
