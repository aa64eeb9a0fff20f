#include "tools/solve_report.h"

#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "games/solver.h"
#include "nlohmann/json.hpp"
#include "tools/command.h"

namespace az {
namespace {

// Solves every position into report->scores, `threads` solvers pulling
// positions from a shared counter, and adds up the nodes they searched. The
// first failure in file order names its line.
absl::Status SolveAll(const Game& game, int threads, SolveReport* report) {
  const std::vector<PositionRecord>& records = report->records;
  std::vector<absl::Status> statuses(records.size());
  report->scores.assign(records.size(), 0);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> total_nodes{0};
  auto work = [&] {
    std::unique_ptr<ExactSolver> solver = game.NewExactSolver();
    std::unique_ptr<State> state = game.NewInitialState();
    std::unique_ptr<State> initial = game.NewInitialState();
    for (size_t i = next++; i < records.size(); i = next++) {
      state->CopyFrom(*initial);
      for (Action a : records[i].actions) state->Apply(a);
      absl::StatusOr<ExactValue> value = solver->Solve(*state);
      if (value.ok()) {
        report->scores[i] = value->score;
      } else {
        statuses[i] = value.status();
      }
    }
    total_nodes += solver->nodes_searched();
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  report->nodes = total_nodes;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!statuses[i].ok()) {
      return UsageError(absl::StrCat(report->positions, ":", records[i].line,
                                     ": ", statuses[i].message()));
    }
  }
  return absl::OkStatus();
}

// Compares the scores with those of the file, where it has them.
void CheckScores(SolveReport* report) {
  report->check = true;
  for (size_t i = 0; i < report->records.size(); ++i) {
    const std::optional<int>& expected = report->records[i].score;
    if (!expected.has_value()) continue;
    ++report->checked;
    if (*expected == report->scores[i]) continue;
    if (report->mismatches++ == 0) report->first_mismatch = static_cast<int>(i);
  }
  if (report->checked < static_cast<int>(report->records.size())) {
    LOG(WARNING) << report->records.size() - report->checked
                 << " positions have no score in the file to check against";
  }
}

// A usage error for a game that has no exact solver.
absl::Status RequireSolver(const Game& game) {
  if (game.NewExactSolver() != nullptr) return absl::OkStatus();
  return UsageError(
      absl::StrCat("the game ", game.Name(), " has no exact solver"));
}

double PerSecond(double count, double seconds) {
  return seconds > 0 ? count / seconds : 0;
}

}  // namespace

absl::StatusOr<SolveOptions> ResolveSolveOptions(const SolveFlagValues& flags,
                                                 unsigned hardware_threads) {
  if (flags.positions.empty()) {
    return UsageError("--positions=FILE is required (see 'az help solve')");
  }
  if (flags.threads < 0) {
    return UsageError(absl::StrCat(
        "--threads must be 0 (one per core) or more, not ", flags.threads));
  }
  SolveOptions options;
  options.positions = flags.positions;
  options.check = flags.check;
  options.threads = flags.threads > 0
                        ? flags.threads
                        : static_cast<int>(std::max(1u, hardware_threads));
  return options;
}

absl::StatusOr<SolveReport> SolvePositions(const Game& game,
                                           std::vector<PositionRecord> records,
                                           const SolveOptions& options) {
  RETURN_IF_ERROR(RequireSolver(game));
  SolveReport report;
  report.game = game.Name();
  report.positions = options.positions;
  report.records = std::move(records);
  report.threads =
      std::max(1, std::min<int>(options.threads, report.records.size()));
  const auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(SolveAll(game, report.threads, &report));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (options.check) CheckScores(&report);
  return report;
}

absl::StatusOr<SolveReport> SolvePositionFile(const Game& game,
                                              const SolveOptions& options) {
  RETURN_IF_ERROR(RequireSolver(game));
  absl::StatusOr<std::vector<PositionRecord>> records =
      ReadPositionFile(game, options.positions);
  if (!records.ok()) return AsUsageError(records.status());
  return SolvePositions(game, *std::move(records), options);
}

std::string SolveText(const SolveReport& report) {
  std::string text;
  for (size_t i = 0; i < report.records.size(); ++i) {
    absl::StrAppend(&text, report.records[i].moves, " ", report.scores[i],
                    "\n");
  }
  const size_t n = report.records.size();
  absl::StrAppendFormat(
      &text,
      "# %d positions in %.3f s: %.1f positions/s, %d nodes (%.3g "
      "nodes/s), %d threads%s\n",
      n, report.seconds, PerSecond(n, report.seconds), report.nodes,
      PerSecond(report.nodes, report.seconds), report.threads,
      report.check ? absl::StrCat(", ", report.mismatches, " mismatches of ",
                                  report.checked, " checked")
                   : "");
  return text;
}

std::string SolveJson(const SolveReport& report) {
  const size_t n = report.records.size();
  nlohmann::json out = {
      {"game", report.game},
      {"positions", n},
      {"seconds", report.seconds},
      {"positions_per_s", PerSecond(n, report.seconds)},
      {"mean_us_per_position", n == 0 ? 0.0 : report.seconds * 1e6 / n},
      {"nodes", report.nodes},
      {"nodes_per_s", PerSecond(report.nodes, report.seconds)},
      {"threads", report.threads},
      {"checked", report.checked},
      {"mismatches", report.mismatches},
  };
  return out.dump();
}

absl::Status ScoreMismatch(const SolveReport& report) {
  if (report.first_mismatch < 0) return absl::OkStatus();
  const PositionRecord& record = report.records[report.first_mismatch];
  return absl::FailedPreconditionError(
      absl::StrFormat("%s:%d: %s: the solver scores %d, the file %d",
                      report.positions, record.line, record.moves,
                      report.scores[report.first_mismatch], *record.score));
}

}  // namespace az
