// `az analyze`: searches one position and prints what the search found:
// the best move, every move's visits, prior, Q and proof, the root values
// q and v, the proven value if any, how much of the search was grounded in
// rewards, and the principal variation. The work is in tools/analyze.h.
#include <gflags/gflags.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tools/analyze.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/search_flags.h"

DEFINE_string(position, "",
              "The position to analyse, as the moves from the start in the "
              "game's notation (e.g. 4453 in Connect Four); empty for the "
              "initial position.");

namespace az {
namespace {

// What the command line asks for.
struct AnalyzeRequest {
  const Game* game = nullptr;
  std::unique_ptr<State> state;
  engine::SearchParams search;
  std::unique_ptr<engine::Evaluator> evaluator;
};

absl::StatusOr<AnalyzeRequest> RequestFromFlags(
    const std::vector<std::string>& args) {
  absl::StatusOr<const Game*> game = GameOfCommandLine(args);
  if (!game.ok() && args.size() > 1) {
    return UsageError(absl::StrCat(game.status().message(),
                                   " (the position goes in --position)"));
  }
  AnalyzeRequest request;
  ASSIGN_OR_RETURN(request.game, std::move(game));
  ASSIGN_OR_RETURN(request.state,
                   PositionToAnalyze(*request.game, FLAGS_position));
  ASSIGN_OR_RETURN(request.search, SearchParamsFromFlags(*request.game));
  ASSIGN_OR_RETURN(request.evaluator, EvaluatorFromFlags(*request.game));
  return request;
}

int RunAnalyze(const std::vector<std::string>& args) {
  absl::StatusOr<AnalyzeRequest> request = RequestFromFlags(args);
  // A search that cannot be set up is the command line's fault: exit 2.
  if (!request.ok()) return ExitCode("analyze", AsUsageError(request.status()));
  absl::StatusOr<Analysis> analysis =
      AnalyzePosition(*request->game, FLAGS_position, std::move(request->state),
                      *request->evaluator, request->search);
  if (!analysis.ok()) return ExitCode("analyze", analysis.status());
  const std::string out = FLAGS_json ? AnalysisJson(*analysis).dump() + "\n"
                                     : AnalysisText(*analysis);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND_WITH_FLAGS(
    analyze, "analyze", "search one position and explain it",
    "az analyze --game=G --position=MOVES "
    "--evaluator=uniform|rollout|solver|net:PATH --sims=N "
    "[--threads=T] [--json]",
    az::RunAnalyze, "search", "network");
