// `az solve`: exact scores of the positions of a position file, with the
// speed of the solver, and optionally a check against the file's own scores.
// The solving, the check and the output live in tools/solve_report.h.
#include <gflags/gflags.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tools/command.h"
#include "tools/common_flags.h"
#include "tools/solve_report.h"

DEFINE_string(positions, "",
              "Position file: one move sequence per line, optionally followed "
              "by its exact score (Pascal Pons' benchmark format for "
              "connect4).");
DEFINE_bool(check, false,
            "Compare every score with the one in the file; exit 1 and name "
            "the first mismatching line on stderr if any differs.");

namespace az {
namespace {

absl::Status Solve(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument \"", args[1],
                                   "\" (positions are read from "
                                   "--positions=FILE)"));
  }
  SolveFlagValues flags;
  flags.positions = FLAGS_positions;
  flags.check = FLAGS_check;
  flags.threads = FLAGS_threads;
  ASSIGN_OR_RETURN(
      SolveOptions options,
      ResolveSolveOptions(flags, std::thread::hardware_concurrency()));
  ASSIGN_OR_RETURN(const Game* game, GameOfCommandLine(args));
  ASSIGN_OR_RETURN(SolveReport report, SolvePositionFile(*game, options));
  const std::string text =
      FLAGS_json ? SolveJson(report) + "\n" : SolveText(report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return ScoreMismatch(report);
}

int RunSolve(const std::vector<std::string>& args) {
  return ExitCode("solve", Solve(args));
}

}  // namespace
}  // namespace az

AZ_REGISTER_COMMAND(
    solve, "solve",
    "exact scores of the positions in a file, with the solver's speed",
    "az solve --game=connect4 --positions=FILE [--check] [--json] "
    "[--threads=N]\n\n"
    "Prints \"MOVES SCORE\" for every position of FILE (one move sequence per "
    "line, optionally followed by a score; '#' starts a comment) and a last "
    "summary line \"# N positions in S s: P positions/s, ...\". Scores are "
    "for the side to move; for connect4 a win with one's k-th stone scores "
    "22 - k, a loss the negative, a draw 0. With --check, exits 1 if any "
    "score differs from the file's. With --json, prints only one JSON object "
    "with the figures. Exits 2 on a bad position file or game.",
    az::RunSolve);
