// `az solve` without its flags: the options checked as plain values, the
// positions of a position file solved on several threads, the check against
// the file's own scores, and the two forms of the output (a position file
// with a summary comment, or one JSON object). The flags are read in
// tools/solve_command.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "games/game.h"
#include "games/position_file.h"

namespace az {

// The command line of `az solve`, one field per flag.
struct SolveFlagValues {
  std::string positions;  // --positions: the position file
  bool check = false;     // --check
  int threads = 0;        // --threads: 0 for one per core
};

// What to solve, checked.
struct SolveOptions {
  // The position file (also the name in error messages).
  std::string positions;
  // Compare every score with the file's.
  bool check = false;
  // Solver threads, at least 1 (fewer when there are fewer positions).
  int threads = 1;
};

// Checks `flags`: a --positions file is named and --threads is not
// negative; --threads=0 becomes one thread per core of `hardware_threads`.
// Each failure is a usage error naming the flag.
absl::StatusOr<SolveOptions> ResolveSolveOptions(const SolveFlagValues& flags,
                                                 unsigned hardware_threads);

// The positions with their exact scores and what it took.
struct SolveReport {
  std::string game;                     // the game's name
  std::string positions;                // the file they came from
  std::vector<PositionRecord> records;  // in file order
  std::vector<int> scores;              // the solver's, one per record
  uint64_t nodes = 0;                   // searched by all solvers together
  double seconds = 0;                   // wall time of the solving
  int threads = 1;                      // solver threads used
  // With --check: positions with a score in the file, and how many of those
  // the solver scores otherwise; the first of them, or -1.
  bool check = false;
  int checked = 0;
  int mismatches = 0;
  int first_mismatch = -1;  // index into records
};

// Solves `records` (positions of `game`, from options.positions) with
// options.threads solvers pulling positions from a shared counter, and
// with options.check compares the scores. A game without an exact solver
// and a position the solver fails on ("FILE:LINE: reason") are usage
// errors. Warns in the log when --check finds positions without a score.
absl::StatusOr<SolveReport> SolvePositions(const Game& game,
                                           std::vector<PositionRecord> records,
                                           const SolveOptions& options);
// The same for the positions of the file options.positions; a file that
// cannot be read or parsed is a usage error.
absl::StatusOr<SolveReport> SolvePositionFile(const Game& game,
                                              const SolveOptions& options);

// "MOVES SCORE" for every position, then a comment line with the figures,
// so that the output is a position file too.
std::string SolveText(const SolveReport& report);
// The figures as one JSON object on one line (no newline).
std::string SolveJson(const SolveReport& report);
// OK, or with --check the first position whose score differs from the
// file's: "FILE:LINE: MOVES: the solver scores S, the file F" (a runtime
// failure, not a usage error).
absl::Status ScoreMismatch(const SolveReport& report);

}  // namespace az
